"""SQLite: one file per tenant (attached as the `customtables` schema), transactional DDL,
writers serialised by the database lock.

pysqlite does not do two things by itself: BEGIN before DDL (so a CREATE TABLE and its catalog
row commit together) and BEGIN IMMEDIATE for writers (so two writers queue on the lock instead
of failing to upgrade a read lock). Connections opened with the execution option
`ct_write=True` begin IMMEDIATE. Values SQLite has no type for are stored as exact text (dates,
Money) or integers (booleans); text sorts through the `ct_sortkey` function (ddl/collation.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool, StaticPool

from ddl.backends.common import (
    DEEP,
    MISSING,
    REFUSED,
    BackendBase,
    could_not_run,
    on_conflict_upsert,
    timeout_error,
)
from ddl.collation import register_sqlite
from ddl.errors import CustomTablesError, MissingFunction, ValidationError

ALIAS = "customtables"
# 16 MB of page cache per connection: 64 MB took a 1,000,000-row read to 177 MB resident
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-16384")
PROGRESS_STEPS = 10_000  # virtual-machine steps between two looks at the clock (~1 ms)

ConnectHook = Callable[[sqlite3.Connection], None]
# Run on every new connection. The saved-query layer adds its T-SQL functions here
# (queries/dialects/sqlite_functions.py) so that this layer never imports it.
connect_hooks: list[ConnectHook] = []


def add_connect_hook(hook: ConnectHook) -> None:
    if hook not in connect_hooks:
        connect_hooks.append(hook)


def _install_begin(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("ct_write") else "BEGIN"
        conn.exec_driver_sql(mode)


def _connect(path: str, attach: Path | None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    schema = ""
    if attach is not None:
        conn.execute(f"ATTACH DATABASE ? AS {ALIAS}", (str(attach),))
        schema = f"{ALIAS}."
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {schema}{pragma}")
    conn.execute("PRAGMA busy_timeout=30000")
    for hook in connect_hooks:
        hook(conn)
    register_sqlite(conn)  # SQL Server's text collation (ddl/collation.py)
    return conn


def sqlite_engine(path: Path, *, attach_as_customtables: bool = False) -> Engine:
    """An engine on one SQLite file; with `attach_as_customtables` the file is the `customtables`
    schema of an otherwise empty in-memory main database, which is how a tenant's space is seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    main, attach = (":memory:", path) if attach_as_customtables else (str(path), None)
    engine = sa.create_engine(
        "sqlite://",
        creator=lambda: _connect(main, attach),
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=24,
        pool_timeout=60,
    )
    _install_begin(engine)
    return engine


def staging_engine() -> Engine:
    """An engine on one in-memory connection whose `customtables` schema is in memory too: a
    new tenant file's first rows are written there, into a copy of the template, before the
    file exists (ddl/tenant_files.py). One connection: callers take turns."""

    def connect() -> sqlite3.Connection:
        conn = _connect(":memory:", None)
        conn.execute(f"ATTACH DATABASE ':memory:' AS {ALIAS}")
        return conn

    engine = sa.create_engine("sqlite://", creator=connect, poolclass=StaticPool)
    _install_begin(engine)
    return engine


# --- the saved-query guard -------------------------------------------------------------------

GUARD_STEPS = 1000  # VM instructions between two looks at the clock in a saved query
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
        if db == ALIAS and not table.lower().startswith(INTERNAL_PREFIXES):
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
def read_only_guard(raw: sqlite3.Connection, deadline: float) -> Iterator[None]:
    """The database's own wall around a saved query (DESIGN invariant 5): an authorizer
    (SELECT, reads of `customtables` tables that are not internal, pure functions; nothing
    else), `PRAGMA query_only`, and interrupted at `deadline` (time.monotonic()); all removed
    again before the connection returns to the pool."""
    raw.execute("PRAGMA query_only=1")
    raw.set_authorizer(_authorize)
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), GUARD_STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)
        raw.set_authorizer(None)
        raw.execute("PRAGMA query_only=0")


_failures = threading.local()


def note_function_failure(message: str) -> None:
    """Kept by a Python function (queries/dialects/sqlite_functions.py) as it fails: SQLite
    reports only "user-defined function raised exception", so the reason is kept per thread."""
    _failures.message = message


def function_failure() -> str | None:
    """The message of the last function that failed on this thread, once."""
    message: str | None = getattr(_failures, "message", None)
    _failures.message = None
    return message


class SqliteBackend(BackendBase):
    name: ClassVar[str] = "sqlite"
    sqlglot_dialect: ClassVar[str] = "sqlite"
    serialised_writers = True
    dates_as_text = True
    money_as_text = True
    booleans_as_int = True
    binds_decimal = False  # sqlite3 binds no Decimal
    sortkey_collation = True
    counting_upsert = "new_rowids"
    key_probe = "json_each"
    dynamic_typing = True
    lateral_joins = False
    python_functions = True
    colon_binds = True
    schema_per_tenant = False

    def create_schema(self, schema: str) -> sa.Executable:
        raise NotImplementedError("a SQLite tenant is a file, not a schema")

    def space_probe(self, schema: str) -> tuple[str, dict[str, Any]] | None:
        return f"SELECT name FROM \"{schema}\".sqlite_master WHERE type = 'table'", {}

    @contextmanager
    def time_limited(self, conn: sa.Connection, seconds: float) -> Iterator[None]:
        """A progress handler interrupts the statement once the deadline has passed; removed
        afterwards, since pooled connections are shared."""
        raw = conn.connection.dbapi_connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)  # type: ignore[union-attr]
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)  # type: ignore[union-attr]

    def is_timeout(self, error: sa.exc.DBAPIError) -> bool:
        return "interrupted" in str(error.orig).lower()

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        return on_conflict_upsert(sqlite.insert, table, key, columns)

    def query_error(self, error: BaseException, seconds: float) -> CustomTablesError:
        text = str(error).lower()
        if "interrupted" in text:
            return timeout_error(seconds)
        if "not authorized" in text or "prohibited" in text or "readonly" in text:
            return ValidationError(REFUSED)
        if "no such table" in text or "no such column" in text:
            return ValidationError(MISSING)
        if "user-defined function raised exception" in text or "user-defined aggregate" in text:
            reason = function_failure() or "a function could not compute its value"
            return ValidationError(f"The database could not run the query: {reason}")
        if "parser stack overflow" in text or "too large (maximum depth" in text:
            return ValidationError(DEEP)
        if "no such function" in text:
            return MissingFunction(str(error).rsplit(":", 1)[-1].strip())
        return could_not_run(None)


BACKEND = SqliteBackend()
