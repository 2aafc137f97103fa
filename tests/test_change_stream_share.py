"""The change stream's per-tenant share of open streams (SPEC §14, issue 19), on a real server
process: streams are held open over real sockets, which the in-process test client cannot do.
Kept apart from tests/test_webhooks_live.py, whose delivery tests share one timing worker."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from typing import Any

import httpx

from tests.live import live_server
from tests.test_webhooks_live import FAST, TABLE


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def test_a_tenant_holds_at_most_its_share_of_change_streams(data_env: dict[str, str]) -> None:
    """Each open stream polls the database, so a tenant's open streams are capped (429 with
    Retry-After past the share); a closed stream gives its place back; other tenants are not
    touched by one tenant's streams."""
    env = {**data_env, **FAST, "CUSTOMTABLES_MAX_CHANGE_STREAMS": "2"}
    with live_server(env) as server:
        token = server.first_token
        assert token
        _cli(env, "tenant", "create", "other")
        other = _cli(env, "token", "create", "--tenant", "other", "--user", "u", "--role", "Admin")
        changes = f"{server.base_url}/api/v3/custom-tables/Queue/changes"
        with httpx.Client(timeout=30) as http, ExitStack() as open_streams:
            for key in (token, other):
                _ok(http.post(f"{server.base_url}/api/v3/custom-tables/Queue", json=TABLE,
                              headers={"X-AccessToken": key}), 201)  # fmt: skip

            readers = []  # a line iterator dropped would close its answer

            def open_stream(key: str) -> httpx.Response:
                response = open_streams.enter_context(
                    http.stream("GET", changes, headers={"X-AccessToken": key})
                )
                if response.status_code == 200:
                    readers.append(response.iter_lines())
                    assert next(readers[-1]) == "retry: 2000"  # it is open
                return response

            first, second = open_stream(token), open_stream(token)
            assert (first.status_code, second.status_code) == (200, 200)
            refused = http.get(changes, params={"StreamSeconds": "1"},
                               headers={"X-AccessToken": token})  # fmt: skip
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "5"
            assert "2 change streams open" in refused.json()["Message"]
            assert open_stream(other).status_code == 200  # another tenant's share is its own

            second.close()
            deadline = time.monotonic() + 10
            while (again := http.get(changes, params={"StreamSeconds": "0"},
                                     headers={"X-AccessToken": token})).status_code == 429:
                assert time.monotonic() < deadline, "a closed stream never gave its place back"
                time.sleep(0.1)  # fmt: skip
            assert again.status_code == 200
