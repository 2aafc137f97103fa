"""Query parameter names are matched case-insensitively (`keyValue` = `KeyValue`): an ASGI
middleware rewrites known names to their canonical spelling before routing."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from litestar.types import ASGIApp, Receive, Scope, Send

CANONICAL = {
    name.lower(): name
    for name in (
        "KeyValue",
        "ColumnName",
        "Top",
        "Skip",
        "OrderBy",
        "Format",
        "Mode",
        "KeyColumnName",
        "Types",
        "TableName",
        "limit",
        "offset",
        "Action",
        "Since",
        "Until",
        "Where",
        "After",
        "Count",
    )
}


def canonical_query(query: bytes) -> bytes:
    if not query:
        return query
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    changed = False
    fixed = []
    for key, value in pairs:
        name = CANONICAL.get(key.lower(), key)
        changed |= name != key
        fixed.append((name, value))
    return urlencode(fixed).encode("latin-1") if changed else query


def query_case_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            scope["query_string"] = canonical_query(scope["query_string"])  # type: ignore[typeddict-unknown-key]
        await app(scope, receive, send)

    return middleware
