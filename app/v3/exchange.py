"""v3 export and import of a custom table (SPEC §4 file format): parse, authorise, call the
engine, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.params import QueryParameter
from litestar.response import Stream

from app.auth import PrincipalDep, TenancyDep
from app.openapi import body_of
from app.streaming import closing_stream
from app.uploads import UPLOAD_MEDIA_TYPES, spool_typed_upload
from app.v3 import answer_format, paging, shapes
from app.v3.params import TableName
from ddl import exchange, exchange_csv
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


def _is_csv(format: str | None, media_type: str) -> bool:
    """`Format` when given, else the body's (or the multipart file's) media type."""
    if format is not None and format.strip():
        return answer_format.wants_csv(format, None)
    return media_type.split(";")[0].strip().lower() == answer_format.CSV


class ExchangeController(Controller):
    path = "/api/v3/custom-tables"
    tags = ["Custom tables"]
    security = [{"AccessToken": []}]

    @get(
        "/{table_name:str}/export",
        sync_to_thread=True,
        operation_class=answer_format.with_csv(),
        description=(
            "The table as a JSON file (attachment), streamed in key order; as a CSV file "
            "(`Format=csv` or `Accept: text/csv`) with a header row, key first; with `Where`, "
            "only the rows that match."
        ),
    )
    def export_table(
        self,
        table_name: TableName,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
        format: Annotated[
            str | None, QueryParameter(name="Format", description="'json' (default) or 'csv'")
        ] = None,
        where: Annotated[
            str | None, QueryParameter(name="Where", description=paging.WHERE_DESCRIPTION)
        ] = None,
    ) -> Stream:
        space, caller = tenancy.space(principal.tenant), principal.caller
        selected = paging.where_builder(space, where) if where is not None else None
        if answer_format.wants_csv(format, request.headers.get("accept")):
            table, csv = exchange_csv.export_csv(space, caller, table_name, where=selected)
            return answer_format.csv_response(csv, filename=f"{table.name}.csv")
        definition, chunks = exchange.export_table(space, caller, table_name, where=selected)
        return closing_stream(
            chunks,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{definition.name}.json"'},
        )

    @put(
        "/{table_name:str}/import",
        operation_class=answer_format.with_csv(body_of(ExportFile), answer=False, body=True),
        request_max_body_size=None,  # the upload limit is enforced while spooling (settings)
        opt={"media_types": list(UPLOAD_MEDIA_TYPES)},
        description=(
            "Import an export file (raw JSON body, or multipart field `file`): creates the table "
            "when missing, adds missing columns, upserts every row (Mode=replace deletes the old "
            "rows first). All or nothing. A CSV file (`text/csv` body, a multipart `.csv` file, "
            "or `Format=csv`) has a header row of column names; a new table's key is named by "
            "`KeyColumnName` and column types come from `Types` or are inferred from the data."
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
        format: Annotated[
            str | None,
            QueryParameter(name="Format", description="'json' or 'csv' (default: by media type)"),
        ] = None,
        key_column: Annotated[
            str | None,
            QueryParameter(name="KeyColumnName", description="CSV: the key of a new table"),
        ] = None,
        types: Annotated[
            str | None,
            QueryParameter(
                name="Types",
                description="CSV: column types, e.g. `Name:6,Price:4,Code:11(30)`; others inferred",
            ),
        ] = None,
    ) -> Response[ImportResult]:
        kind = exchange.ImportMode.parse(mode)
        limit = tenancy.settings.max_upload_bytes
        upload, media_type = await spool_typed_upload(request, limit)
        csv = _is_csv(format, media_type)
        space, caller = tenancy.space(principal.tenant), principal.caller

        def run() -> exchange.ImportResult:
            source: Any = upload
            if csv:
                return exchange_csv.import_csv(
                    space, caller, table_name, source, kind, key_column=key_column, types=types
                )
            return exchange.import_table(space, caller, table_name, source, kind)

        try:
            result = await anyio.to_thread.run_sync(run)
        finally:
            upload.close()
        return shapes.json_response(
            ImportResult(
                result.created,
                result.columns_added,
                result.inserted,
                result.updated,
                result.deleted,
            )
        )
