"""Rows API for applications: a selective `Where` on the key answers in time proportional to the
rows returned, and keyset page 5,000 (100-row pages) costs what page 1 costs, unlike `Skip`.
Each figure is printed beside plain sqlite3 running the same SELECT on the same file.

    .venv/bin/python -m bench.rows_api                      # 200,000 rows, SQLite, temp dir
    .venv/bin/python -m bench.rows_api --rows 1000000       # the issue's million rows
    .venv/bin/python -m bench.rows_api --pg postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from app.cli import bootstrap
from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from bench.common import scratch_database

TABLE = "Items"
BATCH = 10_000
PAGE = 100


def timed(function: Callable[[], Any], repeat: int = 7) -> float:
    """Median milliseconds per call."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def fill(client: TestClient[Any], headers: dict[str, str], rows: int) -> float:
    body = {
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [
            {"ColumnName": "Name", "ColumnDataTypeId": 6},
            {"ColumnName": "Price", "ColumnDataTypeId": 4},
            {"ColumnName": "Grp", "ColumnDataTypeId": 3},
        ],
    }
    assert client.post(f"/api/v3/custom-tables/{TABLE}", json=body, headers=headers).is_success
    started = time.perf_counter()
    for first in range(1, rows + 1, BATCH):
        batch = [
            {
                "KeyValue": i,
                "Columns": [
                    {"ColumnName": "Name", "Value": f"item {i}"},
                    {"ColumnName": "Price", "Value": f"{i % 1000}.25"},
                    {"ColumnName": "Grp", "Value": i % 97},
                ],
            }
            for i in range(first, min(first + BATCH, rows + 1))
        ]
        response = client.put(
            f"/api/v3/custom-tables/{TABLE}/rows",
            json={"OperationType": "UpsertMany", "UpsertManyModel": batch},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    return time.perf_counter() - started


def get(client: TestClient[Any], headers: dict[str, str], **params: Any) -> Any:
    response = client.get(
        f"/api/v3/custom-tables/{TABLE}/rows/values", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


def link_of(response: Any) -> str:
    return str(response.headers["link"]).split(">")[0][1:]


def report(what: str, api_ms: float, plain_ms: float | None) -> None:
    plain = f"{plain_ms:9.2f} ms" if plain_ms is not None else "        -"
    print(f"  {what:<52} {api_ms:9.2f} ms   plain sqlite3 {plain}")


def run(rows: int, pg_url: str) -> None:
    with tempfile.TemporaryDirectory() as data, scratch_database(pg_url) as url:
        settings = Settings.from_env(data_dir=Path(data), database_url=url)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        tenancy.create_tenant("bench")
        headers = {"X-AccessToken": create_token(tenancy, "bench", "bench", ["Admin"], [])}
        app = create_app(settings, tenancy)
        with TestClient(app) as client:
            seconds = fill(client, headers, rows)
            print(f"{rows:,} rows written in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
            plain = None
            if url:  # fresh statistics, as autovacuum would give a table this size
                space = tenancy.space(tenancy.get_tenant("bench"))
                with space.engine.connect() as conn:
                    conn.exec_driver_sql(f'ANALYZE "{space.schema}"."{TABLE}"')
                    conn.commit()
            if not url:
                plain = sqlite3.connect(Path(data) / "tenants" / "bench.db")
            measure(client, headers, rows, plain)
        tenancy.dispose()


def measure(
    client: TestClient[Any], headers: dict[str, str], rows: int, plain: sqlite3.Connection | None
) -> None:
    middle = rows // 2

    def sql(statement: str, *args: Any) -> float | None:
        if plain is None:
            return None
        return timed(lambda: plain.execute(statement, args).fetchall())

    print("Where on the key (time follows the rows returned, not the table size):")
    for width in (10, 100, 1000, 10_000):
        where = f"Id >= {middle} AND Id < {middle + width}"
        api = timed(lambda w=where: get(client, headers, Where=w, Format="flat"))
        base = sql(
            f'SELECT * FROM "{TABLE}" WHERE Id >= ? AND Id < ? ORDER BY Id', middle, middle + width
        )
        report(f"Where {where} ({width:,} rows)", api, base)
    api = timed(lambda: get(client, headers, Where="Grp = 5 AND Id < 2000", Format="flat"))
    report("Where Grp = 5 AND Id < 2000 (key range + filter)", api, None)

    print(f"Keyset pages of {PAGE} (page 5,000 costs what page 1 costs):")
    page_one = timed(lambda: get(client, headers, Top=PAGE, Format="flat"))
    report("page 1", page_one, sql(f'SELECT * FROM "{TABLE}" ORDER BY Id LIMIT {PAGE}'))
    deep = min(5_000, rows // PAGE - 1)
    skip = (deep - 1) * PAGE
    started = time.perf_counter()
    link = link_of(get(client, headers, Top=PAGE, Skip=skip - PAGE, Format="flat"))
    offset_ms = (time.perf_counter() - started) * 1000
    keyset = timed(lambda: client.get(link, headers=headers))
    report(
        f"page {deep:,} by After (keyset)",
        keyset,
        sql(f'SELECT * FROM "{TABLE}" WHERE Id > ? ORDER BY Id LIMIT {PAGE}', skip),
    )
    report(
        f"page {deep:,} by Skip (OFFSET scan, once)",
        offset_ms,
        sql(f'SELECT * FROM "{TABLE}" ORDER BY Id LIMIT {PAGE} OFFSET {skip}'),
    )
    print(f"  ratio page {deep:,} / page 1 by After: {keyset / page_one:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL: run on a scratch database")
    arguments = parser.parse_args()
    run(arguments.rows, arguments.pg)


if __name__ == "__main__":
    main()
