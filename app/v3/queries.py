"""v3 saved-query routes (SPEC §5): parse, authorise, call queries.service, shape the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterator
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from app import openapi_examples as ex
from app.auth import PrincipalDep, TenancyDep, principal_v3
from app.heavy import admitted_for
from app.observe import remember_tenant
from app.openapi import body_of
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import Principal, TokenGuard, TokenStale, vouched_guard
from app.v3.answer_format import query_csv, wants_csv, with_csv
from app.v3.shapes import json_response
from app.v3.tables import parse
from ddl.errors import ValidationError
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


# A run's answer is streamed (app/heavy.py); this documents what the stream holds.
_ANSWER = {
    200: ResponseSpec(
        QueryResultOut,
        description="The answer, streamed",
        generate_examples=False,
        examples=ex.example_list(
            ActiveProducts={
                "Columns": [
                    {"Name": "Oid", "DataTypeId": 9},
                    {"Name": "Name", "DataTypeId": 6},
                    {"Name": "Price", "DataTypeId": 4},
                    {"Name": "IsActive", "DataTypeId": 0},
                ],
                "Rows": [{**ex.FLAT_ROWS[0], "IsActive": True}],
                "Truncated": False,
            }
        ),
    ),
}
_RUN = {"heavy": True, "timed": True}  # the tenant's share of heavy work, the time limit
_QUERY_EXAMPLES = ex.examples(ActiveProducts=ex.SAVED_QUERY)


class DeletedOut(msgspec.Struct):
    Deleted: bool


_query_in = msgspec.json.Decoder(QueryIn, float_hook=Decimal)
_arguments = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)
_answer = msgspec.json.Decoder(float_hook=Decimal)  # Money stays exact in a CSV answer


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


def _limits(settings: Settings) -> service.Limits:
    return service.Limits(
        settings.query_timeout_seconds, settings.query_max_rows, settings.query_max_bytes
    )


async def _run(
    request: Request[Any, Any, Any],
    tenancy: Tenancy,
    name: str,
    arguments: Callable[[], dict[str, Any]],
    from_text: bool,
) -> Stream:
    """Authenticate, read the arguments, admit the run into the tenant's share (429 past it),
    then run and stream it in the heavy-work pool: errors up to the first chunk are the
    answer's status (SPEC §5, §9). A token this process authenticated before is checked in the
    run's own transaction, read with the saved query (app.tokens.TokenGuard); any other in the
    same hop as the run when a heavy thread is free (app.heavy.admitted_for). Either way a 401
    comes before any other refusal (the arguments' 400, the share's 429)."""
    guard = vouched_guard(tenancy, request.headers.get("x-accesstoken"))
    if guard is not None:
        try:
            return await _admitted_run(request, tenancy, (name, arguments, from_text), guard)
        except TokenStale:
            pass  # the token's grants changed since: authenticated afresh below
        except Exception:
            if guard.row is None:  # refused before the token's check: that check first
                await sync_to_thread(lambda: principal_v3(request, tenancy))
            raise
    return await _admitted_run(request, tenancy, (name, arguments, from_text), None)


async def _admitted_run(
    request: Request[Any, Any, Any],
    tenancy: Tenancy,
    run: tuple[str, Callable[[], dict[str, Any]], bool],
    guard: TokenGuard | None,
) -> Stream:
    name, arguments, from_text = run
    limits = _limits(request.app.state.settings)  # this app's settings (tests vary them)
    supplied: dict[str, Any] = {}

    def identify() -> Principal:
        if guard is None:
            principal = principal_v3(request, tenancy)
        else:
            principal = guard.principal
            remember_tenant(request.scope, principal.tenant.name)
        supplied.update(arguments())
        return principal

    def prepare(principal: Principal) -> tuple[Iterator[bytes], dict[str, Any]]:
        space = tenancy.space(principal.tenant)
        run = service.answer_chunks(
            space, principal.caller, name, supplied, limits, from_text=from_text, guard=guard
        )
        chunks = run if guard is None else _noting_use(guard, run)
        return chunks, {"media_type": "application/json"}

    return await admitted_for(request, identify, prepare)


def _noting_use(guard: TokenGuard, chunks: Generator[bytes, None, None]) -> Iterator[bytes]:
    """`chunks`, noting the token's use (TokenGuard.used, once a minute) when its check in the
    run has passed; closing this closes the run."""
    try:
        first = next(chunks, None)
        if first is None:
            return
        guard.used()
        yield first
        yield from chunks
    finally:
        chunks.close()


async def _run_csv(
    request: Request[Any, Any, Any],
    tenancy: Tenancy,
    name: str,
    arguments: Callable[[], dict[str, Any]],
    from_text: bool,
) -> Stream:
    """The same run as CSV. CSV has no trailer for `Truncated`, so the JSON answer is collected
    first (bounded by the row limit and the size budget, inside the tenant's admitted share)
    and `X-Truncated` says it."""
    answer = await _run(request, tenancy, name, arguments, from_text)
    body = _answer.decode(b"".join([chunk async for chunk in answer.iterator]))
    columns = [(column["Name"], column["DataTypeId"]) for column in body["Columns"]]
    return query_csv(service.QueryResult(columns, body["Rows"], body["Truncated"]))


Runner = Callable[
    [Request[Any, Any, Any], Tenancy, str, Callable[[], dict[str, Any]], bool], Awaitable[Stream]
]


async def _runner(request: Request[Any, Any, Any], tenancy: Tenancy, format: str | None) -> Runner:
    """`_run` or `_run_csv`, as `Format` or Accept ask. A `Format` it does not know is a 400
    after the token's check: these routes authenticate in the run, not in a dependency, so
    the caller of a bad token gets its 401 first, as everywhere else."""
    try:
        return _run_csv if wants_csv(format, request.headers.get("accept")) else _run
    except ValidationError:
        await sync_to_thread(lambda: principal_v3(request, tenancy))
        raise


class QueriesController(Controller):
    path = "/api/v3/queries"
    tags = ["Saved queries"]
    security = [{"AccessToken": []}]

    @get("/", sync_to_thread=True)
    def list_queries(
        self, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[list[QueryOut]]:
        queries = service.list_queries(tenancy.space(principal.tenant))
        return json_response([_out(query) for query in queries])

    @post(
        "/",
        sync_to_thread=True,
        operation_class=body_of(QueryIn, examples=_QUERY_EXAMPLES),
        status_code=201,
    )
    def create_query(
        self, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[QueryOut]:
        request: QueryIn = parse(body, _query_in)
        query = service.create(
            tenancy.space(principal.tenant),
            principal.caller,
            _input(request),
            _limits(tenancy.settings),
        )
        return json_response(_out(query), status=201)

    @get("/{name:str}", sync_to_thread=True)
    def get_query(
        self, name: QueryName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[QueryOut]:
        return json_response(_out(service.get(tenancy.space(principal.tenant), name)))

    @put(
        "/{name:str}",
        sync_to_thread=True,
        operation_class=body_of(QueryIn, examples=_QUERY_EXAMPLES),
    )
    def replace_query(
        self, name: QueryName, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[QueryOut]:
        request: QueryIn = parse(body, _query_in)
        query = service.update(
            tenancy.space(principal.tenant),
            principal.caller,
            name,
            _input(request),
            _limits(tenancy.settings),
        )
        return json_response(_out(query))

    @delete("/{name:str}", sync_to_thread=True, status_code=200)
    def delete_query(
        self, name: QueryName, principal: PrincipalDep, tenancy: TenancyDep
    ) -> DeletedOut:
        service.delete(tenancy.space(principal.tenant), principal.caller, name)
        return DeletedOut(Deleted=True)

    @get(
        "/{name:str}/execute",
        responses=_ANSWER,
        operation_class=with_csv(truncated=True),
        opt=_RUN,
    )
    async def execute_get(
        self,
        name: QueryName,
        request: Request[Any, Any, Any],
        tenancy: TenancyDep,
        format: AnswerFormat = None,
    ) -> Stream:
        """Run with parameters from the query string (`?minPrice=10`; a parameter named like
        the reserved `Format` is passed as `@Format=`). `Format=csv` or `Accept: text/csv`
        answers CSV (header `X-Truncated` tells whether rows were cut)."""
        params = request.query_params
        supplied = {key: params.get(key) for key in params if key != "Format"}
        run = await _runner(request, tenancy, format)
        return await run(request, tenancy, name, lambda: supplied, True)

    @post(
        "/{name:str}/execute",
        status_code=200,
        responses=_ANSWER,
        operation_class=with_csv(
            body_of(
                dict[str, Any],
                examples=ex.examples(Parameters={"minPrice": 10}),
                required=False,
            ),
            truncated=True,
        ),
        opt=_RUN,
    )
    async def execute_post(
        self,
        name: QueryName,
        body: RawBody,
        request: Request[Any, Any, Any],
        tenancy: TenancyDep,
        format: AnswerFormat = None,
    ) -> Stream:
        """Run with parameters from a flat JSON object (`{"minPrice": 10}`); `Format=csv` in
        the query string or `Accept: text/csv` answers CSV."""

        def arguments() -> dict[str, Any]:
            return parse(body, _arguments) if body.strip() else {}

        run = await _runner(request, tenancy, format)
        return await run(request, tenancy, name, arguments, False)
