"""Benchmark: CSV export of a large table through a live server (rows/s, peak RSS), beside
plain `sqlite3` + the `csv` module writing the same rows.

    .venv/bin/python -m bench.csv_export [--rows 1000000] [--database-url postgresql+psycopg://…]

(with a URL, the run uses a fresh database beside the one named, and drops it afterwards)

The table (6 columns: UUID key, text, Money, Integer, Boolean, Date) is filled by a CSV import
(PUT …/import, text/csv), timed too. Each export then runs in a fresh server process, so its
peak RSS (VmHWM from /proc) is that request's alone: first 10,000 rows (`rows/values?Top=`),
then the whole table (`export?Format=csv`). Flat memory means the two peaks are about equal.
The baseline reads the same rows from a plain SQLite file in key order and writes them with
`csv.writer`, in this process.
"""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from app.cli import bootstrap
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from bench.common import live_server, rss_mb, scratch_database, server_env

HEADER = ["Oid", "Name", "Price", "Qty", "IsActive", "When"]
TYPES = "Oid:9,Name:6,Price:4,Qty:3,IsActive:0,When:1"


def generated(rows: int) -> Iterator[tuple[str, str, str, int, str, str]]:
    for i in range(rows):
        price = f"{i % 100_000 // 100}.{i % 100:02d}"
        yield (str(uuid.UUID(int=i + 1)), f'Product {i}, "v{i % 7}"', price, i,
               "true" if i % 2 == 0 else "false", "2026-01-15T10:00:00Z")  # fmt: skip


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(generated(rows))


def plain_sqlite(tmp: Path, rows: int) -> float:
    """Seconds for plain sqlite3 + csv.writer to write the table in key order (to memory)."""
    db = sqlite3.connect(tmp / "plain.db")
    db.execute(
        "CREATE TABLE t (Oid TEXT PRIMARY KEY, Name TEXT, Price TEXT, Qty INTEGER, "
        'IsActive INTEGER, "When" TEXT)'
    )
    db.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
        ((k, n, p, q, a == "true", w) for k, n, p, q, a, w in generated(rows)),
    )
    db.commit()
    started = time.perf_counter()
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\r\n")
    writer.writerow(HEADER)
    cursor = db.execute("SELECT * FROM t ORDER BY Oid")
    while batch := cursor.fetchmany(1000):
        writer.writerows(batch)
        sink.seek(0)
        sink.truncate()
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def timed_get(url: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    received = 0
    with httpx.stream("GET", url, headers=headers, timeout=3600) as stream:
        assert stream.status_code == 200, stream.read()
        assert stream.headers["content-type"].startswith("text/csv")
        for chunk in stream.iter_raw():
            received += len(chunk)
    return time.perf_counter() - started, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as url:
        env = server_env(Path(tmp), url)
        tenancy = Tenancy(Settings.from_env(data_dir=Path(tmp), database_url=url))
        bootstrap(tenancy)
        tenant = f"bench{uuid.uuid4().hex[:8]}"
        tenancy.create_tenant(tenant)
        headers = {"X-AccessToken": create_token(tenancy, tenant, "bench", ["Admin"])}
        tenancy.dispose()
        source = Path(tmp) / "bench.csv"
        write_csv(source, args.rows)
        backend = "postgresql" if args.database_url else "sqlite"
        print(f"backend {backend}, {args.rows:,} rows, CSV {source.stat().st_size / 1e6:.1f} MB")

        with live_server(env) as server:
            base = f"{server.base_url}/api/v3/custom-tables/Bench"
            started = time.perf_counter()
            with source.open("rb") as body:
                response = httpx.put(
                    f"{base}/import",
                    params={"KeyColumnName": "Oid", "Types": TYPES},
                    content=body,
                    headers={**headers, "Content-Type": "text/csv"},
                    timeout=3600,
                )
            seconds = time.perf_counter() - started
            assert response.status_code == 200, response.text
            print(
                f"CSV import: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, "
                f"server peak RSS {rss_mb(server.process.pid):.0f} MB"
            )

        for label, path in (
            ("first 10,000 rows", "rows/values?Format=csv&Top=10000"),
            ("whole table", "export?Format=csv"),
        ):
            with live_server(env) as server:  # a fresh process: its peak RSS is this export's
                httpx.get(f"{server.base_url}/api/v3/custom-tables", headers=headers)
                start_rss = rss_mb(server.process.pid)
                base = f"{server.base_url}/api/v3/custom-tables/Bench"
                seconds, size = timed_get(f"{base}/{path}", headers)
                rows = min(args.rows, 10_000) if "Top" in path else args.rows
                print(
                    f"CSV export, {label}: {seconds:.2f} s, {rows / seconds:,.0f} rows/s, "
                    f"{size / 1e6:.1f} MB; server peak RSS {rss_mb(server.process.pid):.0f} MB "
                    f"(after start {start_rss:.0f} MB)"
                )

        seconds = plain_sqlite(Path(tmp), args.rows)
        print(f"plain sqlite3 + csv.writer: {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
