"""Streamed answers whose producer holds a database connection (row reads, exports).

Litestar iterates a sync iterator in worker threads but never closes it when the client goes
away, which left a PostgreSQL transaction (and its server-side cursor) open, blocking DROP TABLE
and ADD COLUMN on that table. Here the iterator is driven from an async generator that always
closes it, in a worker thread and shielded from the cancellation that a disconnect causes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import anyio
from litestar.response import Stream
from litestar.response.base import ASGIResponse

if TYPE_CHECKING:
    from litestar import Request


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


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


class WholeAnswer(Stream):
    """A streamed route's answer that was complete before its status was sent (a saved query
    by key): sent as one body with its length, without what a stream costs per request (a task
    group listening for a disconnect, chunked encoding, one write per chunk). A Stream still, so
    the route and its OpenAPI stay those of a stream, and `iterator` still yields the bytes."""

    def __init__(self, body: bytes, **options: Any) -> None:
        super().__init__(_once(body), **options)
        self.body = body

    def to_asgi_response(  # type: ignore[override]
        self,
        app: Any,
        request: Request[Any, Any, Any],
        *,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: str | None = None,
        status_code: int | None = None,
        **_ignored: Any,
    ) -> ASGIResponse:
        self.iterator = _once(b"")  # the body goes out whole: nothing is left to iterate
        return ASGIResponse(
            background=self.background,
            body=self.body,
            cookies=self.cookies,
            encoding=self.encoding,
            headers={**headers, **self.headers} if headers is not None else self.headers,
            is_head_response=is_head_response,
            media_type=self.media_type or media_type,
            status_code=self.status_code or status_code,
        )
