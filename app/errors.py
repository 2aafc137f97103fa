"""The one place where errors become HTTP answers: domain errors, framework errors, a lost
database connection (503, a read run again first: `RetryLostReads`), and anything unexpected
(a 500 carrying only a request id that the log also has)."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Literal

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.head import client_method
from ddl import errors as domain
from ddl.backends import lost_connection
from ddl.json_shape import problem_words, shape_message

log = logging.getLogger("customtables")

STATUS: tuple[tuple[type[domain.CustomTablesError], int], ...] = (
    (domain.NotAuthenticated, 401),
    (domain.Forbidden, 403),
    (domain.NotFound, 404),
    (domain.Conflict, 409),
    (domain.PayloadTooLarge, 413),
    (domain.UnsupportedMediaType, 415),
    (domain.QueryTimeout, 408),
    (domain.RateLimited, 429),
    (domain.DatabaseUnavailable, 503),
    (domain.ValidationError, 400),
)
HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "TIMEOUT",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
V1_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
LOST_CONNECTION = "ct_lost_connection"  # in the request state: the answer is a lost connection
_encoder = msgspec.json.Encoder()


class ErrorV3(msgspec.Struct, omit_defaults=True):
    """A v3 error answer (SPEC §7); `RequestId` only on a 500, as the server log has it."""

    Code: str
    Message: str
    RequestId: str = ""  # left out when empty


class ErrorV1Detail(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    requestId: str = ""


class ErrorV1(msgspec.Struct):
    """A v1 error answer: the source's envelope with `success: false`."""

    success: Literal[False]
    error: ErrorV1Detail


def _is_v1(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/v1")


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str | None,
    message: str,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> Response[bytes]:
    rid = request_id or ""
    body: ErrorV1 | ErrorV3
    if _is_v1(request):
        detail = ErrorV1Detail(V1_CODES.get(status, code or "ERROR"), message, rid)
        body = ErrorV1(False, detail)
    else:
        body = ErrorV3(code or HTTP_CODES.get(status, "ERROR"), message, rid)
    return Response(
        _encoder.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def domain_error(request: Request[Any, Any, Any], exc: domain.CustomTablesError) -> Response[bytes]:
    status = next(code for kind, code in STATUS if isinstance(exc, kind))
    if isinstance(exc, domain.DatabaseUnavailable):  # a read may run again (RetryLostReads)
        request.scope.setdefault("state", {})[LOST_CONNECTION] = True
    headers = getattr(exc, "headers", None)
    return error_response(request, status, exc.code, exc.message, headers)


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a client uses for a parameter (`Top`), not the handler's Python name (`top`)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters[key]
    except (AttributeError, KeyError):
        return key
    return getattr(parameter.kwarg_definition, "name", None) or key


def _validation_message(request: Request[Any, Any, Any], exc: ValidationException) -> str:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in details:
        if isinstance(item, dict):
            key, text = item.get("key"), item.get("message", "")
            text = problem_words(str(text), nullable=False)  # a query parameter is never null
            parts.append(f"{_public_name(request, key)}: {text}" if key else text)
    if not parts and isinstance(exc.detail, str) and exc.detail.startswith("Missing required"):
        parts.append(exc.detail.split(" for path ")[0])  # e.g. the KeyValue query parameter
    return "; ".join(parts) or "The request is not valid"


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        message = _validation_message(request, exc)
    elif status == 404:
        message = f"No route {request.method} {request.url.path}"
    elif status == 405:
        message = f"Method {client_method(request.scope)} is not allowed on {request.url.path}"
    elif status == 413:
        message = "The request body is too large"
    elif status == 429:
        headers = dict(exc.headers or {})
        retry = headers.setdefault("Retry-After", headers.get("RateLimit-Reset", "60"))
        message = f"Rate limit exceeded; retry after {retry} seconds"
        return error_response(request, status, None, message, headers)
    else:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    return error_response(request, status, None, message, exc.headers)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    if lost_connection(exc):  # the database's doing, not the request's: no 500, no traceback
        first_line = (str(exc) or type(exc).__name__).splitlines()[0]
        log.warning(
            "request %s lost its database connection: %s %s: %s",
            request_id, request.method, request.url.path, first_line,
        )  # fmt: skip
        return domain_error(request, domain.DatabaseUnavailable())
    log.error(  # the handler runs after the except block: the exception is passed in
        "request %s failed: %s %s", request_id, request.method, request.url.path, exc_info=exc
    )
    return error_response(
        request,
        500,
        "INTERNAL_ERROR",
        "An internal error occurred; quote the request id to the operator",
        request_id=request_id,
    )


def decode_error(exc: msgspec.MsgspecError, body: bytes) -> domain.ValidationError:
    """A body that is not JSON ("not valid JSON"), or valid JSON of the wrong shape (the field
    and the type it needs, in plain words). A typed decoder stops at the first wrong shape, even
    in a text that is not JSON at all (`[1, 2`), so the shape is named only for valid JSON."""
    if isinstance(exc, msgspec.ValidationError):
        try:
            msgspec.json.decode(body)
        except msgspec.DecodeError as syntax:
            exc = syntax
        else:
            return domain.ValidationError(shape_message(exc))
    return domain.ValidationError(syntax_message(str(exc)))


# msgspec's syntax messages, each said in our words (its text names its own notions, e.g. a
# `$[...]` path); the first whose words appear in it is used
_SYNTAX_WORDS = (
    ("truncated", "it ends before its value does"),
    ("trailing characters", "something follows its value"),
    ("invalid number", "a number is not written as JSON writes numbers"),
    ("invalid escape", "a string holds an escape JSON does not have"),
    ("out of range", "a number is too large"),
    ("invalid character", "a character is not allowed where it stands (or is not UTF-8)"),
)
_AT_BYTE = re.compile(r"\(byte (\d+)\)")


def syntax_message(decoder_text: str) -> str:
    """`The body is not valid JSON: <why> (byte N, counted from 0)`, from a decoder's message,
    none of whose own words reach the client."""
    reason = next((ours for words, ours in _SYNTAX_WORDS if words in decoder_text), None)
    at = _AT_BYTE.search(decoder_text)
    where = f" (byte {at.group(1)}, counted from 0)" if at else ""
    return f"The body is not valid JSON{': ' + reason if reason else ''}{where}"


class RetryLostReads:
    """ASGI wrapper around the app's handler: a GET (HEAD runs as one) whose answer would be
    the 503 of a lost connection runs once more before anything is sent. A read changes
    nothing, so running it again is safe, and by then the pool has replaced the connections
    opened before the loss (ddl/backends/common.py): the client sees its answer, not the
    restart. Writes get the 503 and `Retry-After`; whether to send one again is the client's
    call. An answer already streaming when its connection breaks cannot be taken back."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        received: list[Any] = []  # the request's messages, handed again to the second run
        held = False

        async def recording() -> Any:
            message = await receive()
            received.append(message)
            return message

        async def sending(message: Any) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and scope["state"].get(LOST_CONNECTION):
                held = True
            if not held:
                await send(message)

        scope.setdefault("state", {}).pop(LOST_CONNECTION, None)
        await self.app(scope, recording, sending)
        if not held:
            return
        scope["state"].pop(LOST_CONNECTION, None)
        log.info("retrying GET %s on a new database connection", scope["path"])

        async def replaying() -> Any:
            return received.pop(0) if received else await receive()

        await self.app(scope, replaying, send)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    domain.CustomTablesError: domain_error,
    HTTPException: http_error,
    Exception: internal_error,
}
