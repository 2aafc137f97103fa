"""A row write's change event commits with its rows, numbered in commit order: on PostgreSQL the
COMMIT goes to the server in one round trip with the event's statement (ddl/backends/postgresql
`first_row_committing`), so the stream's number is locked for the least time. Shown through a
real server with two worker processes and eight writers on one table, on both backends: every
write that answered 200 has exactly one event, the numbers have no gap and no repeat, a refused
write (404) has none, and the table holds what the last write of each key said."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.live import live_server

KEYS = 8
ROUNDS = 6


def _put(base: str, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.put(
        f"{base}/api/v3/custom-tables/Counters/rows",
        json=body,
        headers={"X-AccessToken": token},
        timeout=60,
    )


def _update(key: int, state: str) -> dict[str, Any]:
    column = {"ColumnName": "State", "Value": state}
    model = {"KeyColumnName": "Id", "KeyValue": key, "Columns": [column]}
    return {"OperationType": "Update", "UpdateModel": model}


def _events(base: str, token: str) -> list[tuple[int, dict[str, Any]]]:
    text = httpx.get(
        f"{base}/api/v3/custom-tables/Counters/changes",
        params={"StreamSeconds": "0", "LastEventId": "0"},
        headers={"X-AccessToken": token},
        timeout=60,
    ).text
    events, seq = [], None
    for line in text.splitlines():
        if line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("data: ") and seq is not None:
            events.append((seq, json.loads(line[6:])))
    return events


def test_concurrent_writes_each_commit_one_event_in_order(data_env: dict[str, str]) -> None:
    with live_server(data_env, timeout=90, args=("--workers", "2")) as server:
        base, token = server.base_url, server.first_token
        assert token
        table = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
                 "Columns": [{"ColumnName": "State", "ColumnDataTypeId": 5}]}  # fmt: skip
        created = httpx.post(f"{base}/api/v3/custom-tables/Counters", json=table,
                             headers={"X-AccessToken": token}, timeout=60)  # fmt: skip
        assert created.status_code == 201, created.text
        first = [{"KeyValue": key, "Columns": [{"ColumnName": "State", "Value": "r0"}]}
                 for key in range(KEYS)]  # fmt: skip
        upserted = _put(base, token, {"OperationType": "UpsertMany", "UpsertManyModel": first})
        assert upserted.status_code == 200, upserted.text

        def writer(key: int) -> list[int]:
            statuses = []
            for round_ in range(1, ROUNDS + 1):
                statuses.append(_put(base, token, _update(key, f"r{round_}")).status_code)
            statuses.append(_put(base, token, _update(KEYS + key, "missing")).status_code)
            return statuses

        with ThreadPoolExecutor(KEYS) as pool:
            statuses = [status for answer in pool.map(writer, range(KEYS)) for status in answer]
        assert statuses.count(200) == KEYS * ROUNDS
        assert statuses.count(404) == KEYS  # the keys past the table's refused, nothing written

        events = [(seq, body) for seq, body in _events(base, token)
                  if body["Event"].startswith("rows.")]  # fmt: skip
        numbers = [seq for seq, _ in events]
        assert numbers == sorted(numbers)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # no gap, no repeat
        assert len(events) == 1 + KEYS * ROUNDS  # the first upsert, then one per Update
        written = [(row["KeyValue"], row["Values"]["State"])
                   for _, body in events[1:] for row in body["Rows"]]  # fmt: skip
        assert sorted(written) == sorted(
            (key, f"r{round_}") for key in range(KEYS) for round_ in range(1, ROUNDS + 1)
        )
        for key in range(KEYS):  # each key's events in the order its writer made them
            states = [state for written_key, state in written if written_key == key]
            assert states == [f"r{round_}" for round_ in range(1, ROUNDS + 1)]

        rows = httpx.get(f"{base}/api/v3/custom-tables/Counters/rows/values",
                         headers={"X-AccessToken": token}, timeout=60).json()  # fmt: skip
        final = {row["KeyValue"]: row["Columns"][0]["Value"] for row in rows}
        assert final == dict.fromkeys(range(KEYS), f"r{ROUNDS}")
