"""Every HTTP request, once: a request id (answered as `X-Request-Id`, and the one a 500 quotes),
one access-log line and the request metrics, written when the answer has been sent (a
streamed answer counts until its last byte).

It wraps Litestar's own ASGI handler, so it sees every request, unrouted ones too, with the
route template Litestar matched and the tenant the token resolved to (app.auth records it).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from app import logs, metrics

REQUEST_ID = "request_id"
TENANT = "ct_tenant"


def remember_tenant(scope: Any, tenant: str) -> None:
    """Note the caller's tenant for this request's access-log line."""
    scope.setdefault("state", {})[TENANT] = tenant


def request_id(scope: Any) -> str | None:
    return scope.get("state", {}).get(REQUEST_ID)


class RequestObserver:
    """ASGI middleware around the app's handler."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state[REQUEST_ID] = rid
        started = time.perf_counter()
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope["method"]
            metrics.observe_request(method, route, status[0], seconds)
            tenant = state.get(TENANT, "")
            logs.access(method, scope["path"], status[0], seconds * 1000, tenant, rid)
