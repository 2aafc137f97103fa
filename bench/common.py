"""Shared helpers of the benchmark scripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import LiveServer, live_server, server_env
from tests.pg import fresh_database

__all__ = ["LiveServer", "live_server", "rss_mb", "scratch_database", "server_env"]


def rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database beside the one `server_url` names (PostgreSQL), dropped afterwards, so
    a benchmark never leaves tables or tenants in a shared database. SQLite ('') passes through."""
    if not server_url:
        yield ""
        return
    with fresh_database(server_url, prefix="ct_bench") as url:
        yield url
