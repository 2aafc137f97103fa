"""A time limit on the database work of one connection's transaction, for work whose cost a
client chooses (a `Where` condition): past it the database stops and the request is a 408.

PostgreSQL: `SET LOCAL statement_timeout` (ends with the transaction). SQLite: a progress
handler that interrupts the statement once the deadline has passed (removed afterwards, since
pooled connections are shared). SQL Server: none here (saved queries use the driver timeout).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

SQLITE_STEPS = 10_000  # virtual-machine steps between two looks at the clock (~1 ms)


@contextmanager
def limited(conn: sa.Connection, seconds: float | None) -> Iterator[None]:
    """Bound the database work done on `conn` inside this block to `seconds` (None: no limit)."""
    if seconds is None or seconds <= 0:
        yield
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
        yield
        return
    if dialect != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_STEPS)  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]


def is_timeout(error: sa.exc.DBAPIError) -> bool:
    """The database stopped a statement because `limited` said so."""
    state = getattr(error.orig, "sqlstate", None) or ""
    return state == "57014" or "interrupted" in str(error.orig).lower()
