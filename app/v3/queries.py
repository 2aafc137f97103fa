"""v3 saved-query routes (SPEC §5): parse, authorise, call queries.service, shape the answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from app.auth import PrincipalDep, TenancyDep
from app.openapi import body_of
from app.tenancy import Tenancy
from app.v3.answer_format import query_csv, wants_csv, with_csv
from app.v3.shapes import json_response
from app.v3.tables import parse
from queries import service
from queries.store import ParameterDef, SavedQuery

AnswerFormat = Annotated[
    str | None,
    QueryParameter(name="Format", description="'json' (default) or 'csv' (as `Accept: text/csv`)"),
]
QueryName = Annotated[str, PathParameter(description="Saved query name (case-insensitive)")]


class QueryIn(msgspec.Struct):
    """A saved query definition: T-SQL by default, reading custom tables as [customtables].[T]."""

    Sql: str
    Name: str | None = None
    Namespace: str | None = None
    Dialect: str | None = None
    Parameters: list[ParameterDef] = msgspec.field(default_factory=list)


class QueryOut(msgspec.Struct):
    Id: str
    Name: str
    Namespace: str
    Sql: str
    Dialect: str
    Parameters: list[ParameterDef]
    CreatedAt: str
    UpdatedAt: str


class ResultColumn(msgspec.Struct):
    Name: str
    DataTypeId: int | None


class QueryResultOut(msgspec.Struct):
    Columns: list[ResultColumn]
    Rows: list[dict[str, Any]]
    Truncated: bool


class DeletedOut(msgspec.Struct):
    Deleted: bool


_query_in = msgspec.json.Decoder(QueryIn, float_hook=Decimal)
_arguments = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)


def _out(query: SavedQuery) -> QueryOut:
    return QueryOut(
        Id=query.id,
        Name=query.name,
        Namespace=query.namespace,
        Sql=query.sql,
        Dialect=query.dialect,
        Parameters=list(query.parameters),
        CreatedAt=query.created_at,
        UpdatedAt=query.updated_at,
    )


def _input(request: QueryIn) -> service.QueryInput:
    return service.QueryInput(
        name=request.Name,
        namespace=request.Namespace,
        sql=request.Sql,
        dialect=request.Dialect,
        parameters=request.Parameters,
    )


def _limits(tenancy: Tenancy) -> service.Limits:
    settings = tenancy.settings
    return service.Limits(settings.query_timeout_seconds, settings.query_max_rows)


def _result(result: service.QueryResult) -> Response[Any]:
    return json_response(
        QueryResultOut(
            [ResultColumn(name, type_id) for name, type_id in result.columns],
            result.rows,
            result.truncated,
        )
    )


class QueriesController(Controller):
    path = "/api/v3/queries"
    tags = ["Saved queries"]
    security = [{"AccessToken": []}]

    @get("/", sync_to_thread=True)
    def list_queries(self, principal: PrincipalDep, tenancy: TenancyDep) -> Response[Any]:
        queries = service.list_queries(tenancy.space(principal.tenant))
        return json_response([_out(query) for query in queries])

    @post("/", sync_to_thread=True, operation_class=body_of(QueryIn), status_code=201)
    def create_query(
        self, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[Any]:
        request: QueryIn = parse(body, _query_in)
        query = service.create(
            tenancy.space(principal.tenant),
            principal.caller,
            _input(request),
            _limits(tenancy),
        )
        return json_response(_out(query), status=201)

    @get("/{name:str}", sync_to_thread=True)
    def get_query(
        self, name: QueryName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[Any]:
        return json_response(_out(service.get(tenancy.space(principal.tenant), name)))

    @put("/{name:str}", sync_to_thread=True, operation_class=body_of(QueryIn))
    def replace_query(
        self, name: QueryName, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[Any]:
        request: QueryIn = parse(body, _query_in)
        query = service.update(
            tenancy.space(principal.tenant),
            principal.caller,
            name,
            _input(request),
            _limits(tenancy),
        )
        return json_response(_out(query))

    @delete("/{name:str}", sync_to_thread=True, status_code=200)
    def delete_query(
        self, name: QueryName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> DeletedOut:
        service.delete(tenancy.space(principal.tenant), principal.caller, name)
        return DeletedOut(Deleted=True)

    @get("/{name:str}/execute", sync_to_thread=True, operation_class=with_csv(truncated=True))
    def execute_get(
        self,
        name: QueryName,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
        format: AnswerFormat = None,
    ) -> Response[Any] | Stream:
        """Run with parameters from the query string (`?minPrice=10`; a parameter named like
        the reserved `Format` is passed as `@Format=`). `Format=csv` or `Accept: text/csv`
        answers CSV (header `X-Truncated` tells whether rows were cut)."""
        params = request.query_params
        supplied = {key: params.get(key) for key in params if key != "Format"}
        csv = wants_csv(format, request.headers.get("accept"))
        result = service.execute(
            tenancy.space(principal.tenant), principal.caller, name, supplied, _limits(tenancy),
            from_text=True,
        )  # fmt: skip
        return query_csv(result) if csv else _result(result)

    @post(
        "/{name:str}/execute",
        sync_to_thread=True,
        status_code=200,
        operation_class=with_csv(truncated=True),
    )
    def execute_post(
        self,
        name: QueryName,
        body: RawBody,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        tenancy: TenancyDep,
        format: AnswerFormat = None,
    ) -> Response[Any] | Stream:
        """Run with parameters from a flat JSON object (`{"minPrice": 10}`); `Format=csv` in
        the query string or `Accept: text/csv` answers CSV."""
        csv = wants_csv(format, request.headers.get("accept"))
        supplied = parse(body, _arguments) if body.strip() else {}
        result = service.execute(
            tenancy.space(principal.tenant), principal.caller, name, supplied, _limits(tenancy),
            from_text=False,
        )  # fmt: skip
        return query_csv(result) if csv else _result(result)
