"""Running translated SQL under the database's own guard (queries/guard.py), with a time limit
and a row limit: at most `max_rows + 1` rows are ever fetched (a server-side cursor on
PostgreSQL, SQLite's step-by-step cursor), so memory does not grow with the result.

Driver errors never reach the client: each is mapped to a domain error with a message of ours.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa

from ddl.catalog import TableDef
from ddl.errors import CustomTablesError, QueryTimeout, ValidationError
from ddl.space import TenantSpace
from queries import guard

REFUSED = (
    "The database refused the query: a saved query may only read the custom tables of its "
    "own tenant"
)
MISSING = "A table or column this query reads no longer exists; edit the query"


@dataclass(frozen=True, slots=True)
class RawResult:
    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool


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
    if "no such function" in text:
        name = str(error).rsplit(":", 1)[-1].strip()
        return ValidationError(f"Function {name.upper()} is not available on this database")
    return ValidationError("The database could not run the query (check types and functions)")


_PG_STATES = {
    "22012": "division by zero",
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


def _postgres_error(error: psycopg.Error, seconds: float) -> CustomTablesError:
    state = error.sqlstate or ""
    if isinstance(error, psycopg.errors.QueryCanceled):
        return _timeout(seconds)
    if state in ("42501", "25006"):  # insufficient privilege, read-only transaction
        return ValidationError(REFUSED)
    if state in ("42P01", "42703", "3F000"):  # undefined table, column, schema
        return ValidationError(MISSING)
    reason = _PG_STATES.get(state)
    if reason is None and state.startswith("22"):
        reason = "a value does not fit an operation"
    suffix = f": {reason}" if reason else " (check types and functions)"
    return ValidationError(f"The database could not run the query{suffix}")


def _fetch(cursor: Any, max_rows: int) -> RawResult:
    rows = cursor.fetchmany(max_rows + 1)
    names = tuple(column[0] for column in cursor.description or ())
    truncated = len(rows) > max_rows
    return RawResult(names, [tuple(row) for row in rows[:max_rows]], truncated)


def _run_sqlite(
    space: TenantSpace, sql: str, params: Mapping[str, Any], timeout: float, max_rows: int
) -> RawResult:
    deadline = time.monotonic() + timeout
    with space.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        try:
            with guard.sqlite_guard(raw, deadline):
                transaction = conn.begin()
                cursor = raw.cursor()
                try:
                    cursor.execute(sql, dict(params))
                    return _fetch(cursor, max_rows)
                finally:
                    cursor.close()
                    transaction.rollback()  # nothing a run did may persist
        except sqlite3.Error as error:
            raise _sqlite_error(error, timeout) from None
        except sa.exc.DBAPIError as error:
            if isinstance(error.orig, sqlite3.Error):
                raise _sqlite_error(error.orig, timeout) from None
            raise


def _run_postgres(
    space: TenantSpace,
    sql: str,
    params: Mapping[str, Any],
    timeout: float,
    max_rows: int,
    tables: Iterable[TableDef],
) -> RawResult:
    tables = list(tables)
    role = guard.ensure_reader(space, tables)
    started = time.monotonic()
    try:
        with space.engine.connect() as conn:
            transaction = conn.begin()
            try:
                guard.postgres_guard(conn, space, role, timeout * 1000)
                raw = conn.connection.dbapi_connection
                assert isinstance(raw, psycopg.Connection)
                # A named (server-side) cursor: PostgreSQL declares one only for a SELECT or
                # VALUES, and FETCH hands over at most max_rows + 1 rows.
                with raw.cursor(name="ct_saved_query") as cursor:
                    cursor.execute(sql, dict(params) if params else None)
                    result = _fetch(cursor, max_rows)
            finally:
                transaction.rollback()  # nothing a run did may persist
            if time.monotonic() - started > timeout:
                raise _timeout(timeout)
            return result
    except psycopg.Error as error:
        if error.sqlstate in ("42501", "42P01"):
            for table in tables:
                guard.forget_grant(space, table.id)
        raise _postgres_error(error, timeout) from None
    except sa.exc.DBAPIError as error:
        if isinstance(error.orig, psycopg.Error):
            raise _postgres_error(error.orig, timeout) from None
        raise


def execute(
    space: TenantSpace,
    sql: str,
    params: Mapping[str, Any],
    *,
    timeout: float,
    max_rows: int,
    tables: Iterable[TableDef] = (),
) -> RawResult:
    """Run SQL already rendered for `space`'s backend. The database refuses anything but reads
    of the tenant's custom tables; `tables` are those the reader role must be able to read."""
    if space.dialect == "sqlite":
        return _run_sqlite(space, sql, params, timeout, max_rows)
    if space.dialect == "postgresql":
        return _run_postgres(space, sql, params, timeout, max_rows, tables)
    raise ValidationError(f"Saved queries are not available on {space.dialect} yet")
