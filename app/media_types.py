"""Which Content-Type a route's body may have (SPEC §9): a JSON route answers 415 to anything
else, before the body is read. A body without Content-Type is taken as JSON: scripts and raw
HTTP clients often send none, and the decoder still refuses what is not JSON (see
docs/decisions.md).

A handler that reads other types lists them in `opt={"media_types": [...]}` (the import route:
JSON and multipart; CSV can be added to that one list)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

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


def _has_body(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    headers = connection.headers
    length = headers.get("content-length")
    return (length is not None and length.strip() not in ("", "0")) or (
        "transfer-encoding" in headers
    )


async def require_media_type(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: 415 when a body's Content-Type is not one the route reads. Async
    because it only reads headers: a sync guard costs every request a hop to a thread."""
    if connection.scope.get("method") not in BODY_METHODS or not _has_body(connection):
        return
    allowed = accepted(handler)
    if allowed is None:
        return
    raw = connection.headers.get("content-type")
    if raw is None or not raw.strip():
        return  # no Content-Type: read as JSON (the decoder still names a body that is not)
    kind = media_type(raw)
    if kind in allowed or (JSON in allowed and is_json(kind)):
        return
    raise UnsupportedMediaType(
        f"Content-Type {kind or raw.strip()!r} is not accepted here; send {' or '.join(allowed)}"
    )
