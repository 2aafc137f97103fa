"""The error answers the OpenAPI document promises (SPEC §8): the shapes the server really
sends (v3 `{Code, Message}`, v1's `{success: false, error: {code, message}}`) and the statuses
each route can answer, in place of Litestar's default `{status_code, detail, extra}` 400.

The statuses follow from what every route goes through: the path/query check (400), the token
(401, 403), a name in the path (404), a body (400, 413, 415), a write (409), a saved query's
time limit (408) and the rate limits (v1: every route; v3: the heavy routes, 429)."""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

V3_ERROR, V1_ERROR = "ErrorV3", "ErrorV1"
_STRING = Schema(type=OpenAPIType.STRING)
DESCRIPTIONS = {
    400: "The request is not valid: the message names what was wrong",
    401: "No valid token",
    403: "The token lacks a role or scope",
    404: "No such table, row, query or definition for this tenant",
    408: "The saved query ran past its time limit",
    409: "The request contradicts what exists",
    413: "The body or batch is too large",
    415: "The body's Content-Type is not one the route reads",
    429: "Too many requests; retry after Retry-After seconds",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def error_schemas() -> dict[str, Schema]:
    v3 = Schema(
        type=OpenAPIType.OBJECT,
        properties={"Code": _STRING, "Message": _STRING, "RequestId": _STRING},
        required=["Code", "Message"],
        examples=[{"Code": "NOT_FOUND", "Message": "Custom table 'Foo' does not exist"}],
    )
    inner = Schema(
        type=OpenAPIType.OBJECT,
        properties={"code": _STRING, "message": _STRING, "requestId": _STRING},
        required=["code", "message"],
    )
    v1 = Schema(
        type=OpenAPIType.OBJECT,
        properties={"success": Schema(type=OpenAPIType.BOOLEAN, const=False), "error": inner},
        required=["success", "error"],
        examples=[{"success": False, "error": {"code": "NOT_FOUND", "message": "Not found"}}],
    )
    return {V3_ERROR: v3, V1_ERROR: v1}


def statuses(path: str, method: str, operation: Operation) -> list[int]:
    """The error statuses one operation can answer."""
    found = {400}
    if not path.startswith("/api/"):
        return sorted(found)
    found |= {401, 403}
    if "{" in path:
        found.add(404)
    if method in WRITE_METHODS:
        found.add(409)
    if operation.request_body is not None:
        found |= {413, 415}
    if path.endswith("/execute"):
        found.add(408)
    heavy = path.endswith(("/execute", "/import", "/export"))
    if path.startswith("/api/v1/") or heavy:
        found.add(429)
    return sorted(found)


def _response(status: int, schema_name: str) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = None
    if status == 429:
        headers = {"Retry-After": OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER))}
    return OpenAPIResponse(
        description=DESCRIPTIONS[status],
        content={
            "application/json": OpenAPIMediaType(
                schema=Reference(ref=f"#/components/schemas/{schema_name}")
            )
        },
        headers=headers,
    )


def document_errors(openapi: OpenAPI) -> None:
    """Replace every documented 4xx with ours and add the statuses each route can answer."""
    schemas: dict[str, Any] = dict(openapi.components.schemas or {})
    schemas.update(error_schemas())
    openapi.components.schemas = schemas
    for path, item in (openapi.paths or {}).items():
        name = V1_ERROR if path.startswith("/api/v1/") else V3_ERROR
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = {
                code: answer
                for code, answer in (operation.responses or {}).items()
                if not code.startswith("4")
            }
            for status in statuses(path, method, operation):
                responses[str(status)] = _response(status, name)
            operation.responses = responses
