"""`customtables token create` refuses what SPEC §9 forbids (role names outside the name
pattern, unknown scopes, a token with neither), with exit status 2 and a message, and writes
no token; a valid role or scope still works. Run as a user runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_cli import Cli, cli  # noqa: F401 (the fixture, on both backends)

REFUSED = [
    (["--role", "Bad Role"], "Invalid role 'Bad Role'"),
    (["--role", "1Admin"], "Invalid role '1Admin'"),
    (["--role", "Ädmin"], "Invalid role"),
    (["--role", "A" * 64], "63 characters"),
    (["--role", "Admin", "--role", ""], "Invalid role ''"),
    (["--scope", "workflows:admin"], "Unknown scope"),
    ([], "at least one role or scope"),
]


def _tokens(app: Cli) -> int:
    engine = app.metadata_engine()
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM ct_tokens")).scalar_one())
    finally:
        engine.dispose()


def test_token_create_checks_roles_and_scopes(cli: Cli) -> None:  # noqa: F811
    """Each refused grant exits 2 with its message and writes no token (the CLI is a process
    per call, so the cases share one tenant to keep the test short)."""
    cli.ok("tenant", "create", "acme")
    before = _tokens(cli)
    for args, message in REFUSED:
        done = cli.run("token", "create", "--tenant", "acme", "--user", "bob", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert _tokens(cli) == before
    for args in (["--role", "Sales_Reader2"], ["--scope", "workflows:read"]):
        assert cli.token("--tenant", "acme", "--user", "bob", *args).startswith("ct_")
    assert _tokens(cli) == before + 2
