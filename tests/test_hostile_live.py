"""Every pathological body and name of issue 11 sent to a live server (one process, default
settings) on SQLite and PostgreSQL: each gets its 4xx (never a 500), and the process's peak
resident memory (VmHWM from /proc) stays under 512 MB across the whole module."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hostile_cases import TABLE, TABLE_BODY, V1_TABLE, V1_TABLE_BODY, Case, cases
from tests.live import LiveServer
from tests.live_backend import resident_kb, serving
from tests.support import LEAKS

LIMIT_KB = 512 * 1024
CASES = cases()


class Target:
    """The live server, its token and the v1 table the v1 cases write into."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, timeout=120)
        self.token = token
        made = self.http.post(f"/api/v3/custom-tables/{TABLE}", json=TABLE_BODY, headers=self.v3)
        assert made.status_code == 201, made.text
        table = self.http.post("/api/v1/tables", json=V1_TABLE_BODY, headers=self.v1)
        assert table.status_code == 201, table.text
        self.v1_table = table.json()["data"]["id"]

    @property
    def v3(self) -> dict[str, str]:
        return {"X-AccessToken": self.token}

    @property
    def v1(self) -> dict[str, str]:
        return {"x-api-key": self.token}

    def send(self, case: Case) -> httpx.Response:
        path = case.path.replace(V1_TABLE, self.v1_table)
        auth = self.v1 if path.startswith("/api/v1") else self.v3
        if case.files:
            files = {"file": ("file.json", case.body or b"", "application/json")}
            return self.http.request(case.method, path, files=files, headers=auth)
        headers = {**auth, "Content-Type": "application/json", **case.headers}
        return self.http.request(case.method, path, content=case.body, headers=headers)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    data_dir: Path = tmp_path_factory.mktemp(f"hostile_{request.param}")
    with serving(request.param, data_dir) as (server, token):
        live = Target(server, token)
        yield live
        live.http.close()
        _, peak = resident_kb(server.process.pid)
        assert peak < LIMIT_KB, f"peak resident memory {peak // 1024} MB"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_request(target: Target, case: Case) -> None:
    started = time.monotonic()
    response = target.send(case)
    elapsed = time.monotonic() - started
    assert response.status_code == case.status, response.text[:500]
    assert not LEAKS.search(response.text[:10_000]), response.text[:500]
    assert elapsed < 90, (case.name, elapsed)
    _, peak = resident_kb(target.server.process.pid)
    assert peak < LIMIT_KB, f"{case.name}: peak resident memory {peak // 1024} MB"


def test_a_repeated_content_type_is_judged_by_its_first(target: Target) -> None:
    """Sent raw, as a client may: the body is read by the first Content-Type (Litestar's
    and the upload reader's reading), so the 415 check must judge that one, not a later one."""
    body = b'{"OperationType":"UpsertMany","UpsertManyModel":[]}'
    host, port = target.server.base_url.removeprefix("http://").split(":")
    request = (
        f"PUT /api/v3/custom-tables/{TABLE}/rows HTTP/1.1\r\nHost: {host}\r\n"
        f"X-AccessToken: {target.token}\r\nContent-Type: text/plain\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 415 "), answer[:300]
    assert b"UNSUPPORTED_MEDIA_TYPE" in answer


def test_nothing_was_written(target: Target) -> None:
    """The refused requests left the table as it was and created nothing."""
    rows: Any = target.http.get(f"/api/v3/custom-tables/{TABLE}", headers=target.v3).json()
    assert rows["RowCount"] == 0
    assert target.http.get("/api/v3/custom-tables/Deep", headers=target.v3).status_code == 404
    assert target.http.get("/api/v3/custom-tables/Big", headers=target.v3).status_code == 404
    v1_rows = target.http.get(f"/api/v1/tables/{target.v1_table}/rows", headers=target.v1)
    assert v1_rows.json()["data"] == []
