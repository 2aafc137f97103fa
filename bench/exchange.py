"""Benchmark: import and export of a large table through a live server (rows/s, peak RSS).

    .venv/bin/python -m bench.exchange [--rows 1000000] [--database-url postgresql+psycopg://…]

(with a URL, the run uses a fresh database beside the one named, and drops it afterwards)

Starts `customtables serve` as a subprocess on a free port (SQLite in a temporary directory
unless a database URL is given), uploads a generated export file of 6 columns with
PUT …/import, then restarts the server and streams GET …/export into a file, both through
`customtables.client` (which streams the file both ways, so it costs what raw httpx does).
Peak RSS is the server process's VmHWM (from /proc), taken from a fresh process for each
half, so the figures do not mix; the baseline is a fresh server's VmHWM after one small
request.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import msgspec

from app.cli import bootstrap
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from bench.common import live_server, rss_mb, scratch_database, server_env
from customtables.client import Client

TABLE = {
    "TableName": "Bench",
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "IsActive", "ColumnDataTypeId": 0},
        {"ColumnName": "When", "ColumnDataTypeId": 1},
    ],
}
encoder = msgspec.json.Encoder(decimal_format="number")


def write_file(path: Path, rows: int) -> None:
    with path.open("wb") as out:
        out.write(encoder.encode({"Format": "customtables/v1", "Table": TABLE})[:-1])
        out.write(b',"Rows":[')
        for start in range(0, rows, 10_000):
            chunk = [
                {
                    "Oid": str(uuid.UUID(int=i + 1)),
                    "Name": f"Product {i}",
                    "Price": Decimal(i % 100_000) / 100,
                    "Qty": i,
                    "IsActive": i % 2 == 0,
                    "When": "2026-01-15T10:00:00Z",
                }
                for i in range(start, min(start + 10_000, rows))
            ]
            encoded = encoder.encode(chunk)[1:-1]
            out.write(encoded if start == 0 else b"," + encoded)
        out.write(b"]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as url:
        env = server_env(Path(tmp), url)
        settings = Settings.from_env(data_dir=Path(tmp), database_url=url)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        tenant = f"bench{uuid.uuid4().hex[:8]}"
        tenancy.create_tenant(tenant)
        token = create_token(tenancy, tenant, "bench", ["Admin"])
        tenancy.dispose()
        backend = "postgresql" if args.database_url else "sqlite"

        source = Path(tmp) / "bench.json"
        write_file(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        print(f"backend {backend}, {args.rows:,} rows, file {size_mb:.1f} MB")

        with live_server(env) as server, Client(server.base_url, token, timeout=3600) as client:
            client.tables()
            print(f"server peak RSS after start: {rss_mb(server.process.pid):.0f} MB")
            started = time.perf_counter()
            answer = client.table("Bench").import_(source)  # streamed from the file
            seconds = time.perf_counter() - started
            assert answer["Inserted"] == args.rows, answer
            print(
                f"import: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, "
                f"server peak RSS {rss_mb(server.process.pid):.0f} MB"
            )

        # A fresh process, so its peak RSS is the export's.
        with live_server(env) as server, Client(server.base_url, token, timeout=3600) as client:
            client.tables()
            started = time.perf_counter()
            exported = client.table("Bench").export(Path(tmp) / "exported.json")  # streamed
            seconds = time.perf_counter() - started
            received = exported.stat().st_size
            print(
                f"export: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, "
                f"{received / 1e6:.1f} MB, server peak RSS {rss_mb(server.process.pid):.0f} MB"
            )


if __name__ == "__main__":
    main()
