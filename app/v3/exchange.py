"""v3 export and import of a custom table (SPEC §4 file format): parse, authorise, call the
engine, shape the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from app import openapi_examples as ex
from app.auth import PrincipalDep, TenancyDep
from app.heavy import admitted_stream, heavy_of
from app.openapi import MULTIPART, MULTIPART_FILE, body_of
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
    return media_type.split(";", maxsplit=1)[0].strip().lower() == answer_format.CSV


EXPORTED = {
    200: ResponseSpec(
        ExportFile,
        description="The export file (an attachment), streamed; CSV with `Format=csv`",
        generate_examples=False,
        examples=ex.example_list(ProductCatalog=ex.EXPORT_FILE),
    )
}


class ExchangeController(Controller):
    path = "/api/v3/custom-tables"
    tags = ["Custom tables"]
    security = [{"AccessToken": []}]

    @get(
        "/{table_name:str}/export",
        operation_class=answer_format.with_csv(),
        responses=EXPORTED,
        opt={"heavy": True, "timed": True},  # a Where has the saved-query time limit
        description=(
            "The table as a JSON file (attachment), streamed in key order; as a CSV file "
            "(`Format=csv` or `Accept: text/csv`) with a header row, key first; with `Where`, "
            "only the rows that match. Counts against the tenant's share of heavy requests "
            "(429 with Retry-After past it)."
        ),
    )
    async def export_table(
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
        csv = answer_format.wants_csv(format, request.headers.get("accept"))
        suffix, media_type = ("csv", answer_format.CSV) if csv else ("json", answer_format.JSON)
        export = exchange_csv.export_csv if csv else exchange.export_table

        def prepare() -> tuple[Iterator[bytes], dict[str, Any]]:
            definition, chunks = export(space, caller, table_name, where=selected)
            attachment = f'attachment; filename="{definition.name}.{suffix}"'
            headers = {"Content-Disposition": attachment}
            return chunks, {"media_type": media_type, "headers": headers}

        return await admitted_stream(request, principal.tenant, prepare)

    @put(
        "/{table_name:str}/import",
        # A raw text/csv body is read too (see the description) but not listed: client
        # generators refuse a text/csv request body, and the multipart form carries CSV as well.
        operation_class=body_of(
            ExportFile,
            examples=ex.examples(ProductCatalog=ex.EXPORT_FILE),
            also={MULTIPART: MULTIPART_FILE},
        ),
        request_max_body_size=None,  # the upload limit is enforced while spooling (settings)
        opt={"media_types": list(UPLOAD_MEDIA_TYPES), "heavy": True},
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
        heavy = heavy_of(request)
        slot = heavy.admit(principal.tenant)  # before the body is read: refusing costs nothing
        try:
            limit = tenancy.settings.max_upload_bytes
            upload, media_type = await spool_typed_upload(request, limit)
        except BaseException:
            slot.release()
            raise
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
            result = await heavy.run(run)
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
