"""The `customtables` command as a user runs it (subprocesses, on SQLite and on a fresh
PostgreSQL database): first start prints one Admin token once, `tenant create`, `token create`
(the token is the last line of stdout and works against the running server), `token revoke`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL
from tests.live import LiveServer, live_server
from tests.pg import fresh_database

TIMEOUT = 60


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path
    url: str | None  # the PostgreSQL URL, or None for SQLite under cwd/data

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def ok(self, *args: str) -> list[str]:
        done = self.run(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout.strip().splitlines()

    def token(self, *args: str) -> str:
        lines = self.ok("token", "create", *args)
        return lines[-1]

    def metadata_engine(self) -> sa.Engine:
        url = self.url or f"sqlite:///{self.cwd / 'data' / 'customtables.db'}"
        return sa.create_engine(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMTABLES_")}
    env["CUSTOMTABLES_DATA_DIR"] = str(tmp_path / "data")
    env["CUSTOMTABLES_LOG_LEVEL"] = "WARNING"
    if request.param == "sqlite":
        yield Cli(env, tmp_path, None)
        return
    with fresh_database(PG_ADMIN_URL) as url:
        env["CUSTOMTABLES_DATABASE_URL"] = url
        yield Cli(env, tmp_path, url)


def _printed(server: LiveServer) -> list[str]:
    return server.log.read_text().strip().splitlines()


def _tokens_in(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("ct_")]


def test_serve_prints_one_admin_token_once_and_tokens_work(cli: Cli) -> None:
    with live_server(cli.env) as first:
        printed = _tokens_in(_printed(first))
        assert len(printed) == 1, _printed(first)
        admin = {"X-AccessToken": printed[0]}
        listed = httpx.get(f"{first.base_url}/api/v3/custom-tables", headers=admin)
        assert listed.status_code == 200, listed.text
        assert listed.json() == []
        made = httpx.post(
            f"{first.base_url}/api/v3/custom-tables/Notes",
            headers=admin,
            json={"KeyColumnName": "Id", "KeyDataTypeId": 3},
        )
        assert made.status_code == 201, made.text

        # a token made by the CLI while the server runs works at once, with its roles
        reader = cli.token("--tenant", "default", "--user", "bob", "--role", "Reader")
        as_reader = {"X-AccessToken": reader}
        assert (
            httpx.get(f"{first.base_url}/api/v3/custom-tables", headers=as_reader).json()[0][
                "TableName"
            ]
            == "Notes"
        )
        refused = httpx.delete(f"{first.base_url}/api/v3/custom-tables/Notes", headers=as_reader)
        assert refused.status_code == 403, refused.text

        # revoked: 401 at once
        assert cli.ok("token", "revoke", reader)[-1] == "Revoked"
        gone = httpx.get(f"{first.base_url}/api/v3/custom-tables", headers=as_reader)
        assert gone.status_code == 401
        assert set(gone.json()) == {"Code", "Message"}

    with live_server(cli.env) as second:
        assert _tokens_in(_printed(second)) == [], _printed(second)
        again = httpx.get(f"{second.base_url}/api/v3/custom-tables/Notes", headers=admin)
        assert again.status_code == 200, again.text


def test_tenant_and_token_commands(cli: Cli) -> None:
    assert cli.ok("tenant", "create", "acme")[-1] == "Created tenant 'acme'"
    token = cli.token(
        "--tenant", "acme", "--user", "alice", "--role", "Admin", "--role", "Reader",
        "--scope", "workflows:read", "--expires-in", "30",
    )  # fmt: skip
    assert token.startswith("ct_")
    assert len(token) >= 40
    other = cli.token("--tenant", "acme", "--user", "carol", "--role", "Writer")
    assert other != token

    with cli.metadata_engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT t.user_name, t.roles, t.scopes, t.expires_at, t.token_hash "
                "FROM ct_tokens t JOIN ct_tenants n ON n.id = t.tenant_id WHERE n.name = 'acme' "
                "ORDER BY t.user_name"
            )
        ).all()
        everything = [str(v) for r in conn.execute(sa.text("SELECT * FROM ct_tokens")) for v in r]
    assert [r.user_name for r in rows] == ["alice", "carol"]
    assert rows[0].roles == '["Admin","Reader"]'
    assert rows[0].scopes == '["workflows:read"]'
    assert rows[0].expires_at is not None
    assert rows[1].expires_at is None
    for raw in (token, other):
        assert not any(raw in value or raw[3:] in value for value in everything)

    assert cli.ok("token", "revoke", other) == ["Revoked"]
    assert cli.ok("token", "revoke", other) == ["Revoked"]  # twice is harmless


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tenant", "create", "Bad-Name"), "Invalid tenant name"),
        (("tenant", "create", "default"), "Tenant 'default' already exists"),
        (("token", "create", "--tenant", "nope", "--user", "u"), "Tenant 'nope' does not exist"),
        (("token", "create", "--tenant", "default", "--user", " "), "needs a user name"),
        (
            ("token", "create", "--tenant", "default", "--user", "u", "--scope", "all"),
            "Unknown scope",
        ),
        (
            ("token", "create", "--tenant", "default", "--user", "u", "--expires-in", "0"),
            "positive number of days",
        ),
    ],
)
def test_cli_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    done = cli.run(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not _tokens_in(done.stdout.splitlines()[-1:])


def test_first_command_on_an_empty_database_shows_the_admin_token(cli: Cli) -> None:
    """Whichever command initialises the database shows the default Admin token, once (on
    stderr for `tenant` and `token`, whose stdout stays their own answer)."""
    done = cli.run("tenant", "create", "acme")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == ["Created tenant 'acme'"]
    printed = _tokens_in(done.stderr.splitlines())
    assert len(printed) == 1, done.stderr
    again = cli.run("token", "create", "--tenant", "acme", "--user", "u", "--role", "Reader")
    assert _tokens_in(again.stderr.splitlines()) == []
    assert len(_tokens_in(again.stdout.splitlines())) == 1
    with live_server(cli.env) as server:
        assert _tokens_in(_printed(server)) == []
        admin = {"X-AccessToken": printed[0]}
        answer = httpx.post(
            f"{server.base_url}/api/v3/custom-tables/T",
            headers=admin,
            json={"KeyColumnName": "Id"},
        )
        assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CUSTOMTABLES_WEBHOOK_TIMEOUT_SECONDS", "0", "must be above 0, not 0.0"),
        ("CUSTOMTABLES_MAX_BATCH_ROWS", "ten", "must be a whole number, not 'ten'"),
        ("CUSTOMTABLES_QUERY_TIMEOUT_SECONDS", "nan", "must be a finite number, not 'nan'"),
        ("CUSTOMTABLES_MAX_WEBHOOKS", "-1", "must be 0 or more, not -1"),
        ("CUSTOMTABLES_RATE_LIMIT_WINDOW", "week", "must be one of second, minute, hour, day"),
        ("CUSTOMTABLES_LOG_FORMAT", "xml", "must be text or json, not 'xml'"),
    ],
)
def test_a_setting_the_server_cannot_run_with_is_named_at_start(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    """`serve` (and every command) refuses it before opening anything: exit 2 and one line
    naming the variable, no traceback, nothing listening, no data directory made."""
    env = {**os.environ, variable: value, "CUSTOMTABLES_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "0"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith(f"error: {variable} {message}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "listening" not in done.stdout
    assert not (tmp_path / "data").exists()
