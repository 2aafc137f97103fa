"""Crash test: kill -9 the server while a large import runs, restart it, and find the table
either fully imported or untouched, with the catalog and the physical schema in agreement."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa

from app.tenancy import Tenancy
from app.tokens import create_token
from ddl import catalog
from tests.conftest import PRODUCT_CATALOG, Backend
from tests.live import LiveServer, live_server, server_env

ROWS = 200_000
STARTED = "writing rows"


def _wait_for_log(server: LiveServer, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log.read_text():
        assert time.monotonic() < deadline, f"no {text!r} in the log: {server.log.read_text()}"
        time.sleep(0.01)


def _kill_9(server: LiveServer) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)


@contextmanager
def _serve(backend: Backend) -> Iterator[LiveServer]:
    settings = backend.settings
    env = server_env(settings.data_dir, settings.database_url, CUSTOMTABLES_LOG_LEVEL="INFO")
    with live_server(env) as server:
        yield server


def _file(count: int, extra: bool) -> bytes:
    columns = list(PRODUCT_CATALOG["Columns"])
    if extra:
        columns.append({"ColumnName": "Extra", "ColumnDataTypeId": 3})
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "Oid": str(uuid.UUID(int=i + 1)),
            "Name": f"Product {i}",
            "Price": 10.25,
            "IsActive": True,
        }
        if extra:
            row["Extra"] = i
        rows.append(row)
    table = {"TableName": "Big", **PRODUCT_CATALOG, "Columns": columns}
    return json.dumps({"Format": "customtables/v1", "Table": table, "Rows": rows}).encode()


def _import_in_background(url: str, token: str, body: bytes) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            response = httpx.put(url, content=body, headers={"X-AccessToken": token}, timeout=300)
            outcome["status"] = response.status_code
        except httpx.HTTPError as error:
            outcome["error"] = type(error).__name__

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _schema_state(backend: Backend, tenant: str, table: str) -> tuple[Any, Any, int | None]:
    """(catalog columns, physical columns, row count) read straight from the database."""
    tenancy = Tenancy(backend.settings)
    try:
        space = tenancy.space(tenancy.get_tenant(tenant))
        with space.read() as conn:
            definition = catalog.find_table(conn, table)
            inspector = sa.inspect(conn)
            physical = (
                [c["name"] for c in inspector.get_columns(table, schema=space.schema)]
                if inspector.has_table(table, schema=space.schema)
                else None
            )
            logical = (
                [definition.key_column, *(c.ColumnName for c in definition.columns)]
                if definition
                else None
            )
            count = None
            if physical is not None:
                quoted = sa.table(table, schema=space.schema)
                count = conn.execute(sa.select(sa.func.count()).select_from(quoted)).scalar_one()
        return logical, physical, count
    finally:
        tenancy.dispose()


def test_kill_9_during_an_import_leaves_all_or_nothing(backend: Backend, tenancy: Tenancy) -> None:
    tenant = f"crash{uuid.uuid4().hex[:8]}"
    tenancy.create_tenant(tenant)
    token = create_token(tenancy, tenant, "admin", ["Admin"])
    path = "/api/v3/custom-tables/Big/import"

    # 1. A missing table: after the crash it is absent, catalog and schema alike (or complete).
    with _serve(backend) as server:
        outcome = _import_in_background(server.base_url + path, token, _file(ROWS, extra=False))
        _wait_for_log(server, STARTED, timeout=120)
        time.sleep(0.3)
        _kill_9(server)
        outcome["thread"].join(timeout=30)
    logical, physical, count = _schema_state(backend, tenant, "Big")
    assert logical == physical
    if "status" in outcome:  # the import finished before the kill: then it is all there
        assert (outcome["status"], count) == (200, ROWS)
    else:
        assert (logical, count) == (None, None)

    # 2. An existing table, replace mode adding a column: old rows and columns, or all new.
    with _serve(backend) as server:
        url = server.base_url + path
        small = httpx.put(url, content=_file(1000, extra=False), headers={"X-AccessToken": token})
        assert small.status_code == 200, small.text
        before = _schema_state(backend, tenant, "Big")
        assert before[2] == 1000
        outcome = _import_in_background(f"{url}?Mode=replace", token, _file(ROWS, extra=True))
        _wait_for_log(server, STARTED, timeout=120)
        time.sleep(0.3)
        _kill_9(server)
        outcome["thread"].join(timeout=30)
    after = _schema_state(backend, tenant, "Big")
    assert after[0] == after[1]
    with _serve(backend) as server:
        url = server.base_url + path
        if "status" in outcome:
            assert outcome["status"] == 200
            assert after == (before[0] + ["Extra"], before[1] + ["Extra"], ROWS)
        else:
            assert after == before
            rows = httpx.get(
                f"{server.base_url}/api/v3/custom-tables/Big/rows/values",
                params={"Format": "flat", "Top": 2},
                headers={"X-AccessToken": token},
            ).json()
            assert rows[0] == {
                "Oid": str(uuid.UUID(int=1)),
                "Name": "Product 0",
                "Price": 10.25,
                "IsActive": True,
            }
        # The restarted server is usable: the same import now runs to the end.
        done = httpx.put(
            f"{url}?Mode=replace",
            content=_file(5000, extra=True),
            headers={"X-AccessToken": token},
        )
        assert done.status_code == 200, done.text
    assert _schema_state(backend, tenant, "Big") == (
        before[0] + ["Extra"],
        before[1] + ["Extra"],
        5000,
    )


def test_an_upload_cut_off_by_the_client_writes_nothing(backend: Backend, tenancy: Tenancy) -> None:
    tenant = f"drop{uuid.uuid4().hex[:8]}"
    tenancy.create_tenant(tenant)
    token = create_token(tenancy, tenant, "admin", ["Admin"])
    body = _file(20_000, extra=False)
    head = (
        "PUT /api/v3/custom-tables/Big/import HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nX-AccessToken: {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with _serve(backend) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(head.encode() + body[: len(body) // 2])
            time.sleep(0.2)
        time.sleep(0.5)
        headers = {"X-AccessToken": token}
        table = httpx.get(f"{server.base_url}/api/v3/custom-tables/Big", headers=headers)
        assert table.status_code == 404
        assert server.process.poll() is None
    assert _schema_state(backend, tenant, "Big") == (None, None, None)
