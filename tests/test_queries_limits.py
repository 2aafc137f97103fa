"""Time and row limits of saved queries: a runaway query is cancelled within the limit while
other requests are served, and a huge result is cut at the row limit with flat memory."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Api, Backend, TenantCtx
from tests.live import live_server, server_env
from tests.test_queries import put_rows, save

NUMS = {
    "KeyColumnName": "N",
    "KeyDataTypeId": 3,
    "Columns": [{"ColumnName": "Label", "ColumnDataTypeId": 7}],
}
PAD = "x" * 100


@pytest.fixture
def nums(api: Api) -> Api:
    """1000 rows: crossed with themselves they make results as large as a test needs."""
    assert api.post("custom-tables/Nums", json=NUMS).status_code == 201
    put_rows(api, "Nums", [{"N": n, "Label": f"n{n}"} for n in range(1, 1001)], key="N")
    return api


def test_runaway_query_is_cancelled_while_others_are_served(api: Api, nums: Api) -> None:
    limit = api.client.app.state.settings.query_timeout_seconds
    slow = "SELECT COUNT(*) AS C FROM Nums a CROSS JOIN Nums b CROSS JOIN Nums c CROSS JOIN Nums d"
    assert save(api, "Slow", slow).status_code == 201
    assert save(api, "Fast", "SELECT COUNT(*) AS C FROM Nums").status_code == 201
    outcome: dict[str, Any] = {}

    def run_slow() -> None:
        started = time.monotonic()
        outcome["response"] = api.get("queries/Slow/execute")
        outcome["elapsed"] = time.monotonic() - started
        outcome["finished"] = time.monotonic()

    worker = threading.Thread(target=run_slow)
    worker.start()
    time.sleep(0.5)
    served = []
    while worker.is_alive() and len(served) < 3:
        started = time.monotonic()
        fast = api.get("queries/Fast/execute")
        listed = api.get("custom-tables")
        served.append((time.monotonic() - started, time.monotonic()))
        assert fast.status_code == 200, fast.text
        assert fast.json()["Rows"] == [{"C": 1000}]
        assert listed.status_code == 200
    worker.join(timeout=limit + 30)
    response = outcome["response"]
    assert response.status_code == 408, response.text
    assert response.json() == {
        "Code": "TIMEOUT",
        "Message": f"The query ran longer than the time limit of {limit:g} s and was cancelled",
    }
    assert outcome["elapsed"] < limit + 1
    assert served, "no other request was served while the slow query ran"
    assert all(took < 1 and done < outcome["finished"] for took, done in served)


def _peak_while(api: Api, path: str, body: dict[str, Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        response = api.post(path, json=body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.mark.parametrize("limit_in_sql", [True, False], ids=["limit-pushed", "streamed"])
def test_row_limit_keeps_memory_flat(api: Api, nums: Api, limit_in_sql: bool) -> None:
    """500,000 rows are cut at 10,000 with `Truncated: true`; peak memory is the same as for
    a result of 20,000 rows and far below what holding the whole result would take.
    `TOP (@n)` keeps the limit out of the SQL, so only the cursor's fetch stops the rows."""
    max_rows = api.client.app.state.settings.query_max_rows
    top = "TOP (@n) " if not limit_in_sql else ""
    sql = (
        f"SELECT {top}a.N * 1000 + b.N AS V, a.Label, '{PAD}' AS Pad "
        "FROM Nums a CROSS JOIN Nums b WHERE b.N <= @per"
    )
    declared = [
        {"Name": "n", "DataTypeId": 3, "Default": 1000000},
        {"Name": "per", "DataTypeId": 3},
    ]
    assert save(api, "Big", sql, Parameters=declared).status_code == 201
    path = "queries/Big/execute"
    assert api.post(path, json={"per": 1}).json()["Rows"][0]["Pad"] == PAD  # warm the caches

    small, small_peak = _peak_while(api, path, {"per": 20})  # 20,000 rows
    big, big_peak = _peak_while(api, path, {"per": 500})  # 500,000 rows
    for response in (small, big):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["Truncated"] is True
        assert len(body["Rows"]) == max_rows
    # Holding 500,000 rows of ~120 characters would take well over 100 MB.
    assert big_peak < 40 * 1024 * 1024, big_peak
    assert big_peak < small_peak * 1.5 + 2 * 1024 * 1024, (small_peak, big_peak)


def _peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes: what the kernel saw, C buffers too."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_row_limit_keeps_a_live_servers_memory_flat(backend: Backend, tenant: TenantCtx) -> None:
    """The same 500,000-row results run by a real `customtables serve` process: its peak RSS
    (Python objects and driver buffers alike) barely moves past what a 20,000-row result took."""
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    with live_server(env) as server:
        client = httpx.Client(
            base_url=f"{server.base_url}/api/v3",
            headers={"X-AccessToken": tenant.admin.token},
            timeout=60,
        )
        assert client.post("/custom-tables/Nums", json=NUMS).status_code == 201
        rows = [
            {"KeyValue": n, "Columns": [{"ColumnName": "Label", "Value": f"n{n}"}]}
            for n in range(1, 1001)
        ]
        body = {"OperationType": "UpsertMany", "UpsertManyModel": rows}
        assert client.put("/custom-tables/Nums/rows", json=body).status_code == 200
        declared = [
            {"Name": "n", "DataTypeId": 3, "Default": 1000000},
            {"Name": "per", "DataTypeId": 3},
        ]
        for name, top in (("Streamed", "TOP (@n) "), ("Limited", "")):
            sql = (
                f"SELECT {top}a.N * 1000 + b.N AS V, a.Label, '{PAD}' AS Pad "
                "FROM Nums a CROSS JOIN Nums b WHERE b.N <= @per"
            )
            definition = {
                "Name": name,
                "Namespace": "CustomTable",
                "Sql": sql,
                "Parameters": declared,
            }
            assert client.post("/queries", json=definition).status_code == 201
            for per in (1, 20, 20):  # warm up: caches, pools and one full 10,000-row answer
                assert client.post(f"/queries/{name}/execute", json={"per": per}).status_code == 200
        before = _peak_rss(server.process.pid)
        for name in ("Streamed", "Limited"):
            response = client.post(f"/queries/{name}/execute", json={"per": 500})
            assert response.status_code == 200, response.text
            assert response.json()["Truncated"] is True
            assert len(response.json()["Rows"]) == 10_000
        grown = _peak_rss(server.process.pid) - before
    # 500,000 rows of ~120 characters held at once would take 60 MB or more.
    assert grown < 20 * 1024 * 1024, grown
