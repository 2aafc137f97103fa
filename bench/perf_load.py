"""Request rates measured with `wrk` (a C load generator that costs little CPU on a 2-core
machine): one keep-alive client for sequential rates, 8 for `serve --workers 2` against one."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import live_server
from bench.perf_rows import TABLE, make_rows, update_body

_SCRIPT = """
local bodies = {%(bodies)s}
local paths = {%(paths)s}
local n = 0
request = function()
  n = n + 1
  local i = (n %% #paths) + 1
  return wrk.format("%(method)s", paths[i],
    {["X-AccessToken"] = "%(token)s", ["Content-Type"] = "application/json"}, bodies[i])
end
"""
SAMPLE = 2000  # distinct rows the scripts cycle through


def _lua_list(items: list[str]) -> str:
    return ",".join("[[" + item + "]]" for item in items)


def _keys(rows: int) -> list[str]:
    return [str(row["Oid"]) for row in make_rows(min(rows, SAMPLE), 0)]


def update_script(token: str, rows: int) -> str:
    keys = _keys(rows)
    return _SCRIPT % {
        "bodies": _lua_list([update_body(key, i).decode() for i, key in enumerate(keys)]),
        "paths": _lua_list([f"/api/v3/custom-tables/{TABLE}/rows"] * len(keys)),
        "method": "PUT",
        "token": token,
    }


def query_script(token: str, rows: int, query: str) -> str:
    keys = _keys(rows)
    return _SCRIPT % {
        "bodies": _lua_list([""] * len(keys)),
        "paths": _lua_list([f"/api/v3/queries/{query}/execute?k={quote(k)}" for k in keys]),
        "method": "GET",
        "token": token,
    }


@contextmanager
def script_file(text: str) -> Iterator[Path]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as handle:
        handle.write(text)
        handle.flush()
        yield Path(handle.name)


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench.perf needs wrk (Debian: apt-get install -y wrk)")


def wrk_rate(url: str, seconds: float, clients: int = 1, script: Path | None = None) -> float:
    """Requests per second; any answer but 2xx stops the benchmark (a refused request would
    make the rate meaningless)."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", url]  # whole s only
    if script is not None:
        command[4:4] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if "Non-2xx" in output or match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def compare_workers(env: dict[str, str], args: argparse.Namespace, report: Any) -> None:
    """The same 8-client Update load on a fresh `serve` with 1 and with 2 workers."""
    rates = {}
    with script_file(update_script(args.token, args.rows)) as script:
        for workers in (1, 2):
            serve = ["--workers", str(workers), "--quiet"]
            with live_server(env, timeout=180, args=serve) as server:
                wrk_rate(server.base_url, 2, 8, script)  # warm every worker
                rates[workers] = wrk_rate(server.base_url, args.workers_seconds, 8, script)
    report.ratio("8 clients, Update: serve --workers 2 vs 1", rates[2], rates[1], "req/s", ">= 1.6")
