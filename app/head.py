"""HEAD answers as GET does, without the body (RFC 9110 §9.3.2), on every GET route.

Litestar routes HEAD only to handlers that declare it, so a `HEAD …/export` (a download
manager asking for the size and name first) was a 405. This wrapper runs the GET handler with
the same headers, status and checks (token, rights, rate limits) and drops the body. A streamed
answer (an export) stops at its first chunk: once the empty final body is sent, the server's
`receive` reports the client gone, which is how Litestar stops a stream.
"""

from __future__ import annotations

from typing import Any

EMPTY_END = {"type": "http.response.body", "body": b"", "more_body": False}
ASKED_HEAD = "ct_head"  # in the request state: the client's method was HEAD


def client_method(scope: Any) -> str:
    """The method the client sent (HEAD runs as GET inside)."""
    return "HEAD" if scope.get("state", {}).get(ASKED_HEAD) else str(scope["method"])


class HeadAsGet:
    """ASGI wrapper around the app's handler (inside app.observe, so the log says HEAD)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        # A copy: the server reads the original scope's method to know it must send no body.
        scope.setdefault("state", {})[ASKED_HEAD] = True
        inner = {**scope, "method": "GET"}
        ended = False

        async def sending(message: Any) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not ended:
                ended = True
                await send(EMPTY_END)

        try:
            await self.app(inner, receive, sending)
        finally:
            # What routing noted (the route template the access log and metrics use).
            scope.update({key: value for key, value in inner.items() if key != "method"})
