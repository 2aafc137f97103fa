"""Prometheus metrics (SPEC §11): requests by route template and status, latency, rows written
and read, saved-query runs and time-outs, rate-limit refusals, database connections in use.

With several workers the values live in files under PROMETHEUS_MULTIPROC_DIR (set by
`customtables serve` before the workers start), and `GET /metrics` on any worker adds up every
worker's files (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from litestar import Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

from ddl.row_stream import RowStream

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
QUERY_RUN_ROUTE = "/api/v3/queries/{name}/execute"  # as Litestar writes the template

REQUESTS = Counter(
    "customtables_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "customtables_http_request_duration_seconds",
    "Time from request to the end of the answer, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ROWS_WRITTEN = Counter("customtables_rows_written", "Rows inserted or updated by v3 row writes")
ROWS_READ = Counter("customtables_rows_read", "Rows streamed by v3 row reads")
QUERY_RUNS = Counter("customtables_query_runs", "Saved-query runs, by outcome", ["outcome"])
RATE_LIMITED = Counter("customtables_rate_limited", "Requests refused with 429")
DB_CONNECTIONS = Gauge(
    "customtables_db_connections_in_use",
    "Database connections checked out of the pools",
    multiprocess_mode="livesum",
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (called by app.observe for every HTTP request)."""
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    if status == 429:
        RATE_LIMITED.inc()
    if route == QUERY_RUN_ROUTE:
        outcome = "timeout" if status == 408 else "ok" if status < 400 else "error"
        QUERY_RUNS.labels(outcome).inc()


def rows_written(count: int) -> None:
    ROWS_WRITTEN.inc(count)


def counting_reads(partitions: RowStream[list[list[Any]]]) -> RowStream[list[list[Any]]]:
    """Pass row partitions through, counting the rows as they are streamed."""
    return partitions.passing(before=lambda partition: ROWS_READ.inc(len(partition)))


def watch_engine(engine: sa.Engine) -> None:
    """Track connections checked out of `engine`'s pool in the in-use gauge."""
    sa.event.listen(engine, "checkout", lambda *_: DB_CONNECTIONS.inc())
    sa.event.listen(engine, "checkin", lambda *_: DB_CONNECTIONS.dec())


def render() -> bytes:
    """The exposition text: every worker's values in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_exited(pid: int) -> None:
    """Drop a stopped worker's live gauges (its counters stay counted)."""
    if os.environ.get(MULTIPROC_ENV):
        _multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


@get("/metrics", tags=["Service"], sync_to_thread=True, summary="Prometheus metrics")
def metrics_route() -> Response[bytes]:
    """Prometheus text; only routed when CUSTOMTABLES_METRICS=true."""
    return Response(render(), media_type=CONTENT_TYPE_LATEST)
