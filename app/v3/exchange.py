"""v3 export and import of a custom table (SPEC §4 file format): parse, authorise, call the
engine, shape the answer."""

from __future__ import annotations

from typing import IO, Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from app.auth import PrincipalDep, TenancyDep
from app.heavy import heavy_of, holding, start_stream
from app.openapi import body_of
from app.uploads import spool_upload
from app.v3 import shapes
from app.v3.params import TableName
from ddl import exchange
from ddl.exchange_file import FileTable


class ExportFile(msgspec.Struct):
    """The export file: rows flat, keyed by column name, key included."""

    Format: str
    Table: FileTable
    Rows: list[dict[str, Any]]


class ImportResult(msgspec.Struct):
    Created: bool
    ColumnsAdded: list[str]
    Inserted: int
    Updated: int
    Deleted: int


_BUSY = {
    429: ResponseSpec(
        None, description="The tenant already runs its share of heavy requests (Retry-After)"
    )
}


class ExchangeController(Controller):
    path = "/api/v3/custom-tables"
    tags = ["Custom tables"]
    security = [{"AccessToken": []}]

    @get(
        "/{table_name:str}/export",
        responses=_BUSY,
        description=(
            "The table as a JSON file (attachment), streamed in key order. Counts against the "
            "tenant's share of heavy requests (429 with Retry-After past it)."
        ),
    )
    async def export_table(
        self,
        table_name: TableName,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
    ) -> Stream:
        heavy = heavy_of(request)
        slot = heavy.admit(principal.tenant)  # released when the stream ends (app/heavy.py)
        try:
            definition, chunks = await heavy.run(
                lambda: exchange.export_table(
                    tenancy.space(principal.tenant), principal.caller, table_name
                )
            )
        except BaseException:
            slot.release()
            raise
        return await start_stream(
            heavy,
            holding(slot, chunks),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{definition.name}.json"'},
        )

    @put(
        "/{table_name:str}/import",
        operation_class=body_of(ExportFile),
        request_max_body_size=None,
        responses=_BUSY,  # the upload limit is enforced while spooling (settings)
        description=(
            "Import an export file (raw JSON body, or multipart field `file`): creates the table "
            "when missing, adds missing columns, upserts every row (Mode=replace deletes the old "
            "rows first). All or nothing."
        ),
    )
    async def import_table(
        self,
        table_name: TableName,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
        mode: Annotated[
            str | None, QueryParameter(name="Mode", description="'upsert' (default) or 'replace'")
        ] = None,
    ) -> Response[ImportResult]:
        kind = exchange.ImportMode.parse(mode)
        heavy = heavy_of(request)
        slot = heavy.admit(principal.tenant)  # before the body is read: refusing costs nothing
        try:
            upload: IO[bytes] = await spool_upload(request, tenancy.settings.max_upload_bytes)
        except BaseException:
            slot.release()
            raise
        try:
            result = await heavy.run(
                lambda: exchange.import_table(
                    tenancy.space(principal.tenant),
                    principal.caller,
                    table_name,
                    upload,  # type: ignore[arg-type]
                    kind,
                )
            )
        finally:
            upload.close()
            slot.release()
        return shapes.json_response(
            ImportResult(
                result.created,
                result.columns_added,
                result.inserted,
                result.updated,
                result.deleted,
            )
        )
