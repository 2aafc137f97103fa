"""`client.v1`: the JustPaid v1 Tables API (SPEC §6), sync (`V1`) and async (`AsyncV1`). Answers
are unwrapped from `{"success": true, "data": …}`; errors become the same exceptions as v3's.
Tables are named by their `id`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from customtables.transport import AsyncTransport, Call, SyncTransport
from customtables.values import encode

T = TypeVar("T")
V1_BASE = "/api/v1"
MAX_LIMIT = 100  # the largest page the v1 API serves
Obj = dict[str, Any]


def _object(response: httpx.Response) -> Obj:
    data: Obj = msgspec.json.decode(response.content)["data"]
    return data


def _objects(response: httpx.Response) -> list[Obj]:
    data: list[Obj] = msgspec.json.decode(response.content)["data"]
    return data


def _deleted(response: httpx.Response) -> bool:
    return bool(_object(response)["deleted"])


def _path(table_id: str | None = None, row_id: str | None = None) -> str:
    path = f"{V1_BASE}/tables"
    if table_id is not None:
        path += f"/{quote(table_id, safe='')}"
    if row_id is not None:
        path += f"/rows/{quote(row_id, safe='')}"
    return path


def _call(
    method: str, path: str, parse: Callable[[httpx.Response], T], body: object = None, **params: int
) -> Call[T]:
    content = None if body is None else encode(body)
    return Call(method, path, parse, params or None, content, v1=True)


def table_fields(**given: Any) -> Obj:
    """The fields given, under the API's names (`max_rows` → `maxRows`)."""
    names = {"max_rows": "maxRows"}
    return {names.get(key, key): value for key, value in given.items() if value is not None}


def _row_body(data: Mapping[str, Any], position: float | None) -> Obj:
    body: Obj = {"data": dict(data)}
    if position is not None:
        body["position"] = position
    return body


class Calls:
    """Each v1 call as data, for both clients."""

    @staticmethod
    def tables() -> Call[list[Obj]]:
        return _call("GET", _path(), _objects)

    @staticmethod
    def table(table_id: str) -> Call[Obj]:
        return _call("GET", _path(table_id), _object)

    @staticmethod
    def create_table(body: Obj) -> Call[Obj]:
        return _call("POST", _path(), _object, body)

    @staticmethod
    def update_table(table_id: str, body: Obj) -> Call[Obj]:
        return _call("PATCH", _path(table_id), _object, body)

    @staticmethod
    def delete_table(table_id: str) -> Call[bool]:
        return _call("DELETE", _path(table_id), _deleted)

    @staticmethod
    def rows(table_id: str, limit: int, offset: int) -> Call[list[Obj]]:
        return _call("GET", _path(table_id) + "/rows", _objects, limit=limit, offset=offset)

    @staticmethod
    def create_row(table_id: str, data: Mapping[str, Any], position: float | None) -> Call[Obj]:
        return _call("POST", _path(table_id) + "/rows", _object, _row_body(data, position))

    @staticmethod
    def update_row(
        table_id: str, row_id: str, data: Mapping[str, Any], position: float | None
    ) -> Call[Obj]:
        return _call("PATCH", _path(table_id, row_id), _object, _row_body(data, position))

    @staticmethod
    def delete_row(table_id: str, row_id: str) -> Call[bool]:
        return _call("DELETE", _path(table_id, row_id), _deleted)

    @staticmethod
    def audit_logs(limit: int, offset: int) -> Call[list[Obj]]:
        return _call("GET", f"{V1_BASE}/audit-logs", _objects, limit=limit, offset=offset)


Columns = Sequence[Mapping[str, Any]] | None


class V1:
    """The v1 Tables API on the sync client."""

    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def tables(self) -> list[Obj]:
        return self._t.run(Calls.tables())

    def table(self, table_id: str) -> Obj:
        return self._t.run(Calls.table(table_id))

    def create_table(
        self, name: str, *, description: str | None = None, columns: Columns = None,
        schema: Obj | None = None, metadata: Obj | None = None, max_rows: int | None = None,
    ) -> Obj:  # fmt: skip
        body = table_fields(name=name, description=description, columns=columns, schema=schema,
                            metadata=metadata, max_rows=max_rows)  # fmt: skip
        return self._t.run(Calls.create_table(body))

    def update_table(self, table_id: str, **fields: Any) -> Obj:
        """Change the fields given (`name`, `description`, `columns`, `schema`, `metadata`,
        `max_rows`); the others keep their values."""
        return self._t.run(Calls.update_table(table_id, table_fields(**fields)))

    def delete_table(self, table_id: str) -> bool:
        return self._t.run(Calls.delete_table(table_id))

    def rows(self, table_id: str, limit: int = 50, offset: int = 0) -> list[Obj]:
        """One page of rows (`limit` 1..100), in position then creation order."""
        return self._t.run(Calls.rows(table_id, limit, offset))

    def iter_rows(self, table_id: str, page_size: int = MAX_LIMIT) -> Iterator[Obj]:
        """Every row, a page at a time."""
        offset = 0
        while page := self.rows(table_id, page_size, offset):
            yield from page
            if len(page) < page_size:
                return
            offset += len(page)

    def create_row(
        self, table_id: str, data: Mapping[str, Any], position: float | None = None
    ) -> Obj:
        return self._t.run(Calls.create_row(table_id, data, position))

    def update_row(
        self, table_id: str, row_id: str, data: Mapping[str, Any], position: float | None = None
    ) -> Obj:
        """Replace the row's whole `data` (v1 PATCH semantics)."""
        return self._t.run(Calls.update_row(table_id, row_id, data, position))

    def delete_row(self, table_id: str, row_id: str) -> bool:
        return self._t.run(Calls.delete_row(table_id, row_id))

    def audit_logs(self, limit: int = 50, offset: int = 0) -> list[Obj]:
        return self._t.run(Calls.audit_logs(limit, offset))


class AsyncV1:
    """The v1 Tables API on the async client."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def tables(self) -> list[Obj]:
        return await self._t.run(Calls.tables())

    async def table(self, table_id: str) -> Obj:
        return await self._t.run(Calls.table(table_id))

    async def create_table(
        self, name: str, *, description: str | None = None, columns: Columns = None,
        schema: Obj | None = None, metadata: Obj | None = None, max_rows: int | None = None,
    ) -> Obj:  # fmt: skip
        body = table_fields(name=name, description=description, columns=columns, schema=schema,
                            metadata=metadata, max_rows=max_rows)  # fmt: skip
        return await self._t.run(Calls.create_table(body))

    async def update_table(self, table_id: str, **fields: Any) -> Obj:
        return await self._t.run(Calls.update_table(table_id, table_fields(**fields)))

    async def delete_table(self, table_id: str) -> bool:
        return await self._t.run(Calls.delete_table(table_id))

    async def rows(self, table_id: str, limit: int = 50, offset: int = 0) -> list[Obj]:
        return await self._t.run(Calls.rows(table_id, limit, offset))

    async def iter_rows(self, table_id: str, page_size: int = MAX_LIMIT) -> AsyncIterator[Obj]:
        offset = 0
        while page := await self.rows(table_id, page_size, offset):
            for row in page:
                yield row
            if len(page) < page_size:
                return
            offset += len(page)

    async def create_row(
        self, table_id: str, data: Mapping[str, Any], position: float | None = None
    ) -> Obj:
        return await self._t.run(Calls.create_row(table_id, data, position))

    async def update_row(
        self, table_id: str, row_id: str, data: Mapping[str, Any], position: float | None = None
    ) -> Obj:
        return await self._t.run(Calls.update_row(table_id, row_id, data, position))

    async def delete_row(self, table_id: str, row_id: str) -> bool:
        return await self._t.run(Calls.delete_row(table_id, row_id))

    async def audit_logs(self, limit: int = 50, offset: int = 0) -> list[Obj]:
        return await self._t.run(Calls.audit_logs(limit, offset))
