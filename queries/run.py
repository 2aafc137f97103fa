"""Running translated SQL under the database's own guard (ddl/backends), with a time limit
and a row limit: at most `max_rows + 1` rows are ever fetched (a server-side cursor on
PostgreSQL, SQLite's step-by-step cursor), so memory does not grow with the result.

Driver errors never reach the client: each is mapped to a domain error with a message of ours.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa

from ddl.backends import MSSQL, POSTGRESQL, SQLITE, postgresql, sqlite
from ddl.catalog import TableDef
from ddl.errors import CustomTablesError, QueryTimeout, ValidationError
from ddl.space import CATALOG_SCHEMA, TenantSpace
from queries import mssql
from queries.dialects import sqlite_functions

REFUSED = (
    "The database refused the query: a saved query may only read the custom tables of its "
    "own tenant"
)
MISSING = "A table or column this query reads no longer exists; edit the query"
DEEP = "The query is nested too deeply for this database (SQLite parses about 100 levels)"


@dataclass(frozen=True, slots=True)
class RawResult:
    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool


class MissingFunction(ValidationError):
    """The backend has no such function; `function` is its name there, which the caller
    turns back into the user's spelling (queries/probe.py)."""

    def __init__(self, function: str) -> None:
        super().__init__(f"Function {function.upper()} is not available on this database")
        self.function = function


_PG_FUNCTION = re.compile(r"function ([\w.]+)\(")


def _timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"The query ran longer than the time limit of {seconds:g} s and was cancelled"
    )


def _sqlite_error(error: sqlite3.Error, seconds: float) -> CustomTablesError:
    text = str(error).lower()
    if "interrupted" in text:
        return _timeout(seconds)
    if "not authorized" in text or "prohibited" in text or "readonly" in text:
        return ValidationError(REFUSED)
    if "no such table" in text or "no such column" in text:
        return ValidationError(MISSING)
    if "user-defined function raised exception" in text or "user-defined aggregate" in text:
        reason = sqlite_functions.last_error() or "a function could not compute its value"
        return ValidationError(f"The database could not run the query: {reason}")
    if "parser stack overflow" in text or "too large (maximum depth" in text:
        return ValidationError(DEEP)
    if "no such function" in text:
        return MissingFunction(str(error).rsplit(":", 1)[-1].strip())
    return ValidationError("The database could not run the query (check types and functions)")


_PG_INPUT = re.compile(r'invalid input syntax for type ([a-z ]+): "(.*)"$', re.DOTALL)
_SQL_SERVER_TYPES = {"integer": "int", "smallint": "smallint", "bigint": "bigint"}


def _postgres_conversion(message: str) -> str | None:
    """SQL Server's message for text it could not read as a number (PostgreSQL's 22P02)."""
    found = _PG_INPUT.match(message)
    if found is None:
        return None
    kind, value = found.group(1), found.group(2)[:40]
    if kind in _SQL_SERVER_TYPES:
        return (
            f"Conversion failed when converting the varchar value '{value}' to data type "
            f"{_SQL_SERVER_TYPES[kind]}"
        )
    if kind in ("numeric", "double precision", "real"):
        target = "numeric" if kind == "numeric" else "float"
        return f"Error converting data type varchar to {target}"
    return None


_PG_STATES = {
    "22012": "Divide by zero error encountered",
    "22003": "a value is out of range",
    "22P02": "a value cannot be converted to the type it is compared with",
    "22007": "a date or time value is not valid",
    "22008": "a date or time value is out of range",
    "42883": "a function or operator does not exist for these argument types on this database",
    "42804": "the types of an expression do not match",
    "42803": "a column must appear in GROUP BY or be used in an aggregate",
    "42P10": "an ORDER BY or DISTINCT expression is not valid",
    "21000": "a subquery used as a value returned more than one row",
    "54001": "the query is too complex",
}


_MAXRECURSION = re.compile(r"ct_maxrecursion:(\d+):")


def _postgres_error(error: psycopg.Error, seconds: float) -> CustomTablesError:
    state = error.sqlstate or ""
    if isinstance(error, psycopg.errors.QueryCanceled):
        return _timeout(seconds)
    if state in ("42501", "25006"):  # insufficient privilege, read-only transaction
        return ValidationError(REFUSED)
    if state in ("42P01", "42703", "3F000"):  # undefined table, column, schema
        return ValidationError(MISSING)
    recursion = _MAXRECURSION.search(str(error))
    if recursion:  # queries/dialects/forms.py makes a recursive WITH fail this way
        limit = int(recursion.group(1))
        return ValidationError(sqlite_functions.MAXRECURSION_MESSAGE.format(limit=limit))
    found = _PG_FUNCTION.search(error.diag.message_primary or "") if state == "42883" else None
    if found is not None:
        return MissingFunction(found.group(1).rsplit(".", 1)[-1])
    reason = _PG_STATES.get(state)
    if state == "22P02":
        reason = _postgres_conversion(error.diag.message_primary or "") or reason
    if reason is None and state.startswith("22"):
        reason = "a value does not fit an operation"
    suffix = f": {reason}" if reason else " (check types and functions)"
    return ValidationError(f"The database could not run the query{suffix}")


def _fetch(cursor: Any, max_rows: int) -> RawResult:
    rows = cursor.fetchmany(max_rows + 1)
    names = tuple(column[0] for column in cursor.description or ())
    truncated = len(rows) > max_rows
    return RawResult(names, [tuple(row) for row in rows[:max_rows]], truncated)


@contextmanager
def session(space: TenantSpace) -> Iterator[sa.Connection]:
    """One connection and one transaction for a whole run: the saved query and the catalog are
    read in it, then the query runs under the guard. Read-only on PostgreSQL from its first
    statement, and always rolled back, so nothing a run did can persist."""
    with space.engine.connect() as conn:
        options: dict[str, Any] = {"schema_translate_map": {CATALOG_SCHEMA: space.schema}}
        options.update(space.backend.read_only_options)  # e.g. BEGIN READ ONLY
        conn.execution_options(**options)
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def _run_sqlite(
    conn: sa.Connection, sql: str, params: Mapping[str, Any], timeout: float, max_rows: int
) -> RawResult:
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    try:
        with sqlite.read_only_guard(raw, time.monotonic() + timeout):
            cursor = raw.cursor()
            try:
                cursor.execute(sql, dict(params))
                return _fetch(cursor, max_rows)
            finally:
                cursor.close()
    except sqlite3.Error as error:
        raise _sqlite_error(error, timeout) from None


def _run_postgres(
    conn: sa.Connection,
    space: TenantSpace,
    sql: str,
    params: Mapping[str, Any],
    limits: tuple[float, int],
    tables: list[TableDef],
    stream: bool,
) -> RawResult:
    timeout, max_rows = limits
    started = time.monotonic()
    try:
        role = postgresql.ensure_reader(space, tables)
        postgresql.read_only_guard(conn, space, role, int(timeout * 1000))
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        # A named (server-side) cursor: PostgreSQL declares one only for a SELECT or VALUES,
        # and FETCH hands over at most max_rows + 1 rows. A plan whose SQL carries the row
        # limit saves the two extra round trips.
        cursor_name = "ct_saved_query" if stream else None
        with raw.cursor(name=cursor_name) as cursor:  # type: ignore[call-overload]
            cursor.execute(sql, dict(params) if params else None)
            result = _fetch(cursor, max_rows)
    except psycopg.Error as error:
        if error.sqlstate in ("42501", "42P01"):
            for table in tables:
                postgresql.forget_grant(space, table.id)
        raise _postgres_error(error, timeout) from None
    except sa.exc.DBAPIError as error:
        if isinstance(error.orig, psycopg.Error):
            raise _postgres_error(error.orig, timeout) from None
        raise
    if time.monotonic() - started > timeout:
        raise _timeout(timeout)
    return result


def execute(
    space: TenantSpace,
    sql: str,
    params: Mapping[str, Any],
    *,
    timeout: float,
    max_rows: int,
    tables: Iterable[TableDef] = (),
    stream: bool = True,
    conn: sa.Connection | None = None,
    positions: Sequence[str] = (),
) -> RawResult:
    """Run SQL already rendered for `space`'s backend, in `conn` (a `session`) or a session of
    its own. The database refuses anything but reads of the tenant's custom tables; `tables`
    are those the reader role must be able to read. `stream=False` is for SQL that limits its
    own rows (a plan with `limited`); `positions` orders the values for `?` binds (mssql)."""
    runner = _RUNNERS.get(space.backend.name)
    if runner is None:
        raise ValidationError("Saved queries are not available on this database yet")
    if conn is None:
        with session(space) as own:
            return execute(
                space, sql, params, timeout=timeout, max_rows=max_rows, tables=tables,
                stream=stream, conn=own, positions=positions,
            )  # fmt: skip
    run = _Run(sql, params, timeout, max_rows, list(tables), stream, positions)
    return runner(conn, space, run)


@dataclass(frozen=True, slots=True)
class _Run:
    """One run's SQL and limits, as every backend's runner takes them."""

    sql: str
    params: Mapping[str, Any]
    timeout: float
    max_rows: int
    tables: list[TableDef]
    stream: bool
    positions: Sequence[str]


def _on_sqlite(conn: sa.Connection, _space: TenantSpace, run: _Run) -> RawResult:
    return _run_sqlite(conn, run.sql, run.params, run.timeout, run.max_rows)


def _on_postgres(conn: sa.Connection, space: TenantSpace, run: _Run) -> RawResult:
    limits = (run.timeout, run.max_rows)
    return _run_postgres(conn, space, run.sql, run.params, limits, run.tables, run.stream)


def _on_mssql(conn: sa.Connection, space: TenantSpace, run: _Run) -> RawResult:
    values = mssql.positional_values(run.params, run.positions)
    fetch = functools.partial(_fetch, max_rows=run.max_rows)
    return mssql.execute(conn, space, run.sql, values, (run.timeout, run.tables), fetch)


# The saved-query runner of each backend, by backend name (ddl/backends).
_RUNNERS: dict[str, Callable[[sa.Connection, TenantSpace, _Run], RawResult]] = {
    SQLITE.name: _on_sqlite,
    POSTGRESQL.name: _on_postgres,
    MSSQL.name: _on_mssql,
}


# Shared with queries/stream.py, which runs the same SQL as a stream of batches.
sqlite_error = _sqlite_error
postgres_error = _postgres_error
