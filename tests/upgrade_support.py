"""The earlier release, run from the project's own git history, for upgrade tests (SPEC §8).

An upgrade test writes data with the release at `FIRST_RELEASE` (its server and CLI, run from
its source tree extracted with `git archive`, on this venv's interpreter and packages), stops
it, then starts this build on the same data directory or database and checks that everything
the old release stored still reads and works. The old tree shadows this build's packages
because it is the working directory and first on PYTHONPATH (the editable install's finder
comes after the path finder).
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.live import LiveServer, live_server

REPO = Path(__file__).resolve().parent.parent
FIRST_RELEASE = "bb1b843"  # SPEC §8: the first release every later one must upgrade from


@functools.cache
def release_tree(commit: str = FIRST_RELEASE) -> Path:
    """The source tree of `commit`, extracted once per test session."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    target = Path(tempfile.mkdtemp(prefix=f"customtables-{commit}-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _old_env(env: dict[str, str], commit: str) -> dict[str, str]:
    tree = str(release_tree(commit))
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [tree, env.get("PYTHONPATH")]))}


@contextmanager
def old_server(env: dict[str, str], commit: str = FIRST_RELEASE) -> Iterator[LiveServer]:
    """`customtables serve` of the earlier release on the data `env` names."""
    with live_server(_old_env(env, commit), timeout=120, cwd=release_tree(commit)) as server:
        yield server


def old_cli(env: dict[str, str], *args: str, commit: str = FIRST_RELEASE) -> str:
    """Run a `customtables` command of the earlier release; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=_old_env(env, commit),
        cwd=release_tree(commit),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer, after checking its status."""
    assert response.status_code == status, response.text
    return response.json()
