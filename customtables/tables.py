"""`client.table(name)`: the source SDK's `SW.Document.CustomTable.*` calls on one table, sync
(`Table`) and async (`AsyncTable`). Both build the same `calls`; only the sending differs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import httpx

from customtables import calls, files
from customtables.batches import DEFAULT_BATCH_SIZE, Limit, Totals, at_row, chunks
from customtables.calls import WriteResult
from customtables.errors import PayloadTooLarge, ValidationError
from customtables.paging import DEFAULT_PAGE_SIZE, Pager
from customtables.transport import AsyncTransport, Call, SyncTransport
from customtables.values import Row, decoder_for

OrderBy = str | Sequence[str] | None


def _read_params(where: str | None, order_by: OrderBy) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    if where is not None:
        params["Where"] = where
    if (text := calls.order_by_text(order_by)) is not None:
        params["OrderBy"] = text
    return params


def _typed_keys(result: WriteResult, definition: Mapping[str, Any]) -> WriteResult:
    step = decoder_for(definition["KeyDataTypeId"])
    if step is not None:
        result.keys[:] = [None if key is None else step(key) for key in result.keys]
    return result


class Table:
    """One table of the tenant; the definition is read once and kept (`refresh()` re-reads)."""

    def __init__(
        self, transport: SyncTransport, name: str, definition: dict[str, Any] | None = None
    ) -> None:
        self._t = transport
        self.name = name
        self._definition = definition

    def definition(self) -> dict[str, Any]:
        """The table's definition (`TableName`, `KeyColumnName`, `Columns`, `RowCount`, …)."""
        if self._definition is None:
            self._definition = self._t.run(calls.get_definition(self.name))
        return self._definition

    def refresh(self) -> dict[str, Any]:
        self._definition = None
        return self.definition()

    def key_column(self) -> str:
        """The key column's name, as the definition spells it."""
        return str(self.definition()["KeyColumnName"])

    def get(self, key: object) -> Row:
        """One row as a dict keyed by column name, key included; NotFound when missing."""
        return self._t.run(calls.get_row(self.name, key))

    def get_all(
        self,
        where: str | None = None,
        order_by: OrderBy = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Row]:
        """Every row (that `where` accepts), in key order unless `order_by` says otherwise,
        read a page at a time (keyset paging), so memory stays flat whatever the table size."""
        pager = Pager(self.name, self.refresh(), _read_params(where, order_by), page_size)
        call: Call[httpx.Response] | None = pager.first()
        while call is not None:
            response = self._t.send(call)
            page = pager.rows(response)
            yield from page
            call = pager.next(response, len(page))

    def save(self, row: Mapping[str, Any]) -> Any:
        """Insert or update one row (a dict holding the key column); returns its key."""
        return self.save_many([row]).keys[0]

    def save_many(
        self, rows: Iterable[Mapping[str, Any]], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> WriteResult:
        """UpsertMany in batches of at most `batch_size` rows (smaller when the server's
        limit is lower). Each batch is atomic; batches before a failing one stay written.
        A ValidationError's `row` is the index in `rows`."""
        definition = self.definition()
        key, totals, limit = str(definition["KeyColumnName"]), Totals(), Limit(batch_size)
        for start, chunk in chunks(rows, batch_size):
            done = 0
            while done < len(chunk):
                part = chunk[done : done + limit.size]
                try:
                    totals.add(self._t.run(calls.upsert_many(self.name, key, part)))
                except PayloadTooLarge as error:
                    limit.shrink(len(part), error)
                    continue
                except ValidationError as error:
                    raise at_row(error, start + done) from None
                done += len(part)
        return _typed_keys(totals.result(), definition)

    def delete(self, key: object) -> int:
        """Delete one row by key; NotFound when there is none."""
        return self._t.run(calls.delete_one(self.name, key))

    def delete_many(self, keys: Iterable[object], batch_size: int = DEFAULT_BATCH_SIZE) -> int:
        """Delete rows by key (keys with no row are skipped); returns how many were deleted."""
        return sum(
            self._t.run(calls.delete_many(self.name, part)) for _, part in chunks(keys, batch_size)
        )

    def delete_all(self) -> int:
        return self._t.run(calls.delete_all(self.name))

    def delete_where(self, where: str) -> int:
        """Delete the rows a T-SQL condition accepts (SPEC §10 `DeleteWhere`)."""
        return self._t.run(calls.delete_where(self.name, where))

    def export(
        self, path: str | PathLike[str], format: str = "json", where: str | None = None
    ) -> Path:
        """The table as a file (`json`: the export file; `csv`), streamed to `path`."""
        response = self._t.send(files.export_call(self.name, format, where), stream=True)
        return files.write_response(response, Path(path))

    def import_(
        self,
        path: str | PathLike[str],
        mode: str = "upsert",
        *,
        format: str | None = None,
        key: str | None = None,
        types: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Import a file (JSON export file or CSV, by `format` or the suffix), streamed:
        `mode="replace"` deletes the old rows first. All or nothing on the server."""
        source = Path(path)
        call = files.import_call(self.name, files.import_format(source, format), mode, key, types)
        response = self._t.send(call, body=lambda: files.read_chunks(source))
        self._definition = None  # the import may have created the table or added columns
        return call.parse(response)

    def set_roles(self, read: Sequence[str] = (), save: Sequence[str] = ()) -> dict[str, Any]:
        """Who may read and write the rows (Admin); empty means any user of the tenant."""
        self._definition = self._t.run(calls.set_roles(self.definition()["Id"], read, save))
        return self._definition


class AsyncTable:
    """`Table` with coroutines; `get_all` is an async iterator."""

    def __init__(
        self, transport: AsyncTransport, name: str, definition: dict[str, Any] | None = None
    ) -> None:
        self._t = transport
        self.name = name
        self._definition = definition

    async def definition(self) -> dict[str, Any]:
        if self._definition is None:
            self._definition = await self._t.run(calls.get_definition(self.name))
        return self._definition

    async def refresh(self) -> dict[str, Any]:
        self._definition = None
        return await self.definition()

    async def key_column(self) -> str:
        return str((await self.definition())["KeyColumnName"])

    async def get(self, key: object) -> Row:
        return await self._t.run(calls.get_row(self.name, key))

    async def get_all(
        self,
        where: str | None = None,
        order_by: OrderBy = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Row]:
        pager = Pager(self.name, await self.refresh(), _read_params(where, order_by), page_size)
        call: Call[httpx.Response] | None = pager.first()
        while call is not None:
            response = await self._t.send(call)
            page = pager.rows(response)
            for row in page:
                yield row
            call = pager.next(response, len(page))

    async def save(self, row: Mapping[str, Any]) -> Any:
        return (await self.save_many([row])).keys[0]

    async def save_many(
        self, rows: Iterable[Mapping[str, Any]], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> WriteResult:
        definition = await self.definition()
        key, totals, limit = str(definition["KeyColumnName"]), Totals(), Limit(batch_size)
        for start, chunk in chunks(rows, batch_size):
            done = 0
            while done < len(chunk):
                part = chunk[done : done + limit.size]
                try:
                    totals.add(await self._t.run(calls.upsert_many(self.name, key, part)))
                except PayloadTooLarge as error:
                    limit.shrink(len(part), error)
                    continue
                except ValidationError as error:
                    raise at_row(error, start + done) from None
                done += len(part)
        return _typed_keys(totals.result(), definition)

    async def delete(self, key: object) -> int:
        return await self._t.run(calls.delete_one(self.name, key))

    async def delete_many(
        self, keys: Iterable[object], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> int:
        deleted = 0
        for _, part in chunks(keys, batch_size):
            deleted += await self._t.run(calls.delete_many(self.name, part))
        return deleted

    async def delete_all(self) -> int:
        return await self._t.run(calls.delete_all(self.name))

    async def delete_where(self, where: str) -> int:
        return await self._t.run(calls.delete_where(self.name, where))

    async def export(
        self, path: str | PathLike[str], format: str = "json", where: str | None = None
    ) -> Path:
        response = await self._t.send(files.export_call(self.name, format, where), stream=True)
        return await files.awrite_response(response, Path(path))

    async def import_(
        self,
        path: str | PathLike[str],
        mode: str = "upsert",
        *,
        format: str | None = None,
        key: str | None = None,
        types: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        source = Path(path)
        call = files.import_call(self.name, files.import_format(source, format), mode, key, types)
        response = await self._t.send(call, body=lambda: files.aread_chunks(source))
        self._definition = None
        return call.parse(response)

    async def set_roles(self, read: Sequence[str] = (), save: Sequence[str] = ()) -> dict[str, Any]:
        definition = await self.definition()
        self._definition = await self._t.run(calls.set_roles(definition["Id"], read, save))
        return self._definition
