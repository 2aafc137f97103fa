"""Row change events: what the outbox costs a write, and how fast a webhook hears of it.

1. UpsertMany through the app in-process (no dispatcher, so only the write path is timed), in
   three tenants run interleaved: events switched off (the outbox call replaced by nothing: the
   write as it was before issue 19), events with no webhook, and events with one webhook (each
   event then also gets its delivery row). Median and fastest milliseconds per request, and
   the median of the per-round ratios (each round writes once in each tenant, in turn first).
2. Delivery latency: a live server (real process, its dispatcher on) takes 1-row writes at
   100 per second; a loopback receiver notes when each event arrives; latency is arrival
   minus the event's OccurredAt (same clock). p50 / p99 / max.

    .venv/bin/python -m bench.webhooks                      # SQLite
    .venv/bin/python -m bench.webhooks --pg postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient

from app.cli import bootstrap
from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from bench.common import live_server, scratch_database, server_env
from ddl import outbox
from tests.webhook_support import receiver

TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": [
    {"ColumnName": "Name", "ColumnDataTypeId": 6}, {"ColumnName": "Price", "ColumnDataTypeId": 4},
    {"ColumnName": "Qty", "ColumnDataTypeId": 3}, {"ColumnName": "Active", "ColumnDataTypeId": 0},
    {"ColumnName": "Note", "ColumnDataTypeId": 8}]}  # fmt: skip


def _batch(first: int, size: int) -> dict[str, Any]:
    rows = [{"KeyValue": i, "Columns": [
        {"ColumnName": "Name", "Value": f"item {i}"}, {"ColumnName": "Price", "Value": 39.99},
        {"ColumnName": "Qty", "Value": i}, {"ColumnName": "Active", "Value": True},
        {"ColumnName": "Note", "Value": "a note of some length " * 2}]}
        for i in range(first, first + size)]  # fmt: skip
    return {"OperationType": "UpsertMany", "UpsertManyModel": rows}


def write_cost(database_url: str, size: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=Path(tmp), database_url=database_url,
                                     webhook_dispatch=False, webhook_allow_private=True)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        app = create_app(settings, tenancy)
        with TestClient(app) as client:
            headers = {}
            for name in ("off", "no_webhook", "one_webhook"):
                tenancy.create_tenant(name)
                token = create_token(tenancy, name, "admin", ["Admin"], [])
                headers[name] = {"X-AccessToken": token}
                made = client.post("/api/v3/custom-tables/Items", json=TABLE, headers=headers[name])
                assert made.status_code == 201, made.text
            hook = client.post("/api/v3/webhooks", json={"Url": "http://127.0.0.1:9/x"},
                               headers=headers["one_webhook"])  # fmt: skip
            assert hook.status_code == 201, hook.text
            samples: dict[str, list[float]] = {name: [] for name in headers}
            real = outbox.rows_written
            names = list(headers)
            for round_ in range(rounds):
                shift = round_ % len(names)  # each tenant goes first, second, third in turn:
                for name in names[shift:] + names[:shift]:  # no order bias (caches, WAL)
                    header = headers[name]
                    body = _batch(round_ * size // 2, size)  # half new rows, half updates
                    if name == "off":
                        outbox.rows_written = lambda *_a, **_k: None  # type: ignore[assignment]
                    try:
                        started = time.perf_counter()
                        answer = client.put("/api/v3/custom-tables/Items/rows", json=body,
                                            headers=header)  # fmt: skip
                        samples[name].append(time.perf_counter() - started)
                    finally:
                        outbox.rows_written = real  # type: ignore[assignment]
                    assert answer.status_code == 200, answer.text
        tenancy.dispose()
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    fastest = {f"{name}_min": min(values) * 1000 for name, values in samples.items()}
    # each round's three writes ran side by side: the median of their per-round ratios is the
    # steadiest figure when the machine's speed drifts during the run
    paired = {f"{name}_paired": statistics.median(a / b for a, b in zip(values, samples["off"],
              strict=True)) for name, values in samples.items()}  # fmt: skip
    return {**medians, **fastest, **paired}


def latency(database_url: str, writes: int, per_second: float) -> list[float]:
    arrivals: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, receiver() as sink:
        env = server_env(Path(tmp), database_url, CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE="true",
                         CUSTOMTABLES_ACCESS_LOG="false", CUSTOMTABLES_LOG_LEVEL="WARNING")
        with live_server(env, timeout=60) as server:  # fmt: skip
            token = server.first_token
            assert token
            headers = {"X-AccessToken": token}
            base = f"{server.base_url}/api/v3"
            with httpx.Client(headers=headers, timeout=30) as http:
                assert http.post(f"{base}/custom-tables/Items", json=TABLE).status_code == 201
                assert http.post(f"{base}/webhooks", json={"Url": sink.url}).status_code == 201
                sink.before_answer = lambda r: arrivals.setdefault(r.event_id, r.at)
                pace(lambda i: http.put(f"{base}/custom-tables/Items/rows", json=_batch(i, 1)),
                     writes, per_second)  # fmt: skip
                sink.wait_for(writes, timeout=120)
        delays = []
        for got in sink.requests:
            occurred = datetime.fromisoformat(got.json["OccurredAt"])
            delays.append((arrivals[got.event_id] - occurred.timestamp()) * 1000)
    return delays


def pace(write: Callable[[int], Any], count: int, per_second: float) -> None:
    """`count` writes at `per_second`, from four threads so a slow answer does not stall it
    (a write takes a few ms; two threads fell short of 100/s while the server delivered)."""
    interval = 1 / per_second
    start = time.perf_counter()
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count:
                return
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            write(i)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - start
    print(f"  {count} writes in {took:.1f} s ({count / took:.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--writes", type=int, default=500)
    args = parser.parse_args()
    backend = "PostgreSQL" if args.pg else "SQLite"
    for size in (100, 1000):
        with scratch_database(args.pg) as url:
            cost = write_cost(url, size, args.rounds)
        off = cost["off"]
        print(f"{backend} UpsertMany of {size} rows, median ms: events off {off:.2f}, "
              f"events no webhook {cost['no_webhook']:.2f} "
              f"({cost['no_webhook'] / off - 1:+.1%}), events + one webhook "
              f"{cost['one_webhook']:.2f} ({cost['one_webhook'] / off - 1:+.1%}); fastest: "
              f"off {cost['off_min']:.2f}, one webhook {cost['one_webhook_min']:.2f} "
              f"({cost['one_webhook_min'] / cost['off_min'] - 1:+.1%}); median of per-round "
              f"ratios: no webhook {cost['no_webhook_paired'] - 1:+.1%}, one webhook "
              f"{cost['one_webhook_paired'] - 1:+.1%}")  # fmt: skip
    with scratch_database(args.pg) as url:
        delays = sorted(latency(url, args.writes, 100.0))
    p50 = delays[len(delays) // 2]
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{backend} delivery latency at 100 writes/s ({len(delays)} events): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {delays[-1]:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
