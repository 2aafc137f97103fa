"""The README's walk-through, run as written against a fresh server: every command succeeds
and prints what the README shows it printed (tests/readme_walkthrough.py reads both from
README.md). On SQLite and PostgreSQL: the README promises the same answers on both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import readme_walkthrough as walk
from tests.live import live_server, server_env


def test_the_walkthrough_prints_what_the_readme_shows(data_env: dict[str, str]) -> None:
    readme = walk.README.read_text()
    shown = walk.shown(readme)
    assert len(shown) >= 10, "the README's output block is missing or cut short"
    with live_server(data_env) as server:
        assert server.first_token, "a fresh server prints its first Admin token"
        printed = walk.run(readme, server.base_url, server.first_token)
    assert walk.mismatches(shown, printed) == []


def test_a_readme_that_disagrees_with_the_server_fails(tmp_path: Path) -> None:
    """The comparison is not vacuous: a changed output line, a command missing from the output
    block, and a command that prints nothing are each caught."""
    readme = walk.README.read_text()
    shown = walk.shown(readme)
    changed = [
        walk.Printed(item.command, item.output.replace('"Deleted":1', '"Deleted":2'))
        for item in shown
    ]
    assert changed != shown
    silent = readme.replace("curl -s -w '\\n' -X DELETE", "curl -s -o /dev/null -X DELETE")
    assert silent != readme
    with live_server(server_env(tmp_path)) as server:
        assert server.first_token
        printed = walk.run(readme, server.base_url, server.first_token)
        with pytest.raises(AssertionError, match="printed"):
            walk.run(silent, server.base_url, server.first_token)
    assert walk.mismatches(shown, printed) == []
    assert [problem.split(":")[0] for problem in walk.mismatches(changed, printed)] == [
        "DELETE $B/custom-tables/ProductCatalog/rows"
    ]
    assert walk.mismatches(shown[1:], printed[1:]) == []
    assert walk.mismatches(shown[1:], printed[:-1]) != []


def test_only_the_volatile_parts_are_normalised() -> None:
    line = (
        '{"Id":"c24c1ced-1308-4262-9719-1b8bed4f8e8d","Token":"ct_1mjLrpZPPhKJPzNvMDzZEU4eQrenlW",'
        '"CreatedAt":"2026-12-02T06:16:24.296139Z","Key":"a1b2c3d4-0000-0000-0000-000000000001",'
        '"Price":39.99}'
    )
    assert walk.normalise(line) == (
        '{"Id":"<id>","Token":"ct_<token>","CreatedAt":"<time>",'
        '"Key":"a1b2c3d4-0000-0000-0000-000000000001","Price":39.99}'
    )


# What a section must never print: a v3 or v1 error answer, a trace, a missing command.
FAILED = re.compile(r'"Code":"|"success":false|Traceback|command not found|^error:', re.MULTILINE)


def test_every_marked_section_runs_in_order_after_the_walkthrough(tmp_path: Path) -> None:
    """The sections after the walk-through (tokens, v1, export and import, CSV, audit, saved
    queries, the Python client, Where, clean up) run as written, in order, on the
    walk-through's data, with no error answer from the server. On the README's own set-up
    (SQLite under the data directory): about 15 CLI starts make this the slow one, and what
    differs by backend is compared line by line in the walk-through test above."""
    readme = walk.README.read_text()
    assert readme.count(f"\n{walk.RUNS_MARK}\n") >= 10
    env = server_env(tmp_path)
    with live_server(env) as server:
        assert server.first_token
        done = walk.run_in_order(readme, server.base_url, server.first_token, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    later = done.stdout.split(walk.LATER_SECTIONS, 1)[1]
    assert not FAILED.search(later), later
    assert not FAILED.search(done.stderr), done.stderr
    # The saved query's sample answer in the README is what the walk-through's data gives.
    assert '"Rows":[{"Oid":"a1b2c3d4-0000-0000-0000-000000000001","Name":"Product A",' in later
    assert '"Created":true,"ColumnsAdded":["Name","Price","IsActive"],"Inserted":2' in later
    assert "Deleted tenant 'acme'" in later
