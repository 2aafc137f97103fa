"""What an operator sees (SPEC §11): `/metrics` in Prometheus text summed over two workers
after known requests (parsed with prometheus_client's own parser), `/ready` following the
database, and access-log lines (fields present, no token, none with --quiet)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PG_ADMIN_URL, Api, Backend, TenantCtx
from tests.live import live_server, server_env
from tests.pg import fresh_database

ROWS_ROUTE = "/api/v3/custom-tables/{table_name}/rows"
ROWS = [
    {"KeyValue": i, "Columns": [{"ColumnName": "Name", "Value": f"n{i}"}]} for i in range(1, 4)
]


def _samples(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _known_requests(base: str, token: str, key: str) -> None:
    v3 = httpx.Client(base_url=f"{base}/api/v3", headers={"X-AccessToken": token}, timeout=30)
    table = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
             "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}  # fmt: skip
    assert v3.post("/custom-tables/M", json=table).status_code == 201
    body = {"OperationType": "UpsertMany", "UpsertManyModel": ROWS}
    assert v3.put("/custom-tables/M/rows", json=body).status_code == 200
    assert len(v3.get("/custom-tables/M/rows/values").json()) == 3
    query = {"Name": "AllM", "Namespace": "CustomTable", "Sql": "SELECT Id FROM [customtables].[M]"}
    assert v3.post("/queries", json=query).status_code in (200, 201)
    assert v3.get("/queries/AllM/execute").status_code == 200
    v1 = {"x-api-key": key}
    assert httpx.get(f"{base}/api/v1/tables", headers=v1).status_code == 200
    assert httpx.get(f"{base}/api/v1/tables", headers=v1).status_code == 429


def test_metrics_after_known_requests(backend: Backend, tenant: TenantCtx) -> None:
    env = server_env(
        backend.settings.data_dir,
        backend.settings.database_url,
        CUSTOMTABLES_METRICS="true",
        CUSTOMTABLES_RATE_LIMIT_READS="1",
    )
    key = tenant.api(scopes=("workflows:read",)).token
    with live_server(env, timeout=120, args=["--workers", "2"]) as server:
        _known_requests(server.base_url, tenant.admin.token, key)
        samples = _samples(server.base_url)
        total = "customtables_http_requests_total"
        assert _value(samples, total, method="PUT", route=ROWS_ROUTE, status="200") == 1
        assert _value(samples, total, method="GET", route="/api/v1/tables", status="429") == 1
        latency = "customtables_http_request_duration_seconds_count"
        assert _value(samples, latency, method="PUT", route=ROWS_ROUTE) == 1
        assert _value(samples, "customtables_rows_written_total") == 3
        assert _value(samples, "customtables_rows_read_total") == 3
        assert _value(samples, "customtables_query_runs_total", outcome="ok") == 1
        assert _value(samples, "customtables_query_runs_total", outcome="timeout") == 0
        assert _value(samples, "customtables_rate_limited_total") == 1
        assert ("customtables_db_connections_in_use", frozenset()) in samples
        # every scrape sums both workers' counts, whichever worker answers it
        for _ in range(4):
            again = _samples(server.base_url)
            assert _value(again, "customtables_rows_written_total") == 3


def test_metrics_off_by_default_and_ready(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 404
    ready = api.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_ready_is_503_while_the_database_is_gone(tmp_path: Any) -> None:
    """PostgreSQL only: an embedded SQLite file cannot go away under a running server."""
    with fresh_database(PG_ADMIN_URL, prefix="ct_ready") as url:
        env = server_env(tmp_path, url)
        with live_server(env, timeout=120) as server:
            assert httpx.get(f"{server.base_url}/ready").status_code == 200
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            gone = httpx.get(f"{server.base_url}/ready", timeout=30)
            assert gone.status_code == 503
            assert gone.json() == {"status": "unavailable"}
            assert httpx.get(f"{server.base_url}/health").status_code == 200


@pytest.mark.parametrize("quiet", [False, True])
def test_access_log_lines(backend: Backend, tenant: TenantCtx, quiet: bool) -> None:
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    args = ["--log-format", "json", *(["--quiet"] if quiet else [])]
    token = tenant.admin.token
    with live_server(env, timeout=120, args=args) as server:
        answer = httpx.get(
            f"{server.base_url}/api/v3/custom-tables/Nope?x=1", headers={"X-AccessToken": token}
        )
        assert answer.status_code == 404
        rid = answer.headers["x-request-id"]
        httpx.get(f"{server.base_url}/health")  # written after the 404's line
        text = server.log.read_text()
    assert token not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == rid]
    if quiet:
        assert mine == []
        return
    assert len(mine) == 1
    entry = mine[0]
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v3/custom-tables/Nope"  # never the query string
    assert entry["status"] == 404
    assert entry["tenant"] == tenant.name
    assert isinstance(entry["ms"], float)
