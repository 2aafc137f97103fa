"""Running translated SQL as a stream of row batches, under the database's own guard
(the read-only guards in ddl/backends), for queries/answer.py to encode.

Each fetch asks for as many rows as the encoder's hint says, so a result of 10,000 rows of
100 KB each never sits in memory at once; the time limit is a deadline that covers execution
and every fetch (SQLite's progress handler; PostgreSQL's statement_timeout set to the time
left before each FETCH). SQLite also refuses any single value larger than the answer's byte
budget (SQLITE_LIMIT_LENGTH), so one huge REPLICATE cannot be built either; on PostgreSQL the
query is wrapped so the database refuses a row larger than the budget before sending it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import psycopg
import sqlalchemy as sa

from ddl.backends import MSSQL, POSTGRESQL, SQLITE, postgresql, sqlite
from ddl.backends.common import timeout_error
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.row_stream import Budget, FetchHint, RowStream
from ddl.space import TenantSpace
from queries import mssql

Batch = Sequence[Sequence[Any]]
TOO_BIG = "A value in the answer is larger than the answer's size limit"
_TOO_BIG_MARK = "ct_answer_too_large"
# Declared and fetched with plain statements, not psycopg's ServerCursor: that one asks for the
# cursor's description after DECLARE and sends CLOSE at the end, two more round trips a run;
# FETCH's own answer describes the rows, and the run's ROLLBACK (queries/run.py) closes it.
# Plain statements also go in one pipeline with the guard: a run by key is one round trip here.
_CURSOR = "ct_saved_query"


def _size_guarded(sql: str, max_bytes: int) -> str:
    """PostgreSQL has no per-value limit: refuse, in the database, any row larger than the
    budget, so the driver never receives it. The error is a failed cast of a marker text (made
    from the row, so the planner cannot fold it early). A subquery with ORDER BY or LIMIT is
    not flattened by PostgreSQL, so the rows keep their order."""
    return (
        f"SELECT * FROM ({sql}) AS ct_answer WHERE CASE WHEN pg_column_size(ct_answer.*) > "
        f"{int(max_bytes)} THEN CAST('{_TOO_BIG_MARK}' || pg_column_size(ct_answer.*) AS "
        "INTEGER) = 0 ELSE TRUE END"
    )


def _fetch(rows: int) -> str:
    return f"FETCH FORWARD {int(rows)} FROM {_CURSOR}"


def _pipeline(raw: psycopg.Connection[Any]) -> AbstractContextManager[Any]:
    """Statements sent together, answered together (where libpq has pipelines, 14 and up)."""
    return raw.pipeline() if psycopg.Pipeline.is_supported() else nullcontext()


def _left_ms(budget: Budget) -> int:
    left = budget.deadline - time.monotonic()
    if left <= 0:
        raise timeout_error(budget.timeout)
    return max(1, int(left * 1000))


@contextmanager
def _length_limit(raw: sqlite3.Connection, max_bytes: int) -> Iterator[None]:
    wanted = min(max(1024, max_bytes), 2**31 - 1)  # SQLite caps it at its own build limit
    previous = raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, wanted)
    try:
        yield
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, previous)


def _sqlite(
    conn: sa.Connection, sql: str, params: Mapping[str, Any], budget: Budget, hint: FetchHint
) -> Iterator[Batch]:
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    try:
        with sqlite.read_only_guard(raw, budget.deadline), _length_limit(raw, budget.max_bytes):
            cursor = raw.cursor()
            try:
                cursor.execute(sql, dict(params))
                while rows := cursor.fetchmany(hint.size):
                    yield rows
            finally:
                cursor.close()
    except sqlite3.Error as error:
        if "too big" in str(error).lower():
            raise ValidationError(TOO_BIG) from None
        raise SQLITE.query_error(error, budget.timeout) from None


def _postgres(
    conn: sa.Connection,
    space: TenantSpace,
    sql: str,
    params: Mapping[str, Any],
    limits: tuple[Budget, FetchHint, list[TableDef]],
) -> Iterator[Batch]:
    budget, hint, tables = limits
    try:
        role = postgresql.ensure_reader(space, tables)
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        guard = postgresql.guard_statements(space, role, _left_ms(budget))
        declare = f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR {_size_guarded(sql, budget.max_bytes)}"
        wanted = hint.size
        with _pipeline(raw):  # the guard, DECLARE and the first FETCH in one round trip
            for statement in guard:
                raw.execute(statement, prepare=False)
            raw.execute(declare, dict(params) if params else None, prepare=False)
            fetched = raw.execute(_fetch(wanted), prepare=False)
        while True:
            rows = fetched.fetchall()
            if rows:
                yield rows
            if len(rows) < wanted:  # the cursor is exhausted: no FETCH to learn it again
                return
            wanted = hint.size
            with _pipeline(raw):  # the time left, then the next rows
                raw.execute(f"SET LOCAL statement_timeout = {_left_ms(budget)}", prepare=False)
                fetched = raw.execute(_fetch(wanted), prepare=False)
    except psycopg.Error as error:
        if _TOO_BIG_MARK in (error.diag.message_primary or ""):
            raise ValidationError(TOO_BIG) from None
        if POSTGRESQL.lost_grant(error):
            for table in tables:
                postgresql.forget_grant(space, table.id)
        raise POSTGRESQL.query_error(error, budget.timeout) from None
    except sa.exc.DBAPIError as error:
        if isinstance(error.orig, psycopg.Error):
            raise POSTGRESQL.query_error(error.orig, budget.timeout) from None
        raise


def batches(
    space: TenantSpace,
    conn: sa.Connection,
    sql: str,
    params: Mapping[str, Any],
    *,
    budget: Budget,
    tables: Sequence[TableDef],
    positions: Sequence[str] = (),
) -> RowStream[Batch]:
    """Row batches of SQL rendered for `space`'s backend, run in `conn` (a run.session), as a
    stream under `budget` whose hint the encoder adjusts to the row size."""
    streamer = _STREAMERS.get(space.backend.name)
    if streamer is None:
        raise ValidationError("Saved queries are not available on this database yet")
    hint = FetchHint()
    source = streamer(conn, space, sql, params, (budget, hint, list(tables), positions))
    return RowStream(source, budget, hint)


_Limits = tuple[Budget, FetchHint, list[TableDef], Sequence[str]]


def _on_sqlite(
    conn: sa.Connection, _space: TenantSpace, sql: str, params: Mapping[str, Any], limits: _Limits
) -> Iterator[Batch]:
    budget, hint, _tables, _positions = limits
    return _sqlite(conn, sql, params, budget, hint)


def _on_postgres(
    conn: sa.Connection, space: TenantSpace, sql: str, params: Mapping[str, Any], limits: _Limits
) -> Iterator[Batch]:
    budget, hint, tables, _positions = limits
    return _postgres(conn, space, sql, params, (budget, hint, tables))


def _on_mssql(
    conn: sa.Connection, space: TenantSpace, sql: str, params: Mapping[str, Any], limits: _Limits
) -> Iterator[Batch]:
    """Compiled-SQL tests only here: one fetch of max_rows + 1."""
    budget, _hint, tables, positions = limits
    values = mssql.positional_values(params, positions)
    timing = (budget.deadline - time.monotonic(), tables)

    def fetch(cursor: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in cursor.fetchmany(budget.max_rows + 1)]

    return iter([mssql.execute(conn, space, sql, values, timing, fetch)])


# The saved-query streamer of each backend, by backend name (ddl/backends).
_STREAMERS: dict[
    str, Callable[[sa.Connection, TenantSpace, str, Mapping[str, Any], _Limits], Iterator[Batch]]
] = {
    SQLITE.name: _on_sqlite,
    POSTGRESQL.name: _on_postgres,
    MSSQL.name: _on_mssql,
}
