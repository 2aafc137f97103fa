"""Shared helpers of the benchmark scripts."""

from __future__ import annotations

from pathlib import Path

from tests.live import LiveServer, live_server, server_env

__all__ = ["LiveServer", "live_server", "rss_mb", "server_env"]


def rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
