"""A live server (tests/live.py) on a fresh SQLite directory or a fresh PostgreSQL database,
with its first Admin token (which also carries both v1 scopes): for the tests that must see
the real process (resident memory, schemathesis over HTTP)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import PG_ADMIN_URL
from tests.live import LiveServer, live_server
from tests.pg import fresh_database


@contextmanager
def serving(backend: str, data_dir: Path, **settings: str) -> Iterator[tuple[LiveServer, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMTABLES_")}
    env.update(CUSTOMTABLES_DATA_DIR=str(data_dir), CUSTOMTABLES_LOG_LEVEL="WARNING", **settings)
    if backend == "sqlite":
        with live_server(env, timeout=60) as server:
            assert server.first_token, server.log.read_text()
            yield server, server.first_token
        return
    with fresh_database(PG_ADMIN_URL) as url:
        env["CUSTOMTABLES_DATABASE_URL"] = url
        with live_server(env, timeout=60) as server:
            assert server.first_token, server.log.read_text()
            yield server, server.first_token


def resident_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB, from /proc: now and at its peak."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]
