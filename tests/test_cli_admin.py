# ruff: noqa: F811 (the `cli` fixture is imported from tests.test_cli)
"""`customtables token list / create / revoke` and `tenant list` as a user runs them (real
subprocesses, on SQLite and a fresh PostgreSQL database): ids printed and listed, secrets
never listed, unknown tokens refused with status 1, the database named on stderr,
`--data-dir` honoured wherever the command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live import live_server
from tests.test_cli import TIMEOUT, Cli, cli  # noqa: F401 (the fixture)


def _created(cli: Cli, *args: str) -> tuple[str, str]:
    """A new token's (id, secret): the id from stderr, the secret as stdout's last line."""
    done = cli.run("token", "create", *args)
    assert done.returncode == 0, done.stderr
    ids = [line[4:] for line in done.stderr.splitlines() if line.startswith("id: ")]
    assert len(ids) == 1, done.stderr
    return ids[0], done.stdout.strip().splitlines()[-1]


def test_token_list_shows_everything_but_the_secret(cli: Cli) -> None:
    cli.ok("tenant", "create", "acme")
    alice_id, alice = _created(cli, "--tenant", "acme", "--user", "alice", "--role", "Admin")
    bob_id, bob = _created(
        cli, "--tenant", "acme", "--user", "bob", "--scope", "workflows:read", "--expires-in", "2"
    )
    listed = json.loads("\n".join(cli.ok("token", "list", "--tenant", "acme", "--json")))
    assert [t["id"] for t in listed] == [alice_id, bob_id]
    assert listed[0] | {"created_at": None} == {
        "id": alice_id, "tenant": "acme", "user": "alice", "roles": ["Admin"], "scopes": [],
        "created_at": None, "expires_at": None, "last_used_at": None,
    }  # fmt: skip
    assert listed[1]["scopes"] == ["workflows:read"]
    assert listed[1]["expires_at"] > listed[1]["created_at"]
    everything = cli.run("token", "list")
    assert everything.returncode == 0
    for secret in (alice, bob):
        assert secret not in everything.stdout
        assert secret[3:12] not in everything.stdout
    header = everything.stdout.splitlines()[0].split()
    assert header[:5] == ["ID", "TENANT", "USER", "ROLES", "SCOPES"]
    assert {alice_id, bob_id} <= set(everything.stdout.split())
    assert "database: " in everything.stderr


def test_last_use_is_recorded(cli: Cli) -> None:
    token_id, token = _created(cli, "--tenant", "default", "--user", "u", "--role", "Admin")
    with live_server(cli.env, timeout=120) as server:
        answer = httpx.get(
            f"{server.base_url}/api/v3/custom-tables", headers={"X-AccessToken": token}
        )
        assert answer.status_code == 200
    listed = json.loads("\n".join(cli.ok("token", "list", "--json")))
    mine = next(t for t in listed if t["id"] == token_id)
    assert mine["last_used_at"] is not None
    assert mine["last_used_at"] >= mine["created_at"]


def test_revoke_by_id_and_unknown_tokens(cli: Cli) -> None:
    token_id, _ = _created(cli, "--tenant", "default", "--user", "u", "--role", "Admin")
    assert cli.ok("token", "revoke", token_id) == ["Revoked"]
    listed = json.loads("\n".join(cli.ok("token", "list", "--json")))
    assert token_id not in [t["id"] for t in listed]
    for unknown in ("ct_unknown", "00000000-0000-0000-0000-000000000000", ""):
        done = cli.run("token", "revoke", unknown)
        assert done.returncode == 1, (unknown, done.stdout, done.stderr)
        assert "no token has that id or value" in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


def test_token_create_json(cli: Cli) -> None:
    done = cli.run("token", "create", "--tenant", "default", "--user", "j", "--role", "R", "--json")
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    assert issued["token"].startswith("ct_")
    assert issued["tenant"] == "default"
    assert issued["roles"] == ["R"]
    listed = json.loads("\n".join(cli.ok("token", "list", "--json")))
    assert issued["id"] in [t["id"] for t in listed]


def test_tenant_list_counts_tables_and_rows(cli: Cli) -> None:
    cli.ok("tenant", "create", "acme")
    _, token = _created(cli, "--tenant", "acme", "--user", "a", "--role", "Admin")
    with live_server(cli.env, timeout=120) as server:
        v3 = httpx.Client(
            base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": token}
        )
        for name in ("A", "B"):
            body = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": []}
            assert v3.post(f"/custom-tables/{name}", json=body).status_code == 201
        rows = {"OperationType": "UpsertMany",
                "UpsertManyModel": [{"KeyValue": i, "Columns": []} for i in range(5)]}  # fmt: skip
        assert v3.put("/custom-tables/A/rows", json=rows).status_code == 200
    listed = json.loads("\n".join(cli.ok("tenant", "list", "--json")))
    by_name = {t["name"]: t for t in listed}
    assert by_name["acme"]["tables"] == 2
    assert by_name["acme"]["rows"] == 5
    assert by_name["default"]["tables"] == 0
    text = cli.ok("tenant", "list")
    assert text[0].split() == ["NAME", "TABLES", "ROWS", "CREATED"]


def test_data_dir_flag_wherever_the_command_runs(tmp_path: Path) -> None:
    """SQLite only: the flag decides the directory, not the working directory."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "CUSTOMTABLES_LOG_LEVEL": "WARNING"}
    data = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data), "tenant", "create", "acme"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (data / "customtables.db").exists()
    assert not (elsewhere / "data").exists()
    assert f"database: sqlite:///{data.resolve()}/customtables.db" in done.stderr


def test_tenant_delete(cli: Cli) -> None:
    cli.ok("tenant", "create", "acme")
    _created(cli, "--tenant", "acme", "--user", "a", "--role", "Admin")
    kept_id, _ = _created(cli, "--tenant", "default", "--user", "d", "--role", "Admin")
    done = cli.run("tenant", "delete", "acme")
    assert done.returncode == 0, done.stderr
    assert "Deleted tenant 'acme'" in done.stdout
    names = [t["name"] for t in json.loads("\n".join(cli.ok("tenant", "list", "--json")))]
    assert names == ["default"]
    listed = json.loads("\n".join(cli.ok("token", "list", "--json")))
    assert {t["tenant"] for t in listed} == {"default"}
    assert kept_id in [t["id"] for t in listed]
    if cli.url is None:
        assert not (cli.cwd / "data" / "tenants" / "acme.db").exists()
    again = cli.run("tenant", "delete", "acme")
    assert again.returncode == 2
    assert "Tenant 'acme' does not exist" in again.stderr
    cli.ok("tenant", "create", "acme")  # the name is free again
