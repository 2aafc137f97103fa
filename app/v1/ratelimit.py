"""Rate limits of the v1 API: per API key, one bucket for reads (GET, HEAD) and one for writes,
counted by Litestar's RateLimitMiddleware in a Litestar store shared by every server process:
Redis when CUSTOMTABLES_REDIS_URL is set, else the metadata database (app/dbstore.py).

Both middlewares key their history as `RateLimitMiddleware::<identifier>`, so the identifier
carries the bucket. The key itself is hashed: the store never sees a token.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, get_args

import anyio
import sqlalchemy as sa
from litestar import Litestar, Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig, get_remote_address
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from app.dbstore import DatabaseStore
from app.settings import Settings

STORE_NAME = "v1_rate_limit"
READ_METHODS = frozenset({"GET", "HEAD"})


def _identifier(bucket: str) -> Any:
    def identify(request: Request[Any, Any, Any]) -> str:
        key = request.headers.get("x-api-key")
        if key:
            who = hashlib.sha256(key.encode()).hexdigest()[:32]
        else:  # requests without a key are refused (401) but still counted, per address
            who = f"addr:{get_remote_address(request)}"
        return f"v1:{bucket}:{who}"

    return identify


def _is_read(request: Request[Any, Any, Any]) -> bool:
    return request.method in READ_METHODS


def _is_write(request: Request[Any, Any, Any]) -> bool:
    return request.method not in READ_METHODS


def _window(settings: Settings) -> DurationUnit:
    window = settings.rate_limit_window
    if window not in get_args(DurationUnit):
        raise ValueError(
            f"CUSTOMTABLES_RATE_LIMIT_WINDOW must be one of {get_args(DurationUnit)}, "
            f"not {window!r}"
        )
    return window  # type: ignore[return-value]


def middleware(settings: Settings) -> list[DefineMiddleware]:
    window = _window(settings)
    buckets = (
        ("reads", settings.rate_limit_reads, _is_read),
        ("writes", settings.rate_limit_writes, _is_write),
    )
    return [
        RateLimitConfig(
            rate_limit=(window, limit),
            identifier_for_request=_identifier(bucket),
            check_throttle_handler=applies,
            store=STORE_NAME,
        ).middleware
        for bucket, limit, applies in buckets
    ]


def stores(settings: Settings, engine: sa.Engine | None = None) -> dict[str, Store]:
    """The rate-limit store: Redis when configured (needs the `redis` extra), else the
    metadata database (`engine`), so workers and hosts share the counts; memory without one."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        return {
            STORE_NAME: RedisStore.with_client(
                url=settings.redis_url, namespace="customtables:v1_rate_limit"
            )
        }
    if engine is not None:
        return {STORE_NAME: DatabaseStore(engine, namespace="v1_rate_limit")}
    return {STORE_NAME: MemoryStore()}


PURGE_SECONDS = 60.0


async def purge_forever(store: MemoryStore | DatabaseStore, every: float) -> None:
    """Drop expired counters now and then: a store only forgets a key when that key
    is read again, so counters of keys never seen twice (say, a stream of made-up API keys)
    would otherwise stay in memory for good."""
    while True:
        await anyio.sleep(every)
        await store.delete_expired()


@asynccontextmanager
async def purging(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: run `purge_forever` on the memory or database rate-limit store while
    serving (Redis expires keys itself)."""
    store = app.stores.get(STORE_NAME)
    if not isinstance(store, MemoryStore | DatabaseStore):
        yield
        return
    async with anyio.create_task_group() as group:
        group.start_soon(purge_forever, store, PURGE_SECONDS)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
