"""The README's walk-through, read from README.md itself: its commands (the `sh` block after
`<!-- walkthrough:commands -->`) and what they printed (the block after
`<!-- walkthrough:output -->`), run against a live server and compared.

Each `curl` in the walk-through prints one line (`-w '\\n'`), so output line k belongs to the
k-th curl command; the output block names each command (`# POST $B/custom-tables/…`) above
its line. Only two things are substituted before the commands run: the token placeholder
`ct_...` becomes the server's first token, and `http://127.0.0.1:8000` its address. What
changes from run to run (tokens, generated ids, timestamps) is normalised on both sides.

`python -m tests.readme_walkthrough` runs the walk-through on a fresh SQLite server and writes
what it printed into README.md (after a deliberate change to the walk-through or the server).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS_MARK = "<!-- walkthrough:commands -->"
OUTPUT_MARK = "<!-- walkthrough:output -->"
RUNS_MARK = "<!-- readme:runs -->"  # a later section's block that runs in order after it
LATER_SECTIONS = "===LATER-SECTIONS==="
TOKEN_PLACEHOLDER = "T=ct_..."
README_ADDRESS = "http://127.0.0.1:8000"

_VOLATILE = [
    (re.compile(r"ct_[A-Za-z0-9_-]{20,}"), "ct_<token>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    # Generated ids (random UUIDs, hex ids); the walk-through's own keys are not random.
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
]


@dataclass(frozen=True)
class Printed:
    """One command's label (`POST $B/custom-tables/ProductCatalog`) and its line of output."""

    command: str
    output: str


def block_after(text: str, mark: str) -> str:
    """The fenced code block that follows `mark` on a line of its own (prose may quote a mark)
    (the lines between its fences)."""
    start = text.index(f"\n{mark}\n") + len(mark) + 1
    opening = text.index("```", start)
    body = text.index("\n", opening) + 1
    return text[body : text.index("\n```", body) + 1]


def script(readme: str) -> str:
    return block_after(readme, COMMANDS_MARK)


def label(command: str) -> str:
    """`METHOD URL` of one curl command, as written (variables unexpanded)."""
    method = re.search(r" -X (\w+)", command)
    url = re.search(r"(\$B[^\"'\s]*)", command)
    assert url, f"a walk-through command without $B: {command}"
    return f"{method[1] if method else 'GET'} {url[1]}"


def commands(readme: str) -> list[str]:
    """The labels of the commands that print (each `curl` at the start of a line)."""
    return [label(line) for line in script(readme).splitlines() if line.startswith("curl ")]


def shown(readme: str) -> list[Printed]:
    """What the README says the commands printed."""
    lines = block_after(readme, OUTPUT_MARK).splitlines()
    return [
        Printed(lines[i].removeprefix("# "), lines[i + 1])
        for i in range(0, len(lines) - 1, 2)
        if lines[i].startswith("# ")
    ]


def normalise(text: str) -> str:
    for pattern, stand_in in _VOLATILE:
        text = pattern.sub(stand_in, text)
    return text


def run(readme: str, base_url: str, token: str, timeout: float = 120) -> list[Printed]:
    """Run the walk-through with bash (as a user would paste it) in an empty directory."""
    text = script(readme)
    assert TOKEN_PLACEHOLDER in text, f"the walk-through no longer sets {TOKEN_PLACEHOLDER}"
    assert README_ADDRESS in text, f"the walk-through no longer uses {README_ADDRESS}"
    text = text.replace(TOKEN_PLACEHOLDER, f"T={token}").replace(README_ADDRESS, base_url)
    with tempfile.TemporaryDirectory() as empty:
        done = subprocess.run(
            ["bash", "-c", text],
            cwd=empty,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, f"the walk-through failed ({done.returncode}): {done.stderr}"
    assert done.stderr == "", f"the walk-through wrote to stderr: {done.stderr}"
    printed = done.stdout.splitlines()
    labels = commands(readme)
    assert len(printed) == len(labels), (
        f"{len(labels)} commands printed {len(printed)} lines (one each expected):\n" + done.stdout
    )
    return [Printed(command, line) for command, line in zip(labels, printed, strict=True)]


def mismatches(shown_lines: list[Printed], printed: list[Printed]) -> list[str]:
    """Where the README and the server disagree (after normalising), one text per command."""
    if [item.command for item in shown_lines] != [item.command for item in printed]:
        return ["the output block names other commands than the walk-through runs"]
    return [
        f"{got.command}:\n  README: {want.output}\n  server: {got.output}"
        for want, got in zip(shown_lines, printed, strict=True)
        if normalise(want.output) != normalise(got.output)
    ]


def marked_sections(readme: str) -> str:
    """The blocks after each `<!-- readme:runs -->`, in README order, as one bash script; a
    `python` block runs through `.venv/bin/python` with the walk-through's token exported."""
    parts = []
    line = f"\n{RUNS_MARK}\n"
    at = readme.find(line)
    while at >= 0:
        rest = readme[at:]
        body = block_after(rest, RUNS_MARK)
        if rest[rest.index("```") :].startswith("```python"):
            body = f"export T\n.venv/bin/python - <<'PYTHON'\n{body}PYTHON\n"
        parts.append(body)
        at = readme.find(line, at + len(line))
    return "".join(parts)


def run_in_order(
    readme: str, base_url: str, token: str, env: dict[str, str], timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """The walk-through, then every section marked to run, as one bash script stopped by the
    first failing command (`set -eo pipefail`), in a directory holding only `.venv` (this
    interpreter's), with the server's settings so the CLI works on the server's database.
    What the sections print comes after a `LATER_SECTIONS` line."""
    text = f"set -eo pipefail\n{script(readme)}echo {LATER_SECTIONS}\n{marked_sections(readme)}"
    text = text.replace(TOKEN_PLACEHOLDER, f"T={token}").replace(README_ADDRESS, base_url)
    with tempfile.TemporaryDirectory() as clone:
        (Path(clone) / ".venv").symlink_to(Path(sys.prefix))
        return subprocess.run(
            ["bash", "-c", text],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def output_block(printed: list[Printed]) -> str:
    return "".join(f"# {item.command}\n{item.output}\n" for item in printed)


def write_readme(printed: list[Printed]) -> None:
    """Put `printed` into README.md's output block."""
    text = README.read_text()
    old = block_after(text, OUTPUT_MARK)
    start = text.index(old, text.index(f"\n{OUTPUT_MARK}\n"))
    README.write_text(text[:start] + output_block(printed) + text[start + len(old) :])


def main() -> None:
    from tests.live import live_server, server_env

    readme = README.read_text()
    with tempfile.TemporaryDirectory() as data, live_server(server_env(Path(data))) as server:
        assert server.first_token
        write_readme(run(readme, server.base_url, server.first_token))
    print(f"wrote the walk-through's output into {README}")


if __name__ == "__main__":
    main()
