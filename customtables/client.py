"""The Python client of the customtables server (SPEC §13), mirroring the source's SDK
(`SW.Document.CustomTable.*`):

    from customtables.client import Client

    with Client("http://127.0.0.1:8000", token) as client:
        client.create_table("ProductCatalog", key="Oid", columns={"Name": 6, "Price": 4})
        products = client.table("ProductCatalog")
        oid = products.save({"Name": "Product A", "Price": Decimal("29.99")})
        for row in products.get_all(where="Price > 10", order_by=["Name", "Price desc"]):
            ...

`AsyncClient` has the same methods as coroutines (`get_all` an async iterator). One pooled
HTTP connection set per client; a 429 is waited out as `Retry-After` says; a failed connection
is retried for idempotent calls only. Errors are the exceptions below."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from customtables import calls
from customtables.calls import ColumnSpec, QueryRows, WriteResult
from customtables.errors import (
    Conflict,
    CustomTablesError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
    Unauthorized,
    ValidationError,
)
from customtables.tables import AsyncTable, Table
from customtables.transport import AsyncTransport, Auth, RetryPolicy, SyncTransport
from customtables.v1 import V1, AsyncV1

__all__ = [
    "AsyncClient",
    "AsyncTable",
    "Client",
    "Conflict",
    "CustomTablesError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "QueryRows",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Table",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "ValidationError",
    "WriteResult",
]
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TimeoutSpec = float | httpx.Timeout | None


def _timeout(timeout: TimeoutSpec) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


class Client:
    """A connection to one server as one token (`v1_token` when the v1 key differs).
    `timeout` bounds each network wait (connect, each read, each write) in seconds;
    `retries`, `max_retry_wait` and `retry_backoff` say how often and how long a call is
    retried (see `RetryPolicy`); `http` lets a caller bring its own configured httpx client
    (its `base_url` must be the server's)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        v1_token: str | None = None,
        timeout: TimeoutSpec = DEFAULT_TIMEOUT,
        retries: int = 3,
        max_retry_wait: float = 60.0,
        retry_backoff: float = 0.5,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=_timeout(timeout))
        policy = RetryPolicy(retries, max_retry_wait, retry_backoff)
        self._t = SyncTransport(self._http, Auth(token, v1_token), policy)
        self.v1 = V1(self._t)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def table(self, name: str) -> Table:
        """A handle on one table (no request until a method is called)."""
        return Table(self._t, name)

    def tables(self) -> list[dict[str, Any]]:
        """Every table definition of the tenant."""
        return self._t.run(calls.list_tables())

    def create_table(
        self,
        name: str,
        key: str = "Oid",
        key_type: int = 9,
        columns: Mapping[str, ColumnSpec] | None = None,
        *,
        key_length: int | None = None,
    ) -> Table:
        """Create the table, or add the columns it lacks (Admin). `columns` maps a name to a
        type id, or to `(11, length)` for VarcharOther."""
        call = calls.create_table(name, key, key_type, columns or {}, key_length)
        definition = self._t.run(call)
        return Table(self._t, name, definition)

    def drop_table(self, name: str) -> bool:
        return self._t.run(calls.drop_table(name))

    def query(self, name: str, /, **params: Any) -> QueryRows:
        """Run a saved query; its rows (dicts), with `.columns` and `.truncated`."""
        return self._t.run(calls.run_query(name, params))


class AsyncClient:
    """`Client` with coroutines; `async with AsyncClient(url, token) as client: …`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        v1_token: str | None = None,
        timeout: TimeoutSpec = DEFAULT_TIMEOUT,
        retries: int = 3,
        max_retry_wait: float = 60.0,
        retry_backoff: float = 0.5,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=_timeout(timeout))
        policy = RetryPolicy(retries, max_retry_wait, retry_backoff)
        self._t = AsyncTransport(self._http, Auth(token, v1_token), policy)
        self.v1 = AsyncV1(self._t)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    def table(self, name: str) -> AsyncTable:
        """A handle on one table (a plain method: no request until a method is awaited)."""
        return AsyncTable(self._t, name)

    async def tables(self) -> list[dict[str, Any]]:
        return await self._t.run(calls.list_tables())

    async def create_table(
        self,
        name: str,
        key: str = "Oid",
        key_type: int = 9,
        columns: Mapping[str, ColumnSpec] | None = None,
        *,
        key_length: int | None = None,
    ) -> AsyncTable:
        call = calls.create_table(name, key, key_type, columns or {}, key_length)
        definition = await self._t.run(call)
        return AsyncTable(self._t, name, definition)

    async def drop_table(self, name: str) -> bool:
        return await self._t.run(calls.drop_table(name))

    async def query(self, name: str, /, **params: Any) -> QueryRows:
        return await self._t.run(calls.run_query(name, params))
