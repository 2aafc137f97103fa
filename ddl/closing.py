"""The one way a stream closes what it reads from. A row source may hold a database cursor and
its connection (ddl/reads.py `partitions`, a saved query's batches); whoever stops reading
early (a client gone, an error, a limit reached) must close it, or the connection stays checked
out until the garbage collector finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def close_source(source: object) -> None:
    """Close `source` when it can be closed (a generator, a cursor); a list needs nothing."""
    close = getattr(source, "close", None)
    if close is not None:
        close()


@contextmanager
def closing_source(source: object) -> Iterator[None]:
    """Close `source` when the block ends, however it ends."""
    try:
        yield
    finally:
        close_source(source)
