"""Engines per backend: SQLite files with transactional DDL, PostgreSQL, SQL Server.

SQLite needs two things pysqlite does not do by itself: BEGIN before DDL (so a CREATE TABLE
and its catalog row commit together) and BEGIN IMMEDIATE for writers (so two writers queue on
the lock instead of failing to upgrade a read lock). Connections opened with the execution
option `ct_write=True` begin IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from ddl.collation import register_sqlite
from ddl.mssql import CreateSchemaIfMissing
from queries.dialects import sqlite_functions

SQLITE_ALIAS = "customtables"
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "cache_size=-16384",
)


def _install_sqlite_begin(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("ct_write") else "BEGIN"
        conn.exec_driver_sql(mode)


def _sqlite_connect(path: str, attach: Path | None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    schema = ""
    if attach is not None:
        conn.execute(f"ATTACH DATABASE ? AS {SQLITE_ALIAS}", (str(attach),))
        schema = f"{SQLITE_ALIAS}."
    for pragma in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {schema}{pragma}")
    conn.execute("PRAGMA busy_timeout=30000")
    sqlite_functions.register(conn)  # T-SQL functions for saved queries (SPEC §5.1)
    register_sqlite(conn)  # SQL Server's text collation (ddl/collation.py)
    return conn


def sqlite_engine(path: Path, *, attach_as_customtables: bool = False) -> Engine:
    """An engine on one SQLite file; with `attach_as_customtables` the file is the `customtables`
    schema of an otherwise empty in-memory main database, which is how a tenant's space is seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if attach_as_customtables:

        def creator() -> sqlite3.Connection:
            return _sqlite_connect(":memory:", path)
    else:

        def creator() -> sqlite3.Connection:
            return _sqlite_connect(str(path), None)

    engine = sa.create_engine(
        "sqlite://",
        creator=creator,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=24,
        pool_timeout=60,
    )
    _install_sqlite_begin(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled server connection before use only when it sat idle a while (or its driver
    says it broke): one that came back a moment ago is as good as a ping says, and pinging it
    cost every transaction a round trip. A dead one is replaced before the request uses it."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi: Any, record: Any) -> None:
        record.info["ct_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("ct_idle_since")
        broken = getattr(dbapi, "closed", False) or getattr(dbapi, "broken", False)
        if not broken and since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            if broken or not engine.dialect.do_ping(dbapi):
                raise sa.exc.DisconnectionError("the connection is gone")
        except sa.exc.DisconnectionError:
            raise
        except Exception as error:  # the driver's own error for a dead connection
            raise sa.exc.DisconnectionError(str(error)) from error


def server_engine(url: str, **kwargs: Any) -> Engine:
    """An engine on PostgreSQL or SQL Server: one for the whole database, every tenant a schema."""
    options: dict[str, Any] = {"pool_size": 10, "max_overflow": 20}
    if url.startswith("mssql"):
        options["fast_executemany"] = True
    if url.startswith("postgresql"):
        # A backstop for a transaction left open by a vanished client: it would block DDL on
        # the tables it read. Streams close their transaction themselves (app/streaming.py).
        options["connect_args"] = {"options": "-c idle_in_transaction_session_timeout=600000"}
    options.update(kwargs)
    engine = sa.create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        _ping_after_idle(engine)
    return engine


def create_schema(dialect: str, schema: str) -> sa.Executable:
    """CREATE SCHEMA when missing, as each server spells it (SQL Server has no IF NOT EXISTS)."""
    if dialect == "mssql":
        return CreateSchemaIfMissing(schema)
    return sa.schema.CreateSchema(schema, if_not_exists=True)
