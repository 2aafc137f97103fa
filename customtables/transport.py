"""One HTTP call and its retries, shared by the sync and the async client: a `Call` says what to
send and how to read the answer; a transport sends it on one pooled httpx client, waits out a 429
as `Retry-After` says, retries a failed connection only when the call is idempotent (a write
that may have reached the server is never sent twice), and turns error answers into exceptions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from customtables.errors import CustomTablesError, RateLimited, TransportError, error_from

T = TypeVar("T")
Params = Mapping[str, str | int]
SyncBody = Callable[[], bytes | Iterator[bytes]]
AsyncBody = Callable[[], bytes | AsyncIterator[bytes]]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request: `path` is below the base URL (or a full URL the server gave in `Link`)."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Params | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    v1: bool = False
    idempotent: bool | None = None  # None: as HTTP says of the method

    @property
    def retry_on_connection_error(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method in IDEMPOTENT_METHODS


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` extra attempts at most; a 429 waits `Retry-After` (never longer than
    `max_wait`: past it the RateLimited is raised at once); a connection error waits
    `backoff` seconds, doubling each time."""

    retries: int = 3
    max_wait: float = 60.0
    backoff: float = 0.5

    def after_status(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before sending again, or None to give the answer back."""
        if response.status_code != 429 or attempt >= self.retries:
            return None
        error = error_from(response)
        assert isinstance(error, RateLimited)
        wait = 1.0 if error.retry_after is None else error.retry_after
        return wait if wait <= self.max_wait else None

    def after_error(self, call: Call[Any], attempt: int) -> float | None:
        if not call.retry_on_connection_error or attempt >= self.retries:
            return None
        return self.backoff * float(2**attempt)


@dataclass
class Auth:
    """The headers of each API: v3 `X-AccessToken`, v1 `x-api-key`."""

    token: str
    v1_token: str | None = None
    user_agent: str = "customtables-python"

    def headers(self, call: Call[Any], has_body: bool) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent}  # no Accept: `Format=csv` asks for CSV
        if call.v1:
            headers["x-api-key"] = self.v1_token or self.token
        else:
            headers["X-AccessToken"] = self.token
        if has_body:
            headers["Content-Type"] = call.content_type
        return headers

    def request(
        self, http: httpx.Client | httpx.AsyncClient, call: Call[Any], content: Any
    ) -> httpx.Request:
        """The request of one attempt; `content` is the call's body or a fresh stream of it."""
        return http.build_request(
            call.method, call.path, params=call.params, content=content,
            headers=self.headers(call, content is not None),
        )  # fmt: skip


def _no_answer(call: Call[Any], exc: httpx.TransportError) -> TransportError:
    kind = type(exc).__name__
    return TransportError(f"{call.method} {call.path}: no answer from the server ({kind})")


@dataclass
class SyncTransport:
    http: httpx.Client
    auth: Auth
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def send(
        self, call: Call[Any], *, stream: bool = False, body: SyncBody | None = None
    ) -> httpx.Response:
        """The successful answer (unread when `stream`); an exception for any other."""
        attempt = 0
        while True:
            try:
                request = self.auth.request(self.http, call, body() if body else call.body)
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                wait = self.policy.after_error(call, attempt)
                if wait is None:
                    raise _no_answer(call, exc) from exc
            else:
                if response.is_success:
                    return response
                response.read()
                wait = self.policy.after_status(response, attempt)
                if wait is None:
                    raise error_from(response)
                response.close()
            time.sleep(wait)
            attempt += 1

    def run(self, call: Call[T]) -> T:
        return call.parse(self.send(call))


@dataclass
class AsyncTransport:
    http: httpx.AsyncClient
    auth: Auth
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    async def send(
        self, call: Call[Any], *, stream: bool = False, body: AsyncBody | None = None
    ) -> httpx.Response:
        """The successful answer (unread when `stream`); an exception for any other."""
        attempt = 0
        while True:
            try:
                request = self.auth.request(self.http, call, body() if body else call.body)
                response = await self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                wait = self.policy.after_error(call, attempt)
                if wait is None:
                    raise _no_answer(call, exc) from exc
            else:
                if response.is_success:
                    return response
                await response.aread()
                wait = self.policy.after_status(response, attempt)
                if wait is None:
                    raise error_from(response)
                await response.aclose()
            await asyncio.sleep(wait)
            attempt += 1

    async def run(self, call: Call[T]) -> T:
        return call.parse(await self.send(call))


__all__ = ["AsyncTransport", "Auth", "Call", "CustomTablesError", "RetryPolicy", "SyncTransport"]
