"""Run `customtables serve` as a real process on a free port (for multi-process, crash and
benchmark runs); shared by tests and bench/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    base_url: str
    first_token: str | None  # printed only by the first start on an empty database
    log: Path  # everything the server printed


def server_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CUSTOMTABLES_DATA_DIR": str(data_dir),
        "CUSTOMTABLES_DATABASE_URL": database_url,
        **extra,
    }


@contextmanager
def live_server(
    env: dict[str, str],
    timeout: float = 120.0,  # a start on a loaded CI machine (xdist workers, other jobs) is slow
    cwd: Path | None = None,
    args: Sequence[str] = (),
) -> Iterator[LiveServer]:
    """Start a server process, wait until /health answers, stop it (SIGTERM) afterwards;
    `cwd` runs another source tree (an earlier release, tests/upgrade_support.py); `args` go
    after `serve` (e.g. `--workers 2`)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="customtables-", suffix=".log")  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd or Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy")
            time.sleep(0.1)
        yield LiveServer(process, base, _first_token(Path(log.name)), Path(log.name))
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _first_token(log: Path) -> str | None:
    """The Admin token a first start prints before serving (a line with the token prefix)."""
    lines = [line.strip() for line in log.read_text().splitlines()]
    return next((line for line in lines if line.startswith("ct_")), None)
