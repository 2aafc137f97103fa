"""Fair shares for heavy work (SPEC §9): saved-query runs, imports and exports.

Two things keep one tenant from starving the others. First, each tenant may have only
`tenant_heavy_limit` heavy requests in progress at once (default 4); one more is refused at
once with 429 and `Retry-After`, before it costs anything. Second, heavy work runs in threads
counted by a limiter of its own (`heavy_threads`), never by the shared limiter that Litestar's
`sync_to_thread` handlers use, so light requests (table lists, row reads, writes) of any
tenant never queue behind heavy ones, however many tenants run them.

The count is per server process: with `--workers N` a tenant may run N times the limit, which
still bounds each process.
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.response import Stream

from app.streaming import WholeAnswer
from app.tokens import Principal
from ddl.errors import RateLimited

T = TypeVar("T")
RETRY_AFTER_SECONDS = 1


class TooManyHeavy(RateLimited):
    """429 with `Retry-After`: the tenant already runs its share of heavy requests."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This tenant already runs {limit} saved queries, imports or exports at once; "
            f"retry after {RETRY_AFTER_SECONDS} second"
        )
        self.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class Slot:
    """One admitted request; `release` is idempotent and thread-safe."""

    def __init__(self, heavy: TenantShare, tenant: str) -> None:
        self._heavy = heavy
        self._tenant = tenant
        self._held = True

    def release(self) -> None:
        with self._heavy.lock:
            if not self._held:
                return
            self._held = False
            left = self._heavy.running[self._tenant] - 1
            if left:
                self._heavy.running[self._tenant] = left
            else:
                del self._heavy.running[self._tenant]


class TenantShare:
    """How many requests of one kind each tenant has in progress, at most `per_tenant`: one
    more is refused at once with `refusal` (a 429)."""

    def __init__(self, per_tenant: int, refusal: Callable[[int], RateLimited]) -> None:
        self.per_tenant = max(1, per_tenant)
        self.refusal = refusal
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}

    def admit(self, tenant: str) -> Slot:
        with self.lock:
            running = self.running.get(tenant, 0)
            if running >= self.per_tenant:
                raise self.refusal(self.per_tenant)
            self.running[tenant] = running + 1
        return Slot(self, tenant)


class Heavy(TenantShare):
    """The per-tenant admission counts and the heavy-work thread limiter of one app."""

    def __init__(self, per_tenant: int, threads: int) -> None:
        super().__init__(per_tenant, TooManyHeavy)
        self.threads = max(1, threads)
        self._limiter: anyio.CapacityLimiter | None = None
        self._held: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made on first use: it belongs to the running event loop
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    @property
    def held_thread(self) -> anyio.CapacityLimiter:
        """For a hop whose heavy thread was taken beforehand (`admitted_for`): no limit of its
        own, and not the shared default limiter that light work counts on."""
        if self._held is None:
            self._held = anyio.CapacityLimiter(math.inf)
        return self._held

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self.limiter)


def heavy_of(request: Request[Any, Any, Any]) -> Heavy:
    """The app's Heavy, made from its settings on first use."""
    state = request.app.state
    found = getattr(state, "heavy", None)
    if found is None:
        settings = state.settings
        found = state.heavy = Heavy(settings.tenant_heavy_limit, settings.heavy_threads)
    return found


def holding(slot: Slot, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks`, with the slot released when they end, fail or are closed (or collected)."""
    try:
        yield from chunks
    finally:
        slot.release()


PREFETCH_BYTES = 64 * 1024  # what the first hop reads ahead: most answers end within it


class _Started:
    """What the first hop produced: the chunks read ahead (at least one), whether the
    producer ended within them, and an error it raised after the first chunk (raised again
    where the stream reaches it, as if it had been read there)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        first = next(chunks, None)  # an error here is the answer's status
        self.ahead = [b"" if first is None else first]
        self.ended = first is None
        self.error: BaseException | None = None
        size = len(self.ahead[0])
        try:
            while not self.ended and size < PREFETCH_BYTES:
                chunk = next(chunks, None)
                if chunk is None:
                    self.ended = True
                else:
                    self.ahead.append(chunk)
                    size += len(chunk)
        except Exception as error:  # noqa: BLE001 (kept for the stream to raise in order)
            self.error = error
            self.ended = True


async def _drive(heavy: Heavy, started: _Started, rest: Iterator[bytes]) -> AsyncIterator[bytes]:
    try:
        for chunk in started.ahead:
            yield chunk
        if started.error is not None:
            raise started.error
        while not started.ended and (chunk := await heavy.run(next, rest, None)) is not None:
            yield chunk
    finally:
        close = getattr(rest, "close", None)
        if close is not None and not started.ended:  # an ended producer closed itself
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)


Prepare = Callable[[], tuple[Iterator[bytes], dict[str, Any]]]
_Begun = tuple[_Started, Iterator[bytes], dict[str, Any]]


def _begin(slot: Slot, prepare: Prepare) -> _Begun:
    """In the heavy pool: `prepare`, then read ahead; the slot goes with the chunks."""
    chunks, options = prepare()
    held = holding(slot, chunks)
    try:
        return _Started(held), held, options
    except BaseException:
        held.close()
        raise


def _answer(heavy: Heavy, begun: _Begun) -> Stream:
    ahead, chunks, options = begun
    if ahead.ended and ahead.error is None:  # the producer ended and released the slot
        return WholeAnswer(b"".join(ahead.ahead), **options)
    return Stream(_drive(heavy, ahead, chunks), **options)


async def admitted_stream(request: Request[Any, Any, Any], tenant: Any, prepare: Prepare) -> Stream:
    """The one way heavy work answers: admit it into the tenant's share (429 past it), run
    `prepare` in the heavy pool (it returns the chunks and the Stream's options), and stream
    from that pool; the slot is held until the stream ends, fails or is closed. `prepare`,
    the first chunk and what follows within PREFETCH_BYTES run in one hop to the pool: a
    small answer (a saved query by key) costs one thread hop, not four, and is sent whole
    (app/streaming.py WholeAnswer)."""
    heavy = heavy_of(request)
    slot = heavy.admit(tenant)
    try:
        begun = await heavy.run(_begin, slot, prepare)
    except BaseException:
        slot.release()
        raise
    return _answer(heavy, begun)


async def admitted_for(
    request: Request[Any, Any, Any],
    identify: Callable[[], Principal],
    prepare: Callable[[Principal], tuple[Iterator[bytes], dict[str, Any]]],
) -> Stream:
    """`admitted_stream` for a route that authenticates the caller itself (`identify`, in a
    worker thread). With a heavy thread free, the token is checked, the request admitted and
    the work begun in that one hop: a run by key pays one thread hop, not two (the principal
    dependency's and the heavy pool's). The thread is taken on the event loop before the hop
    (anyio's run_sync yields first, so a check of free threads would let a burst overbook the
    pool and queue unadmitted). With none free, the caller is identified and admitted (or
    refused) before it queues for one, exactly as `admitted_stream` does."""
    heavy = heavy_of(request)
    ticket = object()
    try:  # taken here, on the event loop: no other request can take it before the hop starts
        heavy.limiter.acquire_on_behalf_of_nowait(ticket)
    except anyio.WouldBlock:
        principal = await sync_to_thread(identify)
        return await admitted_stream(request, principal.tenant, lambda: prepare(principal))
    held: list[Slot] = []

    def begin() -> _Begun:
        principal = identify()
        held.append(heavy.admit(principal.tenant))
        return _begin(held[0], lambda: prepare(principal))

    try:
        begun = await anyio.to_thread.run_sync(begin, limiter=heavy.held_thread)
    except BaseException:
        for slot in held:
            slot.release()
        raise
    finally:
        heavy.limiter.release_on_behalf_of(ticket)
    return _answer(heavy, begun)
