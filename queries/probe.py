"""Save time agrees with run time (SPEC §5): a query whose translation the backend cannot run
is refused when it is saved, naming the function as the user wrote it.

The same plan a run would use is compiled by the database itself, never executed: SQLite
prepares `EXPLAIN <sql>` (its compiler finds every unknown function and wrong argument count),
PostgreSQL plans `EXPLAIN <sql>` under the run's guard (reader role, read-only). Parameters are
NULL, as for a run that supplies none. Errors that depend on the values (types of parameters
on PostgreSQL) are left to the run; what the database cannot compile is a 400 now.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Mapping

import psycopg
import sqlalchemy as sa
from sqlglot import exp

from ddl.backends import POSTGRESQL, SQLITE, backend_for, postgresql, sqlite
from ddl.errors import CustomTablesError, MissingFunction, ValidationError
from ddl.space import TenantSpace
from queries import run
from queries.check import Checked, written
from queries.plan import Plan

PROBE_SECONDS = 5.0
_LEADING = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def function_names(checked: Checked, dialect: str, backend: str) -> dict[str, str]:
    """The backend's (lower-case) name of each function in the query → the user's spelling."""
    target = backend_for(backend).sqlglot_dialect
    names: dict[str, str] = {}
    for node in checked.tree.find_all(exp.Func):
        try:
            found = _LEADING.match(node.sql(dialect=target))
        except Exception:  # noqa: BLE001 (a function the target cannot render, any kind)
            found = None
        if found is not None:
            names.setdefault(found.group(1).lower(), written(node, dialect))
    return names


def in_users_words(error: CustomTablesError, names: Mapping[str, str]) -> CustomTablesError:
    """A missing-function error naming the function as written in the query."""
    if isinstance(error, MissingFunction):
        spelled = names.get(error.function.lower(), error.function.upper())
        return ValidationError(f"Function {spelled} is not available on this database")
    return error


def _sqlite(conn: sa.Connection, _space: TenantSpace, made: Plan) -> None:
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    try:
        with sqlite.read_only_guard(raw, time.monotonic() + PROBE_SECONDS):
            raw.execute(f"EXPLAIN {made.sql}", dict.fromkeys(made.binds.values())).close()
    except sqlite3.Error as error:
        raise SQLITE.query_error(error, PROBE_SECONDS) from None


def _postgres(conn: sa.Connection, space: TenantSpace, made: Plan) -> None:
    try:
        role = postgresql.ensure_reader(space, made.tables)
        postgresql.read_only_guard(conn, space, role, int(PROBE_SECONDS * 1000))
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        values = dict.fromkeys(made.binds.values()) or None
        with raw.cursor() as cursor:
            cursor.execute(f"EXPLAIN {made.sql}", values)
    except psycopg.Error as error:
        if POSTGRESQL.probe_reports(error):
            raise POSTGRESQL.query_error(error, PROBE_SECONDS) from None
    except sa.exc.DBAPIError as error:
        orig = error.orig
        if isinstance(orig, psycopg.Error) and POSTGRESQL.probe_reports(orig):
            raise POSTGRESQL.query_error(orig, PROBE_SECONDS) from None


def probe(space: TenantSpace, checked: Checked, dialect: str, made: Plan) -> None:
    """400 when the database cannot compile the plan; nothing is run, nothing is kept."""
    prober = _PROBES.get(space.backend.name)
    if prober is None:
        return  # SQL Server runs the T-SQL as written: nothing is translated
    try:
        with run.session(space) as conn:
            prober(conn, space, made)
    except CustomTablesError as error:
        names = function_names(checked, dialect, space.backend.name)
        raise in_users_words(error, names) from None


# How each backend whose SQL is translated compiles a plan without running it, by name.
_PROBES: dict[str, Callable[[sa.Connection, TenantSpace, Plan], None]] = {
    SQLITE.name: _sqlite,
    POSTGRESQL.name: _postgres,
}
