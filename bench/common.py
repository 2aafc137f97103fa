"""Shared helpers of the benchmark scripts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.live import LiveServer, live_server, server_env

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
    base, _ = server_url.rsplit("/", 1)
    admin_url = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"ct_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
