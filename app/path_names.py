"""Names in the path and query string are text a database will see as bound values; NUL and
other control characters are refused here, once, with 400 (SPEC §9): PostgreSQL cannot even
bind a NUL, and no table, query, definition or v1 id can contain one."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from litestar.types import ASGIApp, Receive, Scope, Send

from ddl.errors import ValidationError
from ddl.names import CONTROL_CHARACTER

_NUL = re.compile(rb"%00|\x00")


def check_path(path: str) -> None:
    found = CONTROL_CHARACTER.search(path)
    if found:
        code = f"U+{ord(found.group()):04X}"
        raise ValidationError(f"The path contains a control character ({code}); names cannot")


def check_query(query: bytes) -> None:
    if _NUL.search(query) or b"\x00" in unquote_to_bytes(query.replace(b"+", b" ")):
        raise ValidationError("The query string contains a NUL character; values cannot")


def path_names_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            check_path(scope.get("path", ""))
            check_query(scope.get("query_string", b""))
        await app(scope, receive, send)

    return middleware
