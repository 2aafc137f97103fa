"""v3 custom-table routes: parse, authorise, call the engine, shape the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from app import metrics
from app import openapi_examples as ex
from app.auth import PrincipalDep, TenancyDep, as_principal
from app.heavy import admitted_stream
from app.openapi import body_of
from app.streaming import closing_stream
from app.tokens import Principal
from app.v3 import answer_format, paging, shapes, writes
from app.v3.bodies import parse
from app.v3.params import TableName
from app.v3.schemas import (
    CreateTableRequest,
    DeleteRowsRequest,
    DeleteRowsResult,
    DropResult,
    RolesRequest,
    TableDefinition,
    WriteRowsRequest,
    WriteRowsResult,
    decoder,
)
from ddl import catalog, reads, rows, schema
from ddl.exchange_csv import columns_of
from ddl.formats.csv_write import csv_chunks
from ddl.formats.json_rows import ColumnValueOut, RowOut
from ddl.guard import Guard
from ddl.space import TenantSpace

_create = decoder(CreateTableRequest)
_delete = decoder(DeleteRowsRequest)
_roles = decoder(RolesRequest)

DefinitionId = Annotated[str, PathParameter(description="The Id of a table definition")]
CREATED_OR_EXTENDED = {
    201: ResponseSpec(
        TableDefinition,
        description="The table was created",
        generate_examples=False,
        examples=ex.example_list(ProductCatalog=ex.TABLE_DEFINITION),
    ),
    200: ResponseSpec(
        TableDefinition,
        description="The table existed: the columns it lacked were added (same name and type: "
        "no change)",
        generate_examples=False,
        examples=ex.example_list(ProductCatalog=ex.TABLE_DEFINITION),
    ),
}
ROWS_ANSWER = {
    200: ResponseSpec(
        list[RowOut] | list[dict[str, Any]],
        description="The rows, streamed: in the source's shape, or flat with `Format=flat` "
        "(plain objects keyed by column name, key included), or CSV",
        generate_examples=False,
        examples=ex.example_list(Rows=ex.ROWS, Flat=ex.FLAT_ROWS),
    )
}
DELETE_EXAMPLES = ex.examples(
    Delete=ex.DELETE,
    DeleteMany=ex.DELETE_MANY,
    DeleteAll=ex.DELETE_ALL,
    DeleteWhere=ex.DELETE_WHERE,
)


def describe(space: TenantSpace, table: catalog.TableDef) -> TableDefinition:
    with space.read() as conn:
        count = schema.row_count(conn, space, table)
    return shapes.definition(table, count)


class CustomTablesController(Controller):
    path = "/api/v3"
    tags = ["Custom tables"]
    security = [{"AccessToken": []}]

    @get("/custom-tables", sync_to_thread=True)
    def list_tables(self, principal: PrincipalDep, tenancy: TenancyDep) -> list[TableDefinition]:
        space = tenancy.space(principal.tenant)
        with space.read() as conn:
            return [
                shapes.definition(t, schema.row_count(conn, space, t))
                for t in catalog.list_tables(conn)
            ]

    @get("/custom-tables/{table_name:str}", sync_to_thread=True)
    def get_table(
        self, table_name: TableName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> TableDefinition:
        space = tenancy.space(principal.tenant)
        with space.read() as conn:
            table = catalog.get_table(conn, table_name)
            return shapes.definition(table, schema.row_count(conn, space, table))

    @post(
        "/custom-tables/{table_name:str}",
        sync_to_thread=True,
        operation_class=body_of(
            CreateTableRequest, examples=ex.examples(ProductCatalog=ex.CREATE_TABLE)
        ),
        responses=CREATED_OR_EXTENDED,
        status_code=201,
    )
    def create_table(
        self, table_name: TableName, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[TableDefinition]:
        request: CreateTableRequest = parse(body, _create)
        spec = schema.check_spec(
            table_name,
            request.KeyColumnName,
            request.KeyDataTypeId,
            request.KeyColumnLength,
            [(c.ColumnName, c.ColumnDataTypeId, c.ColumnLength) for c in request.Columns],
            request.ReadRoles,
            request.SaveRoles,
        )
        space = tenancy.space(principal.tenant)
        table, created, _ = schema.create_or_extend(space, principal.caller, spec)
        return Response(describe(space, table), status_code=201 if created else 200)

    @delete("/custom-tables/{table_name:str}", sync_to_thread=True, status_code=200)
    def drop_table(
        self, table_name: TableName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> DropResult:
        schema.drop_table(tenancy.space(principal.tenant), principal.caller, table_name)
        return DropResult(Dropped=True)

    @put(
        "/custom-tables/{table_name:str}/rows",
        operation_class=body_of(
            WriteRowsRequest, examples=ex.examples(Update=ex.UPDATE, UpdateMany=ex.UPDATE_MANY)
        ),
    )
    async def write_rows(
        self,
        table_name: TableName,
        body: RawBody,
        request: Request[Any, Any, Any],
        tenancy: TenancyDep,
    ) -> Response[WriteRowsResult]:
        """Authenticated in the same worker thread as the write (app.auth.as_principal)."""

        def write(principal: Principal, guard: Guard | None) -> Response[WriteRowsResult]:
            result = writes.write(
                tenancy.space(principal.tenant),
                principal.caller,
                table_name,
                body,
                tenancy.settings.max_batch_rows,
                guard,
            )
            metrics.rows_written(result.inserted + result.updated)
            return shapes.json_response(
                WriteRowsResult(result.inserted, result.updated, result.key_values)
            )

        return await as_principal(request, tenancy, write)

    @delete(
        "/custom-tables/{table_name:str}/rows",
        sync_to_thread=True,
        status_code=200,
        operation_class=body_of(DeleteRowsRequest, examples=DELETE_EXAMPLES),
        opt={"timed": True},  # DeleteWhere has the saved-query time limit (408)
    )
    def delete_rows(
        self,
        table_name: TableName,
        body: RawBody,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
    ) -> DeleteRowsResult:
        model: DeleteRowsRequest = parse(body, _delete)
        kind, keys, key_column = writes.delete_request(model)
        space = tenancy.space(principal.tenant)
        if kind is rows.DeleteOperation.DELETE_WHERE:
            text = writes.delete_where_text(model)
            builder = paging.where_builder(space, text)
            deleted = rows.delete_where(
                space, principal.caller, table_name, text, builder,
                seconds=request.app.state.settings.query_timeout_seconds,  # this app's settings
            )  # fmt: skip
            return DeleteRowsResult(Deleted=deleted)
        deleted = rows.delete_rows(space, principal.caller, table_name, kind, keys, key_column)
        return DeleteRowsResult(Deleted=deleted)

    @get(
        "/custom-tables/{table_name:str}/rows/values",
        responses=ROWS_ANSWER,
        operation_class=answer_format.with_csv(headers=paging.OPENAPI_HEADERS, overlapping=True),
        opt={"heavy": True, "timed": True},  # with Where or Count (SPEC §9, §10)
        description=(
            "Rows in the source's shape (or flat, or CSV), filtered by `Where`, ordered by "
            '`OrderBy` (the key breaks ties), paged by `Top` with a `Link: rel="next"` header '
            "while more rows follow (keyset: `After`), or by `Skip`. Streamed. A read with "
            "`Where` or `Count` counts against the tenant's share of heavy requests (429 with "
            "Retry-After past it) and has the saved-query time limit (408)."
        ),
    )
    async def row_values(
        self,
        request: Request[Any, Any, Any],
        table_name: TableName,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        top: Annotated[
            int | None, QueryParameter(name="Top", ge=0, description="Rows per page")
        ] = None,
        skip: Annotated[int | None, QueryParameter(name="Skip", ge=0)] = None,
        order_by: Annotated[
            str | None, QueryParameter(name="OrderBy", description=paging.ORDER_BY_DESCRIPTION)
        ] = None,
        format: Annotated[
            str | None,
            QueryParameter(
                name="Format",
                description="'flat' for plain objects, 'csv' for CSV (as `Accept: text/csv`)",
            ),
        ] = None,
        where: Annotated[
            str | None, QueryParameter(name="Where", description=paging.WHERE_DESCRIPTION)
        ] = None,
        after: Annotated[
            str | None, QueryParameter(name="After", description=paging.AFTER_DESCRIPTION)
        ] = None,
        count: Annotated[
            bool, QueryParameter(name="Count", description="true: add X-Total-Count")
        ] = False,
    ) -> Stream:
        csv = answer_format.wants_csv(
            format, request.headers.get("accept"), tuple(shapes.ROWS_FORMATS)
        )
        query = paging.RowsQuery(top, skip, order_by, where, after, count, format)

        def answer() -> tuple[Iterator[bytes], str, dict[str, str]]:
            space = tenancy.space(principal.tenant)
            seconds = request.app.state.settings.query_timeout_seconds  # this app's settings
            page, cursor = paging.read(tenancy, space, principal.caller, table_name, query, seconds)
            headers = paging.headers(request.url.path, query, page, cursor)
            partitions = metrics.counting_reads(page.partitions)
            if csv:
                return csv_chunks(columns_of(page.table), partitions), answer_format.CSV, headers
            output, media_type = shapes.rows_format(format)
            return output(page.table, partitions), media_type, headers

        if where is None and not count:  # a plain page: light work, the shared thread pool
            chunks, media_type, headers = await anyio.to_thread.run_sync(answer)
            return closing_stream(chunks, media_type=media_type, headers=headers)

        def prepare() -> tuple[Iterator[bytes], dict[str, Any]]:
            chunks, media_type, headers = answer()
            return chunks, {"media_type": media_type, "headers": headers}

        # the client chose the cost: the tenant's share of heavy work (SPEC §9)
        return await admitted_stream(request, principal.tenant, prepare)

    @get("/custom-tables/{table_name:str}/row", sync_to_thread=True)
    def get_row(
        self,
        table_name: TableName,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        key_value: Annotated[str, QueryParameter(name="KeyValue")],
    ) -> Response[RowOut]:
        table, values = reads.get_row(
            tenancy.space(principal.tenant), principal.caller, table_name, key_value
        )
        return shapes.json_response(shapes.row_out(table, values))

    @get("/custom-tables/{table_name:str}/rows/columnValue", sync_to_thread=True)
    def column_value(
        self,
        table_name: TableName,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        key_value: Annotated[str, QueryParameter(name="KeyValue")],
        column_name: Annotated[str, QueryParameter(name="ColumnName")],
    ) -> Response[ColumnValueOut]:
        column, value = reads.get_column_value(
            tenancy.space(principal.tenant), principal.caller, table_name, key_value, column_name
        )
        return shapes.json_response(ColumnValueOut(column.name, int(column.type_id), value))

    @put(
        "/custom-table-definitions/{definition_id:str}",
        sync_to_thread=True,
        operation_class=body_of(
            RolesRequest, examples=ex.examples(Roles={"ReadRoles": [], "SaveRoles": ["Admin"]})
        ),
    )
    def set_roles(
        self,
        definition_id: DefinitionId,
        body: RawBody,
        principal: PrincipalDep,
        tenancy: TenancyDep,
    ) -> TableDefinition:
        request: RolesRequest = parse(body, _roles)
        space = tenancy.space(principal.tenant)
        table = schema.set_roles(
            space, principal.caller, definition_id, request.ReadRoles, request.SaveRoles
        )
        return describe(space, table)
