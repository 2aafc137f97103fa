"""Issue 16, write side on SQLite, in one run on one file: HTTP UpsertMany of 10,000 rows x 6
columns (UniqueIdentifier key, Varchar, Money, Integer, Date) against plain sqlite3 executemany
of the same upsert on a table of the same shape. Round 1 inserts; the ratio is the median of
the later rounds (updates of every row), as the issue measures it.

    .venv/bin/python -m bench.bench_writes [--rows 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import msgspec

from bench.common import live_server, server_env

TABLE = {
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Category", "ColumnDataTypeId": 5},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "Quantity", "ColumnDataTypeId": 3},
        {"ColumnName": "Created", "ColumnDataTypeId": 1},
    ],
}
COLUMNS = ("Oid", "Name", "Category", "Price", "Quantity", "Created")
PLAIN_DDL = (
    'CREATE TABLE IF NOT EXISTS customtables."Plain" ("Oid" VARCHAR(36) PRIMARY KEY, '
    '"Name" VARCHAR(100), "Category" VARCHAR(50), "Price" DECIMAL_TEXT(19,4), '
    '"Quantity" BIGINT, "Created" DATETIME)'
)
PLAIN_UPSERT = (
    'INSERT INTO customtables."Plain" ('
    + ", ".join(f'"{c}"' for c in COLUMNS)
    + ') VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("Oid") DO UPDATE SET '
    + ", ".join(f'"{c}" = excluded."{c}"' for c in COLUMNS[1:])
)


def make_rows(count: int, round_: int) -> list[dict[str, object]]:
    return [
        {
            "Oid": str(uuid.UUID(int=i + 1)),
            "Name": f"Product {i} r{round_}",
            "Category": f"Cat {i % 17}",
            "Price": round(i * 1.37 + round_, 2),
            "Quantity": i * 3 + round_,
            "Created": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        }
        for i in range(count)
    ]


def upsert_body(rows: list[dict[str, object]]) -> bytes:
    return msgspec.json.encode(
        {
            "OperationType": "UpsertMany",
            "UpsertManyModel": [
                {
                    "KeyColumnName": "Oid",
                    "KeyValue": row["Oid"],
                    "KeyDataTypeId": 9,
                    "Columns": [
                        {"ColumnName": name, "Value": row[name]} for name in COLUMNS[1:]
                    ],
                }
                for row in rows
            ],
        }
    )


def plain_upsert(path: Path, rows: list[dict[str, object]]) -> float:
    """The plain driver: the values as the client has them (Money as text, the date as its
    ISO text), one executemany in one transaction."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS customtables", (str(path),))
    conn.execute("PRAGMA customtables.synchronous=NORMAL")
    conn.execute(PLAIN_DDL)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        PLAIN_UPSERT,
        [
            (r["Oid"], r["Name"], r["Category"], str(r["Price"]), r["Quantity"], r["Created"])
            for r in rows
        ],
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    n = args.rows
    with tempfile.TemporaryDirectory() as tmp, live_server(server_env(Path(tmp))) as server:
        client = httpx.Client(
            base_url=f"{server.base_url}/api/v3",
            headers={"X-AccessToken": server.first_token},
            timeout=120,
        )
        assert client.post("/custom-tables/Bench", json=TABLE).status_code == 201
        tenant_file = Path(tmp) / "tenants" / "default.db"
        http_up, plain_up = [], []
        for round_ in range(args.rounds):
            rows = make_rows(n, round_)
            body = upsert_body(rows)
            start = time.perf_counter()
            response = client.put(
                "/custom-tables/Bench/rows",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            http_up.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            plain_up.append(plain_upsert(tenant_file, rows))

    def rate(times: list[float]) -> float:
        return n / statistics.median(times[1:] or times)

    print(f"rows per request: {n}, rounds: {args.rounds} (median of the update rounds)")
    print(f"(a) HTTP UpsertMany (uuid key, Money, Date)  {rate(http_up):>10,.0f} rows/s")
    print(f"(b) plain sqlite3 executemany               {rate(plain_up):>10,.0f} rows/s")
    print(f"    ratio (a)/(b)                            {rate(http_up) / rate(plain_up):>10.2f}")


if __name__ == "__main__":
    main()
