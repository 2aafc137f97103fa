"""Live servers for the client tests: the real app (same database as the suite's `backend`,
its own settings) served by uvicorn on a free port in a thread, so `customtables.client` talks
real HTTP to it; plus a tenant with an Admin token per test."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from base64 import b64decode, b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import sqlalchemy as sa
import uvicorn

from app.cli import bootstrap
from app.main import create_app
from app.tenancy import Tenancy
from app.tokens import create_token
from ddl import catalog
from ddl.prepared import prepare
from tests.conftest import Backend
from tests.live import free_port

BATCH_LIMIT = 250  # the server's CUSTOMTABLES_MAX_BATCH_ROWS in these tests: below the client's


@dataclass
class Live:
    url: str
    tenancy: Tenancy

    def tenant(self) -> tuple[str, str]:
        """A new tenant and an Admin token with the v1 scopes: (tenant, token)."""
        name = f"t{uuid.uuid4().hex[:12]}"
        self.tenancy.create_tenant(name)
        return name, self.token(name, "Admin", scopes=("workflows:read", "workflows:write"))

    def token(self, tenant: str, *roles: str, scopes: tuple[str, ...] = ()) -> str:
        return create_token(self.tenancy, tenant, "user", list(roles), list(scopes))


@contextmanager
def serve(backend: Backend, **settings: Any) -> Iterator[Live]:
    """The app on the suite's database with `settings` changed, until the block ends."""
    tenancy = Tenancy(dataclasses.replace(backend.settings, **settings))
    bootstrap(tenancy)
    app = create_app(tenancy.settings, tenancy)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", tenancy)
    finally:
        server.should_exit = True
        thread.join(30)
        tenancy.dispose()


def stored_keys(live: Live, tenant: str, table: str) -> list[str]:
    """The key of every row as the database holds it (read with SQLAlchemy, not over HTTP)."""
    space = live.tenancy.space(live.tenancy.get_tenant(tenant))
    with space.read() as conn:
        prepared = prepare(space, catalog.get_table(conn, table))
        key = prepared.table.c[prepared.key.name]
        return [str(value) for (value,) in conn.execute(sa.select(key))]


class _LinkProxy(BaseHTTPRequestHandler):
    """Forwards every request to the real server; on `rows/values` it pages by keyset as SPEC
    §10 says: a full page answers `Link: <…&After=…>; rel="next"` (a relative URL keeping the
    other parameters), and `After` is turned into `Skip` for the server behind it."""

    protocol_version = "HTTP/1.1"  # keep-alive, so a client's connection reuse shows
    target = ""
    seen: list[str] = []
    peers: list[int] = []

    def log_message(self, *args: Any) -> None:
        return None

    def _forward(self) -> None:
        url = urlsplit(self.path)
        query = parse_qsl(url.query)
        type(self).seen.append(self.path)
        type(self).peers.append(self.client_address[1])
        paging = url.path.endswith("/rows/values")
        if paging:
            query = [(k, str(int(b64decode(v))) if k == "After" else v) for k, v in query]
            query = [("Skip" if k == "After" else k, v) for k, v in query]
        length = int(self.headers.get("Content-Length") or 0)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        answer = httpx.request(
            self.command, f"{self.target}{url.path}", params=query, headers=headers,
            content=self.rfile.read(length) if length else None, timeout=60,
        )  # fmt: skip
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        if paging and answer.status_code == 200:
            self._link(url.path, dict(query), len(answer.json()))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def _link(self, path: str, query: dict[str, str], count: int) -> None:
        top = int(query.get("Top", 0))
        if top and count == top:
            after = b64encode(str(int(query.pop("Skip", 0)) + count).encode()).decode()
            self.send_header("Link", f'<{path}?{urlencode({**query, "After": after})}>; rel="next"')

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _forward


_HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


@contextmanager
def link_proxy(target: str) -> Iterator[tuple[str, list[str], list[int]]]:
    """A small real HTTP server in front of `target` that sends keyset `Link` headers: (its
    URL, the request paths it saw, the client port of each request)."""
    handler = type("Proxy", (_LinkProxy,), {"target": target, "seen": [], "peers": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen, handler.peers
    finally:
        server.shutdown()
        server.server_close()
