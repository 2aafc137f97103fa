"""Streamed answers whose producer holds a database connection (row reads, exports).

Litestar iterates a sync iterator in worker threads but never closes it when the client goes
away, which left a PostgreSQL transaction (and its server-side cursor) open, blocking DROP TABLE
and ADD COLUMN on that table. Here the iterator is driven from an async generator that always
closes it, in a worker thread and shielded from the cancellation that a disconnect causes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from litestar.response import Stream


async def _closing(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)


def closing_stream(chunks: Iterator[bytes], **kwargs: Any) -> Stream:
    return Stream(_closing(chunks), **kwargs)
