"""Benchmark: the pathological bodies and names of issue 11 against a live server, one at a
time, with the status, the time and the server's resident memory after each (now and peak).

    .venv/bin/python -m bench.hostile [--database-url postgresql+psycopg://…]

Starts `customtables serve` (SQLite in a temporary directory unless a database URL is given:
then a fresh database beside it, dropped afterwards) with default settings. The cases are the
ones tests/test_hostile_live.py asserts (tests/hostile_cases.py); the saved-query cases of
issue 11 live with the saved-query work.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import scratch_database
from tests.hostile_cases import cases
from tests.live_backend import resident_kb, serving
from tests.test_hostile_live import Target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL server to use")
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as url:
        extra = {"CUSTOMTABLES_DATABASE_URL": url} if url else {}
        with serving("sqlite", Path(tmp), **extra) as (server, token):
            target = Target(server, token)
            rss, peak = resident_kb(server.process.pid)
            print(f"{backend}: baseline RSS {rss / 1024:.0f} MB, peak {peak / 1024:.0f} MB")
            print(f"{'case':<36} {'status':>6} {'seconds':>8} {'RSS MB':>7} {'peak MB':>8}")
            for case in cases():
                started = time.perf_counter()
                status = target.send(case).status_code
                elapsed = time.perf_counter() - started
                rss, peak = resident_kb(server.process.pid)
                mark = "" if status == case.status else f"  (expected {case.status})"
                print(
                    f"{case.name:<36} {status:>6} {elapsed:>8.3f} "
                    f"{rss / 1024:>7.0f} {peak / 1024:>8.0f}{mark}"
                )
            target.http.close()


if __name__ == "__main__":
    main()
