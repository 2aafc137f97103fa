"""The change stream's per-tenant share of open streams (SPEC §14, issue 19), on a real server
process: streams are held open over real sockets, which the in-process test client cannot do.
Kept apart from tests/test_webhooks_live.py, whose delivery tests share one timing worker."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
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


def _rest_of(lines: Iterator[str], seconds: float) -> list[str]:
    """The lines a stream still sends until it ends (the test fails if it outlives `seconds`)."""
    deadline = time.monotonic() + seconds
    rest = []
    for line in lines:
        rest.append(line)
        assert time.monotonic() < deadline, f"the stream went on: {rest[-5:]}"
    return rest


def test_a_stream_ends_when_its_reader_loses_access(data_env: dict[str, str]) -> None:
    """A stream may last an hour: a read role taken away, or the token revoked, while it is
    open must stop it before the next row change is sent, as the next request is refused."""
    env = {**data_env, **FAST}
    with live_server(env) as server:
        admin = {"X-AccessToken": server.first_token or ""}
        base = f"{server.base_url}/api/v3"
        with httpx.Client(timeout=30) as http:
            made = _ok(http.post(f"{base}/custom-tables/Queue", json=TABLE, headers=admin), 201)
            roles = f"{base}/custom-table-definitions/{made['Id']}"

            def set_readers(*names: str) -> None:
                body = {"ReadRoles": list(names), "SaveRoles": []}
                _ok(http.put(roles, json=body, headers=admin))

            def write(key: int, state: str) -> None:
                row = {"KeyValue": key, "Columns": [{"ColumnName": "State", "Value": state}]}
                body = {"OperationType": "UpsertMany", "UpsertManyModel": [row]}
                _ok(http.put(f"{base}/custom-tables/Queue/rows", json=body, headers=admin))

            created = _ok(http.post(f"{base}/access-tokens", json={"User": "r", "Roles": ["Sales"]},
                                    headers=admin), 201)  # fmt: skip
            reader = {"X-AccessToken": created["Token"]}
            set_readers("Sales")
            for take_away in (lambda: set_readers("Nobody"),
                              lambda: _ok(http.delete(f"{base}/access-tokens/{created['Id']}",
                                                      headers=admin))):  # fmt: skip
                with http.stream("GET", f"{base}/custom-tables/Queue/changes",
                                 headers=reader) as stream:  # fmt: skip
                    assert stream.status_code == 200, stream.read()
                    lines = stream.iter_lines()
                    assert next(lines) == "retry: 2000"
                    write(1, "seen")
                    while "seen" not in next(lines):
                        pass  # the reader gets what it may read
                    take_away()
                    write(2, "SECRET")
                    rest = _rest_of(lines, 10)
                assert not any("SECRET" in line for line in rest), rest
                set_readers("Sales")
            answer = http.get(f"{base}/custom-tables/Queue/changes", headers=reader)
            assert answer.status_code == 401  # the revoked token, asked again
