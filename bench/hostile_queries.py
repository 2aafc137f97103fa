"""Benchmark: pathological saved queries against a live server (status, time, peak RSS).

    .venv/bin/python -m bench.hostile_queries [--database-url postgresql+psycopg://…]

(with a URL, the run uses a fresh database beside the one named, and drops it afterwards)

Starts `customtables serve` (default settings) and, for each case of issue 11, saves the query
and runs it when it was accepted. Prints per case: the save and run statuses, the answer's size,
the time taken, the server's resident memory after the case (VmRSS) and its peak so far
(VmHWM). Nothing here should answer 500, and the peak should stay far below 512 MB.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from app.cli import bootstrap
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from bench.common import live_server, rss_mb, scratch_database, server_env


def _nested(depth: int) -> str:
    return "SELECT " + "(" * depth + "1" + ")" * depth + " AS x"


def _case(depth: int) -> str:
    return "SELECT " + "CASE WHEN 1 = 1 THEN " * depth + "1" + " END" * depth + " AS x"


CASES: list[tuple[str, str, str]] = [
    ("regclass cast", "SELECT CAST(1259 AS regclass) AS x", "tsql"),
    ("regnamespace over a recursive CTE",
     "WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20000) "
     "SELECT CAST(CAST(n AS oid) AS regnamespace) AS s FROM r", "tsql"),
    ("pg ::regrole", "SELECT 10::regrole AS x", "postgres"),
    ("no table", "SELECT 1 AS x", "tsql"),
    ("GETDATE", "SELECT GETDATE() AS now", "tsql"),
    ("CTE of literals", "WITH c AS (SELECT 1 AS a UNION ALL SELECT 2) SELECT a FROM c", "tsql"),
    ("50 nested parentheses", _nested(50), "tsql"),
    ("200 nested parentheses", _nested(200), "tsql"),
    ("300 nested parentheses", _nested(300), "tsql"),
    ("100 nested CASE", _case(100), "tsql"),
    ("1+1+...+1 (4,000 terms)", "SELECT " + "+".join(["1"] * 4000) + " AS x", "tsql"),
    ("1+1+...+1 (50,000 terms)", "SELECT " + "+".join(["1"] * 50_000) + " AS x", "tsql"),
    ("IN list of 20,000", "SELECT 1 AS x WHERE 1 IN (" + ",".join(map(str, range(20_000)))
     + ")", "tsql"),
    ("SQL over 100 KB", "SELECT 1 AS x -- " + "x" * 110_000, "tsql"),
    ("FORMAT / NEWID / OPENJSON names", "SELECT FORMAT(1, 'N2') AS x, NEWID() AS y", "tsql"),
    ("pg parse error", "SELECT FROM WHERE (", "postgres"),
    ("1 GB answer (10,000 x 100 KB rows)",
     "SELECT a.N * 1000 + b.N AS K, a.Pad FROM Wide a CROSS JOIN Wide b", "tsql"),
    ("10,000 x 100 KB by nested REPLACE/REPLICATE",
     "SELECT a.N, REPLACE(REPLICATE(a.Pad, 1), '0', 'x') AS P FROM Wide a CROSS JOIN Wide b",
     "tsql"),
    ("slow cross join (time limit)",
     "SELECT COUNT(*) AS C FROM Wide a CROSS JOIN Wide b CROSS JOIN Wide c CROSS JOIN Wide d",
     "tsql"),
]  # fmt: skip


def _current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _setup(client: httpx.Client) -> None:
    table = {"KeyColumnName": "N", "KeyDataTypeId": 3,
             "Columns": [{"ColumnName": "Pad", "ColumnDataTypeId": 7}]}  # fmt: skip
    assert client.post("/custom-tables/Wide", json=table).status_code == 201
    for start in range(1, 101, 20):
        rows = [{"KeyValue": n, "Columns": [{"ColumnName": "Pad", "Value": "0" * 100_000}]}
                for n in range(start, start + 20)]  # fmt: skip
        body = {"OperationType": "UpsertMany", "UpsertManyModel": rows}
        assert client.put("/custom-tables/Wide/rows", json=body).status_code == 200


def _case_run(client: httpx.Client, index: int, sql: str, dialect: str) -> tuple[str, int]:
    name = f"Case{index}"
    body = {"Name": name, "Namespace": "CustomTable", "Sql": sql, "Dialect": dialect}
    saved = client.post("/queries", json=body)
    if saved.status_code != 201:
        return f"save {saved.status_code}: {saved.json().get('Message', '')[:60]}", 0
    size = 0
    with client.stream("GET", f"/queries/{name}/execute") as answer:
        for chunk in answer.iter_raw():
            size += len(chunk)
        status = answer.status_code
    return f"save 201, run {status}", size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as url:
        settings = Settings.from_env(data_dir=Path(tmp), database_url=url)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        tenant = f"bench{uuid.uuid4().hex[:8]}"
        tenancy.create_tenant(tenant)
        token = create_token(tenancy, tenant, "bench", ["Admin"])
        tenancy.dispose()
        print(f"backend {'postgresql' if url else 'sqlite'}")
        with live_server(server_env(Path(tmp), url)) as server:
            pid = server.process.pid
            client = httpx.Client(
                base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": token}, timeout=600
            )
            _setup(client)
            print(f"after set-up: RSS {_current_rss_mb(pid):.0f} MB, peak {rss_mb(pid):.0f} MB")
            print(f"{'case':45} {'outcome':62} {'bytes':>10} {'s':>6} {'RSS':>5} {'peak':>5}")
            for index, (label, sql, dialect) in enumerate(CASES):
                started = time.perf_counter()
                outcome, size = _case_run(client, index, sql, dialect)
                seconds = time.perf_counter() - started
                print(
                    f"{label:45} {outcome:62} {size:>10,} {seconds:>6.2f} "
                    f"{_current_rss_mb(pid):>5.0f} {rss_mb(pid):>5.0f}",
                    flush=True,
                )
            client.close()


if __name__ == "__main__":
    main()
