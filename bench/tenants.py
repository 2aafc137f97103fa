"""Onboarding many tenants over HTTP (issue 17): time to create N tenants with
`POST /api/admin/tenants` (each with its first Admin token), and the server's resident memory
and open files after 10 and after N tenants have each been touched (a table created, a row
written, that row read back), with the default bound on open tenants (64). The machine's load
average is printed too: seconds are only comparable between runs on an equally loaded machine.
`create_seconds` times only the creations (the touch of the first ten tenants is not in it);
with `--clients N` that many clients create tenants at once (the server runs each request in a
worker thread), and the output says how many did.

    .venv/bin/python -m bench.tenants [--tenants 1000] [--clients 1]
        [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import live_server, scratch_database, server_env


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_files(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _server_admin_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "token", "create", "--server-admin", "--user", "bench",
         "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return str(json.loads(done.stdout)["token"])


def _create_tenants(
    base_url: str, root: dict[str, str], names: list[str], clients: int
) -> tuple[list[str], float]:
    """Create the tenants (each with its first Admin token) with `clients` parallel clients;
    their tokens in the order of `names`, and the seconds it took."""
    local = [httpx.Client(base_url=base_url, timeout=120) for _ in range(clients)]

    def create(index: int) -> str:
        made = local[index % clients].post(
            "/api/admin/tenants", json={"Name": names[index], "AdminToken": True}, headers=root
        )
        made.raise_for_status()
        return str(made.json()["AdminToken"])

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            # each client takes every clients-th name, one request after another
            tokens = list(pool.map(create, range(len(names))))
    finally:
        for client in local:
            client.close()
    return tokens, time.perf_counter() - started


def run(count: int, database_url: str, clients: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data, scratch_database(database_url) as url:
        env = server_env(Path(data), url, CUSTOMTABLES_ACCESS_LOG="false")
        with live_server(env, timeout=120) as server:
            pid = server.process.pid
            client = httpx.Client(base_url=server.base_url, timeout=60)
            root = {"X-AccessToken": _server_admin_token(env)}
            names = [f"t{i:05d}" for i in range(count)]
            figures: dict[str, float] = {}
            first, first_seconds = _create_tenants(server.base_url, root, names[:10], clients)
            _touch(client, first)
            figures["rss_mb_10"] = current_rss_mb(pid)
            figures["open_files_10"] = open_files(pid)
            rest, rest_seconds = _create_tenants(server.base_url, root, names[10:], clients)
            figures["create_seconds"] = first_seconds + rest_seconds
            figures["load_average_1min"] = os.getloadavg()[0]
            tokens = first + rest
            _touch(client, tokens)
            figures[f"rss_mb_{count}"] = current_rss_mb(pid)
            figures[f"open_files_{count}"] = open_files(pid)
            figures["load_average_1min_end"] = os.getloadavg()[0]
            return figures


TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
         "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}  # fmt: skip
ROW = {"OperationType": "UpsertMany", "UpsertManyModel": [
    {"KeyValue": 1, "Columns": [{"ColumnName": "Name", "Value": "a"}]}]}  # fmt: skip


def _touch(client: httpx.Client, tokens: list[str]) -> None:
    """In each tenant: a table (once), a row written, the row read back, so each tenant's space
    has been opened, its table prepared and its statements compiled."""
    for token in tokens:
        headers = {"X-AccessToken": token}
        made = client.post("/api/v3/custom-tables/T", json=TABLE, headers=headers)
        if made.status_code != 409:  # the first ten are touched twice
            made.raise_for_status()
        client.put("/api/v3/custom-tables/T/rows", json=ROW, headers=headers).raise_for_status()
        read = client.get("/api/v3/custom-tables/T/row", params={"KeyValue": 1}, headers=headers)
        read.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1, help="parallel creating clients")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL (default SQLite)")
    args = parser.parse_args()
    figures = run(args.tenants, args.database_url, max(1, args.clients))
    backend = "postgresql" if args.database_url else "sqlite"
    header = {"backend": backend, "tenants": args.tenants, "parallel_clients": args.clients}
    print(json.dumps({**header, **figures}, indent=2))


if __name__ == "__main__":
    main()
