"""PostgreSQL: one database, each tenant a schema; row locks with FOR [KEY] SHARE / UPDATE,
named locks as advisory locks, text in a non-deterministic ICU collation per tenant schema.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from ddl.backends.common import (
    MAXRECURSION_MESSAGE,
    MISSING,
    REFUSED,
    BackendBase,
    RowLock,
    could_not_run,
    on_conflict_upsert,
    timeout_error,
)
from ddl.collation import COLLATION
from ddl.errors import CustomTablesError, DatabaseUnavailable, MissingFunction, ValidationError

if TYPE_CHECKING:
    from ddl.catalog import TableDef
    from ddl.space import TenantSpace

# Advisory-lock keys of the named locks earlier releases took as constants; kept, so a process
# of an earlier release and one of this release still exclude each other.
FIXED_KEYS = {"customtables-migrate": 724110318, "customtables-bootstrap": 724110319}


def _key(resource: str) -> sa.ColumnElement[Any]:
    fixed = FIXED_KEYS.get(resource)
    return sa.literal(fixed) if fixed is not None else sa.func.hashtext(sa.literal(resource))


_STATES = {
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
_INPUT = re.compile(r'invalid input syntax for type ([a-z ]+): "(.*)"$', re.DOTALL)
_SQL_SERVER_TYPES = {"integer": "int", "smallint": "smallint", "bigint": "bigint"}


def _conversion(message: str) -> str | None:
    """SQL Server's message for text it could not read as a number (PostgreSQL's 22P02)."""
    found = _INPUT.match(message)
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


_FUNCTION = re.compile(r"function ([\w.]+)\(")
_MAXRECURSION = re.compile(r"ct_maxrecursion:(\d+):")  # raised by queries/dialects/forms.py
_LOST_GRANT = frozenset({"42501", "42P01"})  # insufficient privilege, undefined table
# What a probe's EXPLAIN reports at once: refusals, missing names and functions, complexity.
_PROBE_REPORTS = frozenset({"42883", "42501", "42P01", "42703", "54001"})


# admin shutdown, crash shutdown, cannot connect now (the server is starting or stopping)
_SERVER_GONE = frozenset({"57P01", "57P02", "57P03"})


def _query_error(error: psycopg.Error, seconds: float) -> CustomTablesError:
    if BACKEND.lost_connection(error):  # not the query's fault: 503, to be sent again
        return DatabaseUnavailable()
    state = error.sqlstate or ""
    if isinstance(error, psycopg.errors.QueryCanceled):
        return timeout_error(seconds)
    if state in ("42501", "25006"):  # insufficient privilege, read-only transaction
        return ValidationError(REFUSED)
    if state in ("42P01", "42703", "3F000"):  # undefined table, column, schema
        return ValidationError(MISSING)
    recursion = _MAXRECURSION.search(str(error))
    if recursion:
        limit = int(recursion.group(1))
        return ValidationError(MAXRECURSION_MESSAGE.format(limit=limit))
    found = _FUNCTION.search(error.diag.message_primary or "") if state == "42883" else None
    if found is not None:
        return MissingFunction(found.group(1).rsplit(".", 1)[-1])
    reason = _STATES.get(state)
    if state == "22P02":
        reason = _conversion(error.diag.message_primary or "") or reason
    return could_not_run(reason, state)


class PostgresBackend(BackendBase):
    name: ClassVar[str] = "postgresql"
    sqlglot_dialect: ClassVar[str] = "postgres"
    native_uuid = True
    nulls_sort_high = True
    icu_collation = True
    counting_upsert = "returning"
    key_probe = "array"
    pyformat_binds = True
    batched_ddl = True
    writable_ctes = True
    # BEGIN READ ONLY; SQLAlchemy resets the connection when it returns to the pool.
    read_only_options: ClassVar[dict[str, Any]] = {"postgresql_readonly": True}

    def engine_options(self) -> dict[str, Any]:
        # A backstop for a transaction left open by a vanished client: it would block DDL on
        # the tables it read. Streams close their transaction themselves (app/streaming.py).
        timeout = {"options": "-c idle_in_transaction_session_timeout=600000"}
        return {**super().engine_options(), "connect_args": timeout}

    def space_probe(self, schema: str) -> tuple[str, dict[str, Any]] | None:
        sql = (
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %(schema)s "
            "UNION ALL SELECT '' FROM pg_catalog.pg_collation c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace "
            "WHERE n.nspname = %(schema)s AND c.collname = %(collation)s"
        )
        return sql, {"schema": schema, "collation": COLLATION}

    def lock_rows(self, query: sa.Select[Any], table: sa.Table, mode: RowLock) -> sa.Select[Any]:
        if mode == "key_share":
            return query.with_for_update(read=True, key_share=True)
        if mode == "no_key_update":
            return query.with_for_update(key_share=True)
        return query.with_for_update(read=mode == "share")

    def transaction_lock(self, conn: sa.Connection, resource: str) -> None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_key(resource))))

    @contextmanager
    def session_lock(self, engine: sa.Engine, resource: str) -> Iterator[bool]:
        with engine.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(_key(resource))))
            try:
                yield True
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(_key(resource))))
                conn.commit()

    @contextmanager
    def time_limited(self, conn: sa.Connection, seconds: float) -> Iterator[None]:
        """`SET LOCAL statement_timeout`: ends with the transaction."""
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
        yield

    def is_timeout(self, error: sa.exc.DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) == "57014"

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        return on_conflict_upsert(postgresql.insert, table, key, columns)

    def query_error(self, error: BaseException, seconds: float) -> CustomTablesError:
        if not isinstance(error, psycopg.Error):
            return could_not_run(None)
        return _query_error(error, seconds)

    def lost_grant(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) in _LOST_GRANT

    def probe_reports(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) in _PROBE_REPORTS

    def first_row_committing(self, dbapi: Any, sql: str, params: Any) -> tuple[Any, ...] | None:
        """The statement and the COMMIT in one pipeline: one round trip, and the locks it takes
        are released as soon as the server has flushed the commit (BackendBase's docstring)."""
        if not isinstance(dbapi, psycopg.Connection) or not psycopg.Pipeline.is_supported():
            return super().first_row_committing(dbapi, sql, params)
        try:
            with dbapi.pipeline(), dbapi.cursor() as cursor:
                cursor.execute(sql, params)
                dbapi.commit()  # queued behind the statement; the pipeline syncs here
                row = cursor.fetchone()
        except psycopg.Error as error:  # as SQLAlchemy would have raised it (errors map as usual)
            raise sa.exc.DBAPIError.instance(
                sql, params, error, psycopg.Error, connection_invalidated=dbapi.closed
            ) from error
        return None if row is None else tuple(row)

    def lost_connection(self, error: BaseException) -> bool:
        """A connection exception (SQLSTATE class 08), the server ending the session (admin or
        crash shutdown: a restart, pg_terminate_backend) or not accepting one yet, or psycopg's
        own "the connection is lost" / "connection failed", which carry no SQLSTATE."""
        if not isinstance(error, psycopg.OperationalError):
            return False
        state = error.sqlstate
        return state is None or state.startswith("08") or state in _SERVER_GONE


BACKEND = PostgresBackend()


# --- the saved-query reader (DESIGN invariant 5) ----------------------------------------------
# A read-only transaction, `statement_timeout`, and `SET LOCAL ROLE` to a NOLOGIN role per tenant
# schema that holds USAGE on that schema and SELECT on its custom tables only (not `_ct_*`, not
# the server's tables). Grants are made once per process (`BACKEND.grants`).


def reader_role(schema: str) -> str:
    return f"ct_reader_{schema}"


def _quote(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def _setup_statements(engine: Engine, schema: str) -> list[str]:
    role = _quote(engine, reader_role(schema))
    literal = reader_role(schema).replace("'", "''")
    return [
        # Roles are cluster-wide and several processes may start at once: create it if missing,
        # and treat "someone else just did" as done.
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""",
        f"GRANT USAGE ON SCHEMA {_quote(engine, schema)} TO {role}",
        f"""DO $$ BEGIN
            IF NOT pg_has_role(current_user, '{literal}', 'USAGE') THEN
                EXECUTE 'GRANT {role.replace("'", "''")} TO ' || quote_ident(current_user);
            END IF;
        END $$""",
    ]


def _run_setup(engine: Engine, statements: list[str]) -> None:
    """DDL on roles and grants, retried: concurrent GRANTs may fail with 'tuple concurrently
    updated' and are then simply done again."""
    for attempt in range(5):
        try:
            with engine.connect() as conn, conn.begin():
                for statement in statements:
                    conn.exec_driver_sql(statement)
            return
        except sa.exc.DBAPIError:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def ensure_reader(space: TenantSpace, tables: Iterable[TableDef]) -> str:
    """The tenant's reader role, with SELECT on `tables` (granted once per process and table)."""
    engine, schema, grants = space.engine, space.schema, BACKEND.grants
    url = str(engine.url)
    by_id = {table.id: table for table in tables}
    setup, missing = grants.missing(url, schema, by_id)
    statements = _setup_statements(engine, schema) if setup else []
    statements += [
        f"GRANT SELECT ON {_quote(engine, schema)}.{_quote(engine, by_id[table_id].name)} "
        f"TO {_quote(engine, reader_role(schema))}"
        for table_id in missing
    ]
    if statements:
        _run_setup(engine, statements)
        grants.granted(url, schema, missing)
    return reader_role(schema)


def forget_grant(space: TenantSpace, table_id: str) -> None:
    """A table that was dropped or failed to be read: grant again next time."""
    BACKEND.grants.forget(str(space.engine.url), space.schema, [table_id])


def guard_statements(space: TenantSpace, role: str, timeout_ms: int) -> list[str]:
    """The statements of `read_only_guard`, one by one (a pipeline sends them with the query)."""
    engine = space.engine
    return [
        f"SET LOCAL statement_timeout = {max(1, int(timeout_ms))}",
        f"SET LOCAL ROLE {_quote(engine, role)}",
        f"SET LOCAL search_path TO {_quote(engine, space.schema)}",
        "SET LOCAL TIME ZONE 'UTC'",
    ]


def read_only_guard(conn: sa.Connection, space: TenantSpace, role: str, timeout_ms: int) -> None:
    """Make the rest of the run's transaction (read-only since its first statement, see
    queries/run.py `session`) time-limited, in the reader role, with only the tenant schema on
    the search path. Everything reverts when the transaction ends."""
    conn.exec_driver_sql("; ".join(guard_statements(space, role, timeout_ms)))  # one round trip
