"""SQL Server for saved queries: the checked T-SQL as pyodbc takes it, and the database's wall.

The query is not translated (it is T-SQL already): sqlglot only re-renders it with the tenant
schema and the defined names in brackets, and each `@name` becomes a `?` bind in the order the
driver reads them. The wall is a database user WITHOUT LOGIN per tenant schema holding SELECT
on that schema's custom tables only (never `_ct_*`, nothing else). Each run switches to it with
`EXECUTE AS USER ... WITH COOKIE` (so SQL that slipped past the parser cannot REVERT out of it),
under a lock timeout and pyodbc's query timeout, and REVERTs with the cookie before the pooled
connection is used again; a connection that cannot REVERT is thrown away, never reused.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlglot import exp

from ddl.backends import MSSQL
from ddl.backends.common import timeout_error
from ddl.backends.tsql_statements import TRANSACTION_APPLOCK
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.space import TenantSpace

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]

READER_PREFIX = "ct_reader_"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_]{1,128}")
COOKIE = "@ct_cookie"

# --- the SQL text -----------------------------------------------------------------------------


def prepare_tree(tree: exp.Expr) -> None:
    """Comments go (the ODBC driver may read a `?` in one as a parameter marker); a name with a
    `?` in it (only an alias can have one) is refused for the same reason."""
    for node in tree.walk():
        node.comments = None
        if isinstance(node, exp.Identifier) and "?" in node.name:
            raise ValidationError(f"The name '{node.name}' cannot contain '?' on SQL Server")


def positional(sql: str, binds: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """`:bind` placeholders → `?`, and the bind names in the order of the `?`s. Bind names carry
    a random nonce (queries/plan.py), so no text of the query can pose as one."""
    if not binds:
        return sql, ()
    names = sorted(set(binds.values()), key=len, reverse=True)
    pattern = re.compile(":(" + "|".join(re.escape(name) for name in names) + r")(?!\w)")
    order: list[str] = []

    def marker(match: re.Match[str]) -> str:
        order.append(match.group(1))
        return "?"

    return pattern.sub(marker, sql), tuple(order)


def positional_values(values: Mapping[str, Any], order: Sequence[str]) -> list[Any]:
    """The bound values in `?` order (a parameter used twice is bound twice)."""
    return [values[name] for name in order]


# --- the reader user --------------------------------------------------------------------------


def reader_user(schema: str) -> str:
    """The tenant's reader; the schema name is ours (`customtables[_<tenant>]`), checked again
    here because it ends up inside a string literal of EXECUTE AS."""
    name = f"{READER_PREFIX}{schema}"
    if _SAFE_NAME.fullmatch(name) is None:
        raise ValidationError("This tenant's schema name cannot name a SQL Server user")
    return name


def _quote(engine: sa.Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote_identifier(name)  # always [bracketed]


def lock_statement(schema: str) -> Statement:
    """Processes setting up one tenant's reader queue on an application lock (held by the
    transaction): CREATE USER and GRANTs then never race."""
    return (TRANSACTION_APPLOCK, (f"customtables-reader-{schema}",))


def create_reader_statement(engine: sa.Engine, schema: str) -> Statement:
    """`IF USER_ID(?) IS NULL EXEC(?)`: the name and the DDL both bound, created when missing."""
    user = reader_user(schema)
    return (
        "IF USER_ID(?) IS NULL EXEC(?)",
        (user, f"CREATE USER {_quote(engine, user)} WITHOUT LOGIN"),
    )


def grant_statement(engine: sa.Engine, schema: str, table: str) -> Statement:
    """SELECT on one custom table, the reader's only permission (granted per table, as on
    PostgreSQL, so an internal table or one made later is never readable by accident)."""
    target = f"{_quote(engine, schema)}.{_quote(engine, table)}"
    return (f"GRANT SELECT ON OBJECT::{target} TO {_quote(engine, reader_user(schema))}", ())


def setup_statements(
    engine: sa.Engine, schema: str, tables: Iterable[str], *, create: bool
) -> list[Statement]:
    """Everything one set-up transaction runs: the lock, the user when missing, the grants."""
    statements = [lock_statement(schema)]
    if create:
        statements.append(create_reader_statement(engine, schema))
    statements += [grant_statement(engine, schema, table) for table in tables]
    return statements


def _run_setup(engine: sa.Engine, statements: list[Statement]) -> None:
    with engine.connect() as conn, conn.begin():
        for sql, parameters in statements:
            conn.exec_driver_sql(sql, parameters or None)


def ensure_reader(space: TenantSpace, tables: Iterable[TableDef]) -> str:
    """The tenant's reader user, with SELECT on `tables` (set up once per process and table)."""
    engine, schema, grants = space.engine, space.schema, space.backend.grants
    url = str(engine.url)
    by_id = {table.id: table for table in tables}
    create, missing = grants.missing(url, schema, by_id)
    if create or missing:
        names = [by_id[table_id].name for table_id in missing]
        _run_setup(engine, setup_statements(engine, schema, names, create=create))
        grants.granted(url, schema, missing)
    return reader_user(schema)


def forget_grants(space: TenantSpace, tables: Iterable[TableDef]) -> None:
    """A refused read (a table re-created, a user dropped by hand): set up again next time."""
    ids = [table.id for table in tables]
    space.backend.grants.forget(str(space.engine.url), space.schema, ids, reader=True)


# --- one run ----------------------------------------------------------------------------------


def enter_statement(user: str, lock_timeout_ms: int) -> str:
    """One language batch (no parameters: inside sp_executesql the switch would end with it)
    that sets the run's isolation and lock timeout, becomes the reader and returns the cookie."""
    if _SAFE_NAME.fullmatch(user) is None:  # it is written inside a string literal
        raise ValidationError("This tenant's reader cannot be named on SQL Server")
    return (
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
        f"SET LOCK_TIMEOUT {max(1, int(lock_timeout_ms))}; "
        f"DECLARE {COOKIE} varbinary(8000); "
        f"EXECUTE AS USER = N'{user}' WITH COOKIE INTO {COOKIE}; "
        f"SELECT {COOKIE}"
    )


def revert_statement(cookie: bytes) -> str:
    """Back to the server's own user (the cookie is the server's bytes, written as hex) and to
    the session's default lock timeout."""
    return (
        f"DECLARE {COOKIE} varbinary(8000) = 0x{bytes(cookie).hex()}; "
        f"REVERT WITH COOKIE = {COOKIE}; "
        "SET LOCK_TIMEOUT -1"
    )


def _cookie(cursor: Any) -> bytes:
    while cursor.description is None:
        if not cursor.nextset():
            raise RuntimeError("EXECUTE AS returned no cookie")
    row = cursor.fetchone()
    if row is None or not row[0]:
        raise RuntimeError("EXECUTE AS returned no cookie")
    return bytes(row[0])


def _revert(raw: Any, cookie: bytes | None) -> bool:
    """True when the connection is back in its own user's context."""
    if cookie is None:
        return False
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(revert_statement(cookie))
        finally:
            cursor.close()
    except Exception:  # noqa: BLE001 (any failure means the switch may still hold)
        return False
    return True


def run_guarded(
    raw: Any,
    user: str,
    sql: str,
    values: Sequence[Any],
    timeout: float,
    fetch: Callable[[Any], T],
    invalidate: Callable[[], None],
) -> T:
    """Run `sql` with `values` on the pyodbc connection `raw` as `user`, cancelled by the
    driver after `timeout` seconds (its query timeout counts whole seconds, so it is rounded
    up; the caller checks the exact limit). When the connection cannot be switched back for
    sure, `invalidate` is called: it must never serve another request."""
    enter = enter_statement(user, int(timeout * 1000))
    previous = raw.timeout
    raw.timeout = max(1, math.ceil(timeout))  # pyodbc applies it to cursors made from now on
    switching = False
    cookie: bytes | None = None
    try:
        cursor = raw.cursor()
        try:
            cursor.noscan = True  # the driver reads no ODBC escapes ({fn ...}) in our SQL
            switching = True
            cursor.execute(enter)
            cookie = _cookie(cursor)
            if values:
                cursor.execute(sql, tuple(values))
            else:
                cursor.execute(sql)
            return fetch(cursor)
        finally:
            cursor.close()
    finally:
        if switching and not _revert(raw, cookie):
            invalidate()
        else:
            raw.timeout = previous


# --- errors -----------------------------------------------------------------------------------

def execute(
    conn: sa.Connection,
    space: TenantSpace,
    sql: str,
    values: Sequence[Any],
    limits: tuple[float, Sequence[TableDef]],
    fetch: Callable[[Any], T],
) -> T:
    """The whole run on SQL Server, in `conn`'s transaction (rolled back by its session)."""
    timeout, tables = limits
    dbapi_error = space.engine.dialect.loaded_dbapi.Error
    started = time.monotonic()
    try:
        user = ensure_reader(space, tables)
        result = run_guarded(
            conn.connection.dbapi_connection, user, sql, values, timeout, fetch, conn.invalidate
        )
    except dbapi_error as error:
        if MSSQL.lost_grant(error):
            forget_grants(space, tables)
        raise MSSQL.query_error(error, timeout) from None
    except sa.exc.DBAPIError as error:  # from the set-up, through SQLAlchemy
        if error.orig is None:
            raise
        if MSSQL.lost_grant(error.orig):
            forget_grants(space, tables)
        raise MSSQL.query_error(error.orig, timeout) from None
    if time.monotonic() - started > timeout:
        raise timeout_error(timeout)
    return result
