"""Upgrade to migration 0003_operations (token last use, server-admin tokens, shared
rate-limit counters): tokens made by the first release (bb1b843) keep working unchanged,
list with no last use until used and then with one, can be revoked by id over HTTP, and a
server-admin token and the database rate-limit store work on the upgraded database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live import live_server
from tests.upgrade_support import old_cli, old_server

REPO = Path(__file__).resolve().parent.parent


def _new_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO)]))},
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_old_tokens_after_the_upgrade(data_env: dict[str, str]) -> None:
    env = {**data_env, "CUSTOMTABLES_RATE_LIMIT_READS": "3"}
    with old_server(env) as old:
        admin = old.first_token
        assert admin
    old_cli(env, "tenant", "create", "acme")
    alice = old_cli(
        env, "token", "create", "--tenant", "acme", "--user", "alice", "--role", "Admin",
        "--scope", "workflows:read",
    ).strip().splitlines()[-1]  # fmt: skip

    listed = json.loads(_new_cli(env, "token", "list", "--json"))
    by_user = {t["user"]: t for t in listed}
    assert by_user["alice"]["tenant"] == "acme"
    assert by_user["alice"]["roles"] == ["Admin"]
    assert by_user["alice"]["last_used_at"] is None
    assert by_user["admin"]["tenant"] == "default"

    with live_server(env, timeout=120) as new:
        v3 = {"X-AccessToken": alice}
        assert httpx.get(f"{new.base_url}/api/v3/custom-tables", headers=v3).status_code == 200
        mine = httpx.get(f"{new.base_url}/api/v3/access-tokens", headers=v3).json()
        assert {t["User"] for t in mine} == {"alice"}
        assert mine[0]["LastUsedAt"] is not None
        v1 = {"x-api-key": alice}
        answers = [httpx.get(f"{new.base_url}/api/v1/tables", headers=v1) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        root = json.loads(
            _new_cli(env, "token", "create", "--server-admin", "--user", "root", "--json")
        )["token"]
        tenants = httpx.get(
            f"{new.base_url}/api/admin/tenants", headers={"X-AccessToken": root}
        ).json()
        assert sorted(t["Name"] for t in tenants) == ["acme", "default"]
        default = {"X-AccessToken": admin}
        revoked = httpx.delete(
            f"{new.base_url}/api/v3/access-tokens/{mine[0]['Id']}", headers=default
        )
        assert revoked.status_code == 404  # another tenant's token
        gone = httpx.delete(f"{new.base_url}/api/v3/access-tokens/{mine[0]['Id']}", headers=v3)
        assert gone.status_code == 200
        assert httpx.get(f"{new.base_url}/api/v3/custom-tables", headers=v3).status_code == 401
        assert httpx.get(f"{new.base_url}/api/v3/custom-tables", headers=default).status_code == 200
