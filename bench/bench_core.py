"""Issue 3 benchmark, in one run on one SQLite file:
(a) UpsertMany of 10,000 rows x 6 columns through HTTP vs (b) plain sqlite3 executemany of the
same upsert; (c) reading the 10,000 rows through rows/values vs a plain read + msgspec encode.

    .venv/bin/python -m bench.bench_core [--rows 10000] [--rounds 5]
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
        {"ColumnName": "IsActive", "ColumnDataTypeId": 0},
    ],
}
PLAIN_DDL = (
    'CREATE TABLE IF NOT EXISTS customtables."Plain" ("Oid" VARCHAR(36) PRIMARY KEY, '
    '"Name" VARCHAR(100), "Category" VARCHAR(50), "Price" DECIMAL_TEXT(19,4), '
    '"Quantity" BIGINT, "IsActive" BOOLEAN)'
)
PLAIN_UPSERT = (
    'INSERT INTO customtables."Plain" ("Oid", "Name", "Category", "Price", "Quantity", "IsActive") '
    'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("Oid") DO UPDATE SET "Name" = excluded."Name", '
    '"Category" = excluded."Category", "Price" = excluded."Price", '
    '"Quantity" = excluded."Quantity", "IsActive" = excluded."IsActive"'
)


def make_rows(count: int, round_: int) -> list[dict[str, object]]:
    return [
        {
            "Oid": str(uuid.UUID(int=i + 1)),
            "Name": f"Product {i} r{round_}",
            "Category": f"Cat {i % 17}",
            "Price": round(i * 1.37 + round_, 2),
            "Quantity": i * 3 + round_,
            "IsActive": i % 2 == 0,
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
                        {"ColumnName": name, "Value": value}
                        for name, value in row.items()
                        if name != "Oid"
                    ],
                }
                for row in rows
            ],
        }
    )


def plain_upsert(path: Path, rows: list[dict[str, object]]) -> float:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS customtables", (str(path),))
    conn.execute("PRAGMA customtables.synchronous=NORMAL")
    conn.execute(PLAIN_DDL)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        PLAIN_UPSERT,
        [
            (r["Oid"], r["Name"], r["Category"], str(r["Price"]), r["Quantity"], int(r["IsActive"]))
            for r in rows
        ],
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def plain_read(path: Path) -> float:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS customtables", (str(path),))
    encoder = msgspec.json.Encoder()
    start = time.perf_counter()
    cursor = conn.execute('SELECT * FROM customtables."Plain" ORDER BY "Oid"')
    names = [d[0] for d in cursor.description]
    encoder.encode([dict(zip(names, row, strict=True)) for row in cursor])
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.rows
    with tempfile.TemporaryDirectory() as tmp, live_server(server_env(Path(tmp))) as server:
        base, token = server.base_url, server.first_token
        client = httpx.Client(
            base_url=f"{base}/api/v3", headers={"X-AccessToken": token}, timeout=120
        )
        assert client.post("/custom-tables/Bench", json=TABLE).status_code == 201
        tenant_file = Path(tmp) / "tenants" / "default.db"
        http_up, plain_up, http_read, http_flat, plain_rd = [], [], [], [], []
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
            start = time.perf_counter()
            response = client.get("/custom-tables/Bench/rows/values")
            http_read.append(time.perf_counter() - start)
            assert len(response.json()) == n
            start = time.perf_counter()
            response = client.get("/custom-tables/Bench/rows/values", params={"Format": "flat"})
            http_flat.append(time.perf_counter() - start)
            plain_rd.append(plain_read(tenant_file))

    def rate(times: list[float]) -> float:
        return n / statistics.median(times)

    print(f"rows per request: {n}, rounds: {args.rounds} (median; round 1 inserts, then updates)")
    print(f"(a) HTTP UpsertMany            {rate(http_up):>10,.0f} rows/s")
    print(f"(b) plain sqlite3 executemany  {rate(plain_up):>10,.0f} rows/s")
    print(f"    ratio (a)/(b)              {rate(http_up) / rate(plain_up):>10.2f}")
    print(f"(c) HTTP rows/values           {rate(http_read):>10,.0f} rows/s")
    print(f"    HTTP rows/values?Format=flat {rate(http_flat):>8,.0f} rows/s")
    print(f"(d) plain read + msgspec       {rate(plain_rd):>10,.0f} rows/s")
    print(f"    ratio (c)/(d)              {rate(http_read) / rate(plain_rd):>10.2f}")


if __name__ == "__main__":
    main()
