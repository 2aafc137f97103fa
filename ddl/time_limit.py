"""A time limit on the database work of one connection's transaction, for work whose cost a
client chooses (a `Where` condition): past it the database stops and the request is a 408.

Each backend says how (ddl/backends: `time_limited`, `is_timeout`); SQL Server has none here
(saved queries use the driver timeout).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ddl.backends import Backend, backend_for


@contextmanager
def limited(conn: sa.Connection, seconds: float | None) -> Iterator[None]:
    """Bound the database work done on `conn` inside this block to `seconds` (None: no limit)."""
    if seconds is None or seconds <= 0:
        yield
        return
    with backend_for(conn).time_limited(conn, seconds):
        yield


def is_timeout(backend: Backend, error: sa.exc.DBAPIError) -> bool:
    """The database stopped a statement because `limited` said so."""
    return backend.is_timeout(error)
