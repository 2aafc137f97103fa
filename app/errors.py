"""The one place where errors become HTTP answers: domain errors, framework errors, and
anything unexpected (a 500 carrying only a request id that the log also has)."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.head import client_method
from ddl import errors as domain
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
}
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
    return domain.ValidationError(f"The body is not valid JSON: {exc}")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    domain.CustomTablesError: domain_error,
    HTTPException: http_error,
    Exception: internal_error,
}
