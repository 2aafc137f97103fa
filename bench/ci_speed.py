"""Benchmark: the same test files run serially (`-n 0`) and then with the suite's xdist
settings (pyproject addopts: `-n 3 --dist loadgroup`), back to back, with the wall time of each
and their ratio; the machine is shared, so only the ratio inside one run means anything.

    .venv/bin/python -m bench.ci_speed [--rounds N] [test files ...]

Without files it runs the slow live-server files CI waits on most (fairness, workers,
shutdown, upgrades). Each round runs serial first, then parallel; a failure in either is
printed and makes the exit status non-zero (a parallel run must pass like a serial one).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [
    "tests/test_fairness.py",
    "tests/test_workers.py",
    "tests/test_shutdown.py",
    "tests/test_upgrade.py",
    "tests/test_upgrade_tokens.py",
    "tests/test_upgrade_collation.py",
    "tests/test_processes.py",
]


def timed_run(files: list[str], extra: list[str]) -> tuple[float, int, str]:
    """(seconds, exit status, pytest's last line) of one pytest run over `files`."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines() or [done.stderr.strip()]
    return time.perf_counter() - started, done.returncode, lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("files", nargs="*", default=DEFAULT_FILES)
    args = parser.parse_args()
    failed = False
    for round_number in range(1, args.rounds + 1):
        serial, serial_rc, serial_line = timed_run(args.files, ["-n", "0"])
        parallel, parallel_rc, parallel_line = timed_run(args.files, [])
        failed |= bool(serial_rc or parallel_rc)
        print(f"round {round_number}: serial {serial:7.1f} s  ({serial_line})")
        print(f"round {round_number}: xdist  {parallel:7.1f} s  ({parallel_line})")
        print(f"round {round_number}: parallel / serial = {parallel / serial:.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
