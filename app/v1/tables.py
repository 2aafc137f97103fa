"""v1 routes (tables, rows, audit log): parse, check the scope, call the engine, wrap the answer
in `{"success": true, "data": …}`."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Router, delete, get, patch, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter, RawBody
from msgspec import UNSET

from app import openapi_examples as ex
from app.auth import PrincipalDep, TenancyDep, principal_v1
from app.json_policy import Location
from app.openapi import body_of
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import Principal
from app.v1 import ratelimit, shapes
from app.v1.limits import check_data
from app.v1.schemas import (
    AuditListResult,
    Deleted,
    DeletedResult,
    RowListResult,
    RowResult,
    TableListResult,
    TableResult,
    V1CreateTableRequest,
    V1RowRequest,
    V1UpdateTableRequest,
)
from app.v3.bodies import parse
from ddl import audit
from ddl.errors import Forbidden
from ddl.space import TenantSpace
from ddl.types import INT64_MAX
from ddl.v1 import rows, tables
from ddl.v1.tables import TableChanges

READ, WRITE = "workflows:read", "workflows:write"
AUDIT_ACTIONS = ["table.created", "table.updated", "table.deleted"]

# Plain floats (not v3's Decimal): row data is stored as JSON.
_create = msgspec.json.Decoder(V1CreateTableRequest)
_update = msgspec.json.Decoder(V1UpdateTableRequest)
_row = msgspec.json.Decoder(V1RowRequest)

TableId = Annotated[str, PathParameter(description="The table's id")]
RowId = Annotated[str, PathParameter(description="The row's id")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="1 - 100 per page")]
Offset = Annotated[
    int, QueryParameter(ge=0, le=INT64_MAX, description="Offset within the result set")
]


def _answer(status: int, kind: type, data: Any) -> dict[int, ResponseSpec]:
    """A success answer with the source document's example in its envelope."""
    example = {"success": True, "data": data}
    return {
        status: ResponseSpec(
            kind,
            generate_examples=False,
            examples=ex.example_list(Source=example),
            description="Created" if status == 201 else "Success",
        )
    }


def space_for(principal: Principal, tenancy: Tenancy, scope: str) -> TenantSpace:
    """The caller's company space, once the key is shown to carry `scope` (v3 roles don't)."""
    if scope not in principal.scopes:
        raise Forbidden(f"The API key lacks the {scope} scope")
    return tenancy.space(principal.tenant)


class TablesController(Controller):
    path = "/tables"

    @get("", sync_to_thread=True, responses=_answer(200, TableListResult, [ex.V1_TABLE]))
    def list_tables(self, principal: PrincipalDep, tenancy: TenancyDep) -> TableListResult:
        found = tables.list_tables(space_for(principal, tenancy, READ))
        return TableListResult(True, [shapes.table_out(table) for table in found])

    @post(
        "",
        sync_to_thread=True,
        status_code=201,
        operation_class=body_of(
            V1CreateTableRequest, examples=ex.examples(ProcessedInvoices=ex.V1_CREATE_TABLE)
        ),
        responses=_answer(201, TableResult, ex.V1_TABLE),
    )
    def create_table(
        self, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> TableResult:
        space = space_for(principal, tenancy, WRITE)
        request: V1CreateTableRequest = parse(body, _create)
        changes = TableChanges(
            name=request.name,
            description=request.description,
            columns=request.columns,
            schema=request.schema,
            metadata=request.metadata,
            max_rows=request.maxRows,
        )
        table = tables.create_table(space, principal.user, changes)
        return TableResult(True, shapes.table_out(table))

    @get("/{table_id:str}", sync_to_thread=True, responses=_answer(200, TableResult, ex.V1_TABLE))
    def get_table(
        self, table_id: TableId, principal: PrincipalDep, tenancy: TenancyDep
    ) -> TableResult:
        table = tables.get_table(space_for(principal, tenancy, READ), table_id)
        return TableResult(True, shapes.table_out(table))

    @patch("/{table_id:str}", sync_to_thread=True, operation_class=body_of(V1UpdateTableRequest))
    def update_table(
        self, table_id: TableId, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> TableResult:
        space = space_for(principal, tenancy, WRITE)
        request: V1UpdateTableRequest = parse(body, _update)
        changes = TableChanges(
            name=_given(request.name),
            description=_given(request.description),
            clear_description=request.description is None,
            columns=_given(request.columns),
            schema=_given(request.schema),
            metadata=_given(request.metadata),
            max_rows=_given(request.maxRows),
        )
        table = tables.update_table(space, principal.user, table_id, changes)
        return TableResult(True, shapes.table_out(table))

    @delete(
        "/{table_id:str}",
        sync_to_thread=True,
        status_code=200,
        responses=_answer(200, DeletedResult, ex.V1_DELETED["data"]),
    )
    def delete_table(
        self, table_id: TableId, principal: PrincipalDep, tenancy: TenancyDep
    ) -> DeletedResult:
        tables.delete_table(space_for(principal, tenancy, WRITE), principal.user, table_id)
        return DeletedResult(True, Deleted(deleted=True))

    @get(
        "/{table_id:str}/rows",
        sync_to_thread=True,
        responses=_answer(200, RowListResult, [ex.V1_ROW]),
    )
    def list_rows(
        self,
        table_id: TableId,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> RowListResult:
        space = space_for(principal, tenancy, READ)
        found = rows.list_rows(space, table_id, limit, offset)
        return RowListResult(True, [shapes.row_out(row) for row in found])

    @post(
        "/{table_id:str}/rows",
        sync_to_thread=True,
        status_code=201,
        operation_class=body_of(V1RowRequest, examples=ex.examples(Invoice=ex.V1_CREATE_ROW)),
        responses=_answer(201, RowResult, ex.V1_ROW),
    )
    def create_row(
        self, table_id: TableId, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> RowResult:
        space = space_for(principal, tenancy, WRITE)
        request: V1RowRequest = parse(body, _row, field_location)
        check_data(request.data)
        position = None if request.position is UNSET else request.position
        row = rows.create_row(space, table_id, request.data, position)
        return RowResult(True, shapes.row_out(row))

    @patch(
        "/{table_id:str}/rows/{row_id:str}",
        sync_to_thread=True,
        operation_class=body_of(V1RowRequest, examples=ex.examples(Invoice=ex.V1_CREATE_ROW)),
    )
    def update_row(
        self,
        table_id: TableId,
        row_id: RowId,
        body: RawBody,
        principal: PrincipalDep,
        tenancy: TenancyDep,
    ) -> RowResult:
        space = space_for(principal, tenancy, WRITE)
        request: V1RowRequest = parse(body, _row, field_location)
        check_data(request.data)
        position = rows.KEEP if request.position is UNSET else request.position
        row = rows.update_row(space, table_id, row_id, request.data, position)
        return RowResult(True, shapes.row_out(row))

    @delete(
        "/{table_id:str}/rows/{row_id:str}",
        sync_to_thread=True,
        status_code=200,
        responses=_answer(200, DeletedResult, ex.V1_DELETED["data"]),
    )
    def delete_row(
        self, table_id: TableId, row_id: RowId, principal: PrincipalDep, tenancy: TenancyDep
    ) -> DeletedResult:
        rows.delete_row(space_for(principal, tenancy, WRITE), table_id, row_id)
        return DeletedResult(True, Deleted(deleted=True))


@get("/audit-logs", sync_to_thread=True)
def audit_logs(
    principal: PrincipalDep, tenancy: TenancyDep, limit: Limit = 50, offset: Offset = 0
) -> AuditListResult:
    """Table-level events of the key's company, newest first."""
    space = space_for(principal, tenancy, READ)
    with space.read() as conn:
        events = audit.list_events(
            conn, actions=AUDIT_ACTIONS, resource_type="table", limit=limit, offset=offset
        )
    return AuditListResult(True, [shapes.event_out(event) for event in events])


def field_location(where: Location) -> str:
    """`field 'amount'` for a place inside a row's `data` (else the path in the body)."""
    if len(where.path) > 1 and where.path[0] == "data":
        return f"field '{where.path[1]}'"
    return where.text()


def _given(value: Any) -> Any:
    return None if value is UNSET else value


def router(settings: Settings) -> Router:
    """All of /api/v1: authenticated by `x-api-key`, rate-limited per key."""
    return Router(
        path="/api/v1",
        route_handlers=[TablesController, audit_logs],
        dependencies={"principal": Provide(principal_v1, sync_to_thread=True)},
        middleware=ratelimit.middleware(settings),
        tags=["v1 Tables"],
        security=[{"ApiKey": []}],
    )


def stores(settings: Settings, engine: Any = None) -> dict[str, Any]:
    return ratelimit.stores(settings, engine)
