"""The second wall (DESIGN invariant 5): the database itself lets a saved query only read the
tenant's custom tables, for a limited time, whatever slipped past queries/check.py.

SQLite: an authorizer (SELECT, reads of `customtables` tables that are not internal, pure
functions; nothing else), `PRAGMA query_only`, and a progress handler for the time limit, all
removed again before the connection returns to the pool. PostgreSQL: a read-only transaction,
`statement_timeout`, and `SET LOCAL ROLE` to a NOLOGIN role per tenant schema that holds USAGE
on that schema and SELECT on its custom tables only (not `_ct_*`, not the server's tables).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ddl.catalog import TableDef
from ddl.space import CATALOG_SCHEMA, TenantSpace

PROGRESS_STEPS = 1000  # SQLite VM instructions between two looks at the clock
INTERNAL_PREFIXES = ("_ct_", "sqlite_")
# Functions that reach outside the data where a build has them; the parser allows none of them.
SQLITE_DENIED_FUNCTIONS = frozenset(
    {
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "sqlite_compileoption_get",
    }
)


def _authorize(
    action: int, arg1: str | None, arg2: str | None, db: str | None, _src: str | None
) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = arg1 or ""
        if db is None:  # a CTE or subquery; every real table belongs to a database
            return sqlite3.SQLITE_OK
        if db == CATALOG_SCHEMA and not table.lower().startswith(INTERNAL_PREFIXES):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        name = (arg2 or "").lower()
        return sqlite3.SQLITE_DENY if name in SQLITE_DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_TRANSACTION and (arg1 or "").upper() in (
        "BEGIN",
        "ROLLBACK",
        "COMMIT",
    ):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


@contextmanager
def sqlite_guard(raw: sqlite3.Connection, deadline: float) -> Iterator[None]:
    """Read-only, tenant-tables-only, and interrupted at `deadline` (time.monotonic())."""
    raw.execute("PRAGMA query_only=1")
    raw.set_authorizer(_authorize)
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)
        raw.set_authorizer(None)
        raw.execute("PRAGMA query_only=0")


# --- PostgreSQL -------------------------------------------------------------------------------

_granted: set[tuple[str, str, str]] = set()  # (database url, schema, table id or "" for role)
_lock = threading.Lock()


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
    engine, schema = space.engine, space.schema
    url = str(engine.url)
    statements: list[str] = []
    keys: list[tuple[str, str, str]] = []
    with _lock:
        if (url, schema, "") not in _granted:
            statements += _setup_statements(engine, schema)
            keys.append((url, schema, ""))
        for table in tables:
            key = (url, schema, table.id)
            if key not in _granted:
                statements.append(
                    f"GRANT SELECT ON {_quote(engine, schema)}.{_quote(engine, table.name)} "
                    f"TO {_quote(engine, reader_role(schema))}"
                )
                keys.append(key)
    if statements:
        _run_setup(engine, statements)
        with _lock:
            _granted.update(keys)
    return reader_role(schema)


def forget_grant(space: TenantSpace, table_id: str) -> None:
    """A table that was dropped or failed to be read: grant again next time."""
    with _lock:
        _granted.discard((str(space.engine.url), space.schema, table_id))


def forget_space(space: TenantSpace) -> None:
    """A space its process closed (app/tenancy.py): its grants are set up again if it opens
    again, so the set stays as small as the set of open spaces."""
    prefix = (str(space.engine.url), space.schema)
    with _lock:
        _granted.difference_update({key for key in _granted if key[:2] == prefix})


def postgres_guard(conn: sa.Connection, space: TenantSpace, role: str, timeout_ms: int) -> None:
    """Make the rest of the run's transaction (read-only since its first statement, see
    queries/run.py `session`) time-limited, in the reader role, with only the tenant schema on
    the search path. Everything reverts when the transaction ends."""
    engine = space.engine
    conn.exec_driver_sql(  # one round trip
        f"SET LOCAL statement_timeout = {max(1, int(timeout_ms))}; "
        f"SET LOCAL ROLE {_quote(engine, role)}; "
        f"SET LOCAL search_path TO {_quote(engine, space.schema)}; "
        "SET LOCAL TIME ZONE 'UTC'"
    )
