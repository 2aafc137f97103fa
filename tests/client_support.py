"""Live servers for the client tests: the real app (same database as the suite's `backend`,
its own settings) served by uvicorn on a free port in a thread, so `customtables.client` talks
real HTTP to it; plus a tenant with an Admin token per test."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from app.cli import bootstrap
from app.main import create_app
from app.tenancy import Tenancy
from app.tokens import create_token
from tests.conftest import Backend
from tests.live import free_port

BATCH_LIMIT = 250  # the server's CUSTOMTABLES_MAX_BATCH_ROWS in these tests: below the client's


@dataclass
class Live:
    url: str
    tenancy: Tenancy

    def tenant(self, *roles: str, scopes: tuple[str, ...] = ()) -> tuple[str, str]:
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
