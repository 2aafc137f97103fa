"""Graceful shutdown (SPEC §11): SIGTERM while a large streamed read is in flight lets the
stream finish, whole and valid, before the server exits; new connections are
refused meanwhile. With one process and with two workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest

from tests.conftest import Backend, TenantCtx
from tests.live import live_server, server_env

ROWS = 40_000


def _fill(base: str, headers: dict[str, str]) -> None:
    table = {
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 7}],
    }
    assert httpx.post(base, json=table, headers=headers, timeout=60).status_code == 201
    for start in range(0, ROWS, 10_000):
        batch = [
            {"KeyValue": i, "Columns": [{"ColumnName": "Name", "Value": f"row {i} " + "x" * 40}]}
            for i in range(start, start + 10_000)
        ]
        body = {"OperationType": "UpsertMany", "UpsertManyModel": batch}
        written = httpx.put(f"{base}/rows", json=body, headers=headers, timeout=120)
        assert written.status_code == 200, written.text


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_a_streamed_read_finish(
    backend: Backend, tenant: TenantCtx, workers: str
) -> None:
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    headers = {"X-AccessToken": tenant.admin.token}
    with live_server(env, timeout=120, args=["--workers", workers, "--quiet"]) as server:
        base = f"{server.base_url}/api/v3/custom-tables/Big{workers}"
        _fill(base, headers)
        with httpx.stream("GET", f"{base}/rows/values", headers=headers, timeout=120) as answer:
            assert answer.status_code == 200
            chunks = answer.iter_bytes(16_384)
            body = bytearray(next(chunks))
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.process.poll() is None, "the server quit with a stream in flight"
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{server.base_url}/health", timeout=5)
            for chunk in chunks:
                body += chunk
        rows = json.loads(body)
        assert len(rows) == ROWS
        assert rows[-1]["KeyValue"] == ROWS - 1
        # uvicorn re-raises the signal it caught once shutdown is done: exit "by SIGTERM"
        assert server.process.wait(60) in (0, -signal.SIGTERM)
        assert "Traceback" not in server.log.read_text()
