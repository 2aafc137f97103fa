"""Running translated SQL under the database's own guard (ddl/backends), with a time limit
and a row limit: at most `max_rows + 1` rows are ever fetched (a server-side cursor on
PostgreSQL, SQLite's step-by-step cursor), so memory does not grow with the result.

Driver errors never reach the client: each is mapped to a domain error with a message of ours.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa

from ddl.backends import MSSQL, POSTGRESQL, SQLITE, postgresql, sqlite
from ddl.backends.common import timeout_error
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.space import CATALOG_SCHEMA, TenantSpace
from queries import mssql


@dataclass(frozen=True, slots=True)
class RawResult:
    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool


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


@contextmanager
def with_begin(conn: sa.Connection) -> Iterator[None]:
    """The session's first read: on PostgreSQL it goes out in one pipeline with the BEGIN
    READ ONLY that psycopg sends before it, one round trip where there were two."""
    raw = conn.connection.dbapi_connection
    if isinstance(raw, psycopg.Connection) and psycopg.Pipeline.is_supported():
        with raw.pipeline():
            yield
    else:
        yield


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
        raise SQLITE.query_error(error, timeout) from None


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
        with raw.cursor(name=cursor_name) as cursor:
            cursor.execute(sql, dict(params) if params else None)
            result = _fetch(cursor, max_rows)
    except psycopg.Error as error:
        if POSTGRESQL.lost_grant(error):
            for table in tables:
                postgresql.forget_grant(space, table.id)
        raise POSTGRESQL.query_error(error, timeout) from None
    except sa.exc.DBAPIError as error:
        if isinstance(error.orig, psycopg.Error):
            raise POSTGRESQL.query_error(error.orig, timeout) from None
        raise
    if time.monotonic() - started > timeout:
        raise timeout_error(timeout)
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
