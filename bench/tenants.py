"""Onboarding many tenants over HTTP (issue 17): time to create N tenants with
`POST /api/admin/tenants` (each with its first Admin token), and the server's resident memory
and open files after 10 and after N tenants have each served a request.

    .venv/bin/python -m bench.tenants [--tenants 1000] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
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


def run(count: int, database_url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data, scratch_database(database_url) as url:
        env = server_env(Path(data), url, CUSTOMTABLES_ACCESS_LOG="false")
        with live_server(env, timeout=120) as server:
            pid = server.process.pid
            client = httpx.Client(base_url=server.base_url, timeout=60)
            root = {"X-AccessToken": _server_admin_token(env)}
            tokens: list[str] = []
            figures: dict[str, float] = {}
            started = time.perf_counter()
            for i in range(count):
                made = client.post(
                    "/api/admin/tenants", json={"Name": f"t{i:05d}", "AdminToken": True},
                    headers=root,
                )  # fmt: skip
                made.raise_for_status()
                tokens.append(made.json()["AdminToken"])
                if i + 1 == 10:
                    _touch(client, tokens)
                    figures["rss_mb_10"] = current_rss_mb(pid)
                    figures["open_files_10"] = open_files(pid)
            figures["create_seconds"] = time.perf_counter() - started
            _touch(client, tokens)
            figures[f"rss_mb_{count}"] = current_rss_mb(pid)
            figures[f"open_files_{count}"] = open_files(pid)
            return figures


def _touch(client: httpx.Client, tokens: list[str]) -> None:
    """One request in each tenant, so each tenant's space has been opened at least once."""
    for token in tokens:
        client.get("/api/v3/custom-tables", headers={"X-AccessToken": token}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL (default SQLite)")
    args = parser.parse_args()
    figures = run(args.tenants, args.database_url)
    backend = "postgresql" if args.database_url else "sqlite"
    print(json.dumps({"backend": backend, "tenants": args.tenants, **figures}, indent=2))


if __name__ == "__main__":
    main()
