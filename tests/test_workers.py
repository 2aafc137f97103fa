"""`customtables serve --workers 2`: two processes on one port, on SQLite and PostgreSQL.
Nothing that matters lives in one worker: a column added through a request that one worker
answered is written by the next request whichever worker answers it, and the v1 rate limit
counts every worker's requests. Which worker answered is read from the access log (JSON
lines carry the process id and the request id the answer's X-Request-Id names)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import Backend, TenantCtx
from tests.live import live_server, server_env

WORKERS = ["--workers", "2", "--log-format", "json"]


def _pid_of(log: Path, response: httpx.Response) -> int:
    """The worker that answered: the access-log line of this response's request id (written
    just after the answer's last byte, so it may land a moment after the client has it)."""
    rid = response.headers["x-request-id"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{") and rid in line:
                entry = json.loads(line)
                if entry.get("request_id") == rid:
                    return int(entry["pid"])
        time.sleep(0.02)
    raise AssertionError(f"no access-log line for request {rid}")


def test_start_line_names_port_database_and_workers(backend: Backend) -> None:
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    with live_server(env, timeout=120, args=WORKERS) as server:
        lines = server.log.read_text().splitlines()
        port = server.base_url.rsplit(":", 1)[1]
        start = [line for line in lines if line.startswith("listening on ")]
        assert len(start) == 1, lines
        assert start[0].startswith(f"listening on http://127.0.0.1:{port} (database: ")
        assert start[0].endswith(", 2 workers)")
        if backend.name == "sqlite":
            assert str(backend.settings.data_dir.resolve()) in start[0]
        else:
            assert "postgresql+psycopg://" in start[0]


def _one_client_per_worker(base_url: str, log: Path) -> list[httpx.Client]:
    """Two keep-alive clients whose connections two different workers accepted (opened at
    the same moment until the workers differ), so the test decides which worker answers.
    A worker still starting (a busy machine) accepts nothing yet, so this may take a while."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        clients = [httpx.Client(base_url=base_url) for _ in range(2)]
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda c: c.get("/health"), clients))
        if len({_pid_of(log, answer) for answer in answers}) == 2:
            return clients
        for client in clients:
            client.close()
        time.sleep(0.2)
    raise AssertionError("could not reach both workers")


def test_schema_changes_seen_by_whichever_worker_answers(
    backend: Backend, tenant: TenantCtx
) -> None:
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    headers = {"X-AccessToken": tenant.admin.token}
    with live_server(env, timeout=120, args=WORKERS) as server:
        clients = _one_client_per_worker(server.base_url, server.log)
        base = "/api/v3/custom-tables/Shared"
        definition = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": []}
        assert clients[0].post(base, json=definition, headers=headers).status_code == 201
        for step in range(6):  # each worker in turn adds a column, the other writes it next
            adder, writer = clients[step % 2], clients[1 - step % 2]
            column = f"C{step}"
            add = {**definition, "Columns": [{"ColumnName": column, "ColumnDataTypeId": 3}]}
            added = adder.post(base, json=add, headers=headers)
            assert added.status_code == 200, added.text
            row = {
                "OperationType": "UpsertMany",
                "UpsertManyModel": [
                    {"KeyValue": 1, "Columns": [{"ColumnName": column, "Value": step}]}
                ],
            }
            written = writer.put(f"{base}/rows", json=row, headers=headers)
            assert written.status_code == 200, written.text
            assert _pid_of(server.log, added) != _pid_of(server.log, written)
            read = adder.get(f"{base}/rows/values", params={"Format": "flat"}, headers=headers)
            assert read.json() == [{"Id": 1, **{f"C{i}": i for i in range(step + 1)}}]


def test_rate_limit_counts_every_workers_requests(backend: Backend, tenant: TenantCtx) -> None:
    env = server_env(
        backend.settings.data_dir,
        backend.settings.database_url,
        CUSTOMTABLES_RATE_LIMIT_READS="12",
    )
    key = {"x-api-key": tenant.api(scopes=("workflows:read",)).token}
    with live_server(env, timeout=120, args=WORKERS) as server:
        clients = _one_client_per_worker(server.base_url, server.log)
        answers = [clients[i % 2].get("/api/v1/tables", headers=key) for i in range(12)]
        assert [a.status_code for a in answers] == [200] * 12
        assert len({_pid_of(server.log, a) for a in answers}) == 2
        for client in clients:  # each worker alone saw 6: the 13th is refused by both
            refused = client.get("/api/v1/tables", headers=key)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0
            assert refused.json()["error"]["code"] == "RATE_LIMITED"
