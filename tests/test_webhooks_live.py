"""Webhook delivery by real server processes (SPEC §14), on SQLite and PostgreSQL: a committed
event survives `kill -9` and is delivered after restart with one event id; an attempt in
flight when its process died is retried after its lease; two workers never deliver the same
attempt twice, and each table's events arrive in order."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.live import LiveServer, live_server
from tests.webhook_support import Received, Receiver, receiver, verify

FAST = {
    "CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE": "true",
    "CUSTOMTABLES_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "CUSTOMTABLES_WEBHOOK_POLL_SECONDS": "0.1",
    "CUSTOMTABLES_WEBHOOK_TIMEOUT_SECONDS": "1",
    "CUSTOMTABLES_LOG_LEVEL": "WARNING",
    "CUSTOMTABLES_ACCESS_LOG": "false",
}
TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
         "Columns": [{"ColumnName": "State", "ColumnDataTypeId": 6}]}  # fmt: skip


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _prepare(server: LiveServer, token: str, url: str, tables: list[str]) -> str:
    headers = {"X-AccessToken": token}
    for name in tables:
        _ok(httpx.post(f"{server.base_url}/api/v3/custom-tables/{name}", json=TABLE,
                       headers=headers), 201)  # fmt: skip
    hook = _ok(httpx.post(f"{server.base_url}/api/v3/webhooks", json={"Url": url},
                          headers=headers, timeout=10), 201)  # fmt: skip
    return str(hook["Secret"])


def _write(server: LiveServer, token: str, table: str, key: int, state: str) -> None:
    body = {"OperationType": "UpsertMany", "UpsertManyModel": [
        {"KeyValue": key, "Columns": [{"ColumnName": "State", "Value": state}]}]}  # fmt: skip
    _ok(httpx.put(f"{server.base_url}/api/v3/custom-tables/{table}/rows", json=body,
                  headers={"X-AccessToken": token}, timeout=30))  # fmt: skip


def _rows_events(sink: Receiver) -> list[Received]:
    return [r for r in sink.delivered() if r.json["Event"].startswith("rows.")]


def test_a_committed_event_survives_kill_9(data_env: dict[str, str]) -> None:
    env = {**data_env, **FAST}
    with receiver() as sink:
        with live_server({**env, "CUSTOMTABLES_WEBHOOK_DISPATCH": "false"}) as first:
            token = first.first_token
            assert token
            secret = _prepare(first, token, sink.url, ["Queue"])
            _write(first, token, "Queue", 1, "resolved")
            first.process.kill()  # SIGKILL: committed, never attempted
            first.process.wait(10)
        assert sink.requests == []
        with live_server(env) as second:
            sink.wait_for(1, timeout=30, status=200)
            time.sleep(1.0)  # room for a duplicate to show itself
            rows = _rows_events(sink)
            assert len(rows) == 1
            assert rows[0].json["Rows"] == [{"KeyValue": 1, "Values": {"State": "resolved"}}]
            assert verify(secret, rows[0].headers, rows[0].body)
            assert len({r.event_id for r in sink.requests}) == len(sink.delivered())
            assert second.process.poll() is None


def test_an_attempt_in_flight_when_killed_is_retried_with_its_id(
    data_env: dict[str, str],
) -> None:
    env = {**data_env, **FAST}
    release = threading.Event()
    seen_rows = threading.Event()

    def hold_rows_event(record: Received) -> None:
        if json.loads(record.body)["Event"].startswith("rows.") and not seen_rows.is_set():
            seen_rows.set()
            release.wait(30)

    with receiver() as sink:
        sink.before_answer = hold_rows_event
        with live_server(env) as first:
            token = first.first_token
            assert token
            _prepare(first, token, sink.url, ["Queue"])
            _write(first, token, "Queue", 7, "open")
            assert seen_rows.wait(30)
            first.process.kill()  # the attempt is in flight
            first.process.wait(10)
        release.set()
        with live_server(env):
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and len(_rows_events(sink)) < 2:
                time.sleep(0.1)
        rows = [r for r in sink.requests if r.json["Event"].startswith("rows.")]
        assert len(rows) >= 2  # the first answered to a dead process, then the retry
        assert len({r.event_id for r in rows}) == 1  # duplicates only with the same id


def test_two_workers_never_deliver_an_attempt_twice(data_env: dict[str, str]) -> None:
    env = {**data_env, **FAST}
    tables = ["Alpha", "Beta", "Gamma"]
    with receiver() as sink:
        sink.delay = 0.03
        with live_server(env, timeout=90, args=("--workers", "2")) as server:
            token = server.first_token
            assert token
            _prepare(server, token, sink.url, tables)

            def write(i: int) -> None:
                _write(server, token, tables[i % 3], i // 3, f"s{i}")

            with ThreadPoolExecutor(6) as pool:
                list(pool.map(write, range(60)))
            sink.wait_for(60, timeout=60, status=200)  # the tables were made before the hook
            time.sleep(1.0)
            assert sink.overlaps == []
            ids = [r.event_id for r in sink.requests]
            assert len(ids) == len(set(ids)) == 60  # every receiver answer was 200: no retry
            for table in tables:
                stream = httpx.get(
                    f"{server.base_url}/api/v3/custom-tables/{table}/changes",
                    params={"StreamSeconds": "0", "LastEventId": "0"},
                    headers={"X-AccessToken": token},
                ).text
                in_stream = [json.loads(line[6:]) for line in stream.splitlines()
                             if line.startswith("data: ")]  # fmt: skip
                in_stream = [e["Id"] for e in in_stream if e["Event"] != "table.created"]
                received = [r.event_id for r in sink.requests if r.json["Table"] == table]
                assert received == in_stream  # in order per table
                assert len(in_stream) == 20

