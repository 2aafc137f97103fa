"""The error answers the OpenAPI document promises (SPEC §8), as Litestar `ResponseSpec`s with
the bodies the server really sends (app/errors.py: v3 `ErrorV3` `{Code, Message}`, v1's
`ErrorV1` envelope), in place of Litestar's default `{status_code, detail, extra}` 400.

Every route gets them the same way, so a route added later is documented without a line of
its own: `declare_errors(app)` walks the app's route handlers once, derives the statuses each
can answer from what it goes through, and adds those its handler did not declare itself:

- every API route: 400 (path, query or body not valid), 401 (token), 403 (role or scope),
  500 (an unexpected failure; the body carries only a request id), 503 (the database
  connection was lost, `Retry-After`);
- a name or id in the path: 404; a write method: 409;
- a body: 413 (too large) and 415 (not a media type the route reads);
- v1 routes: 429 (rate limits); routes marked `opt={"heavy": True}` (saved-query runs, imports,
  exports, filtered reads): 429 (the tenant's share of heavy work) and, with
  `opt={"timed": True}`, 408 (the time limit);
- `opt={"errors": (…)}` adds statuses a route answers beyond these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from app import openapi_examples as ex
from app.errors import HTTP_CODES, V1_CODES, ErrorV1, ErrorV3
from app.media_types import accepted
from ddl.errors import DatabaseUnavailable

DESCRIPTIONS = {
    400: "The request is not valid: the message names what was wrong",
    401: "No valid token",
    403: "The token lacks a role or scope",
    404: "No such table, row, query or definition for this tenant",
    408: "The work ran past its time limit (stopped; nothing written)",
    409: "The request contradicts what exists",
    413: "The body or batch is too large",
    415: "The body's Content-Type is not one the route reads",
    429: "Too many requests; retry after the seconds the Retry-After header gives",
    500: "An unexpected failure: the message carries only a request id the server log also has",
    503: "The connection to the database was lost (a restart); retry after the seconds the "
    "Retry-After header gives",
}
V3_MESSAGES = {
    400: "Row 3, column 'Price': expected a number",
    401: "A valid access token (header X-AccessToken) is required",
    403: "Role 'Admin' is required to create tables",
    404: ex.V3_NOT_FOUND["Message"],
    408: "The query ran longer than 5 seconds",
    409: "Column 'Price' exists with another type",
    413: "The batch has 10001 rows; at most 10000",
    415: "Content-Type 'text/plain' is not accepted here; send application/json",
    429: "Rate limit exceeded; retry after 1 seconds",
    500: "An internal error occurred; quote the request id to the operator",
    503: DatabaseUnavailable().message,
}
V1_MESSAGES = {
    **V3_MESSAGES,
    400: ex.V1_ROW_LIMIT["error"]["message"],
    401: "An API key (header x-api-key) is required",
    403: "The API key lacks the workflows:write scope",
    404: ex.V1_NOT_FOUND["error"]["message"],
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_ID = "5f0c6d2a9b3e4f718a2b3c4d5e6f7a8b"


def _example(status: int, v1: bool) -> dict[str, Any]:
    if v1:
        error: dict[str, Any] = {"code": V1_CODES[status], "message": V1_MESSAGES[status]}
        if status == 500:
            error["requestId"] = REQUEST_ID
        return {"success": False, "error": error}
    body: dict[str, Any] = {"Code": HTTP_CODES[status], "Message": V3_MESSAGES[status]}
    if status == 500:
        body["RequestId"] = REQUEST_ID
    return body


def error_spec(status: int, v1: bool = False) -> ResponseSpec:
    """The documented answer of one error status, in the v3 or the v1 shape."""
    code = (V1_CODES if v1 else HTTP_CODES)[status]
    return ResponseSpec(
        ErrorV1 if v1 else ErrorV3,
        description=DESCRIPTIONS[status],
        generate_examples=False,
        examples=ex.example_list(**{code: _example(status, v1)}),
    )


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def is_v1(path: str) -> bool:
    return path.startswith("/api/v1/") or path == "/api/v1"


def statuses(path: str, handler: HTTPRouteHandler) -> set[int]:
    """The error statuses a route handler at `path` can answer."""
    found = set(handler.opt.get("errors", ()))
    if not is_api(path):
        return found
    found |= {400, 401, 403, 500, 503}
    if "{" in path:
        found.add(404)
    if WRITE_METHODS & set(handler.http_methods):
        found.add(409)
    if accepted(handler) is not None:
        found |= {413, 415}
    if is_v1(path) or handler.opt.get("heavy"):
        found.add(429)
    if handler.opt.get("timed"):
        found.add(408)
    return found


def _handlers(app: Litestar) -> Iterable[tuple[str, HTTPRouteHandler]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.resolve_include_in_schema():
                    yield route.path_format, handler


def declare_errors(app: Litestar) -> None:
    """Give every documented route handler the error answers it can give (those it declares
    itself in `responses=` win). Litestar builds the document from `responses` when it is
    first asked for, so this runs once, after the routes are registered."""
    for path, handler in _handlers(app):
        declared: dict[int, ResponseSpec] = dict(handler.responses or {})
        for status in sorted(statuses(path, handler)):
            declared.setdefault(status, error_spec(status, is_v1(path)))
        handler.responses = declared
