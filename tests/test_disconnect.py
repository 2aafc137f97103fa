"""A client that goes away in the middle of a streamed read or export must not leave its
database transaction open: afterwards the table can still be dropped at once."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import Backend, TenantCtx
from tests.live import live_server, server_env

ROWS = 30_000  # ~4 MB of JSON: far more than socket buffers hold


def _read_a_little_then_hang_up(base_url: str, path: str, token: str) -> None:
    url = urlparse(base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nX-AccessToken: {token}\r\n\r\n"
        sock.sendall(request.encode())
        received = sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        time.sleep(0.3)  # the server is now blocked on a full socket, mid-stream


@pytest.mark.parametrize("route", ["rows/values", "export"])
def test_hanging_up_mid_stream_releases_the_table(
    backend: Backend, tenant: TenantCtx, route: str
) -> None:
    api = tenant.admin
    assert (
        api.post(
            "custom-tables/Big",
            json={
                "KeyColumnName": "Id",
                "KeyDataTypeId": 3,
                "Columns": [{"ColumnName": "Text", "ColumnDataTypeId": 7}],
            },
        ).status_code
        == 201
    )
    filler = "x" * 100
    for start in range(0, ROWS, 10_000):
        batch = [
            {"KeyValue": i, "Columns": [{"ColumnName": "Text", "Value": filler}]}
            for i in range(start, start + 10_000)
        ]
        response = api.put(
            "custom-tables/Big/rows", json={"OperationType": "UpsertMany", "UpsertManyModel": batch}
        )
        assert response.status_code == 200
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    with live_server(env) as server:
        for _ in range(3):
            _read_a_little_then_hang_up(
                server.base_url, f"/api/v3/custom-tables/Big/{route}", api.token
            )
        client = httpx.Client(
            base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": api.token}, timeout=10
        )
        started = time.monotonic()
        dropped = client.delete("/custom-tables/Big")
        assert dropped.status_code == 200, dropped.text
        assert time.monotonic() - started < 5
