"""Which Content-Type a route's body may have (SPEC §9): a JSON route answers 415 to anything
else, before the body is read. A body without Content-Type is taken as JSON: scripts and raw
HTTP clients often send none, and the decoder still refuses what is not JSON (see
docs/decisions.md).

A handler that reads other types lists them in `opt={"media_types": [...]}` (the import route:
JSON and multipart; CSV can be added to that one list)."""

from __future__ import annotations

from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from ddl.errors import UnsupportedMediaType

JSON = "application/json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def media_type(content_type: str) -> str:
    """`application/json` from `Application/JSON; charset=utf-8`."""
    return content_type.partition(";")[0].strip().lower()


def is_json(kind: str) -> bool:
    """application/json and the structured-syntax `+json` types (application/merge-patch+json)."""
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def accepted(handler: BaseRouteHandler) -> list[str] | None:
    """The media types the handler's body may have; None when the handler takes no body."""
    declared = handler.opt.get("media_types")
    if declared is not None:
        return list(declared)
    takes_body = "body" in handler.parsed_fn_signature.parameters
    return [JSON] if takes_body else None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name (ASGI gives them lower-case already); of a
    repeated header the first, as Litestar's `Request.headers` and the upload reader take it:
    the check judges the Content-Type the body is then read by."""
    first: dict[bytes, bytes] = {}
    for name, value in scope.get("headers") or ():
        first.setdefault(name, value)
    return first


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    return (length is not None and length.strip() not in (b"", b"0")) or (
        b"transfer-encoding" in headers
    )


def check_media_type(scope: Scope) -> None:
    """415 when a body's Content-Type is not one the route (scope's handler) reads."""
    if scope.get("method") not in BODY_METHODS:
        return
    headers = _headers(scope)
    if not _has_body(headers):
        return
    handler = scope.get("route_handler")
    allowed = None if handler is None else accepted(handler)
    if allowed is None:
        return
    raw = headers.get(b"content-type", b"").decode("latin-1")
    if not raw.strip():
        return  # no Content-Type: read as JSON (the decoder still names a body that is not)
    kind = media_type(raw)
    if kind in allowed or (JSON in allowed and is_json(kind)):
        return
    raise UnsupportedMediaType(
        f"Content-Type {kind or raw.strip()!r} is not accepted here; send {' or '.join(allowed)}"
    )


def media_type_middleware(app: ASGIApp) -> ASGIApp:
    """App-wide: the check runs before the body is read. A middleware, not a guard: Litestar
    copies the route handler for every guard call, which cost each request ~3% of its CPU."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            check_media_type(scope)
        await app(scope, receive, send)

    return middleware
