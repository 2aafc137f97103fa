"""`customtables export` / `customtables import` work directly on the database: round trip
between tenants, all or nothing, a progress bar on a terminal and quiet output otherwise."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from app import cli
from tests.conftest import Backend, TenantCtx
from tests.test_exchange import flat_rows, product_file, upsert


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def cli_env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads its settings from the environment, as an operator's would."""
    monkeypatch.setenv("CUSTOMTABLES_DATA_DIR", str(backend.settings.data_dir))
    monkeypatch.setenv("CUSTOMTABLES_DATABASE_URL", backend.settings.database_url)


def run(*argv: str) -> int:
    return cli.main(list(argv))


@pytest.mark.usefixtures("cli_env")
def test_export_and_import_between_tenants(
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = tenant.admin
    assert (
        api.put("custom-tables/ProductCatalog/import", json=product_file(1500)).status_code == 200
    )
    target = tmp_path / "products.json"
    assert run("export", "productcatalog", "-o", str(target), "--tenant", tenant.name) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # not a terminal: quiet
    assert target.read_bytes() == api.get("custom-tables/ProductCatalog/export").content
    assert [p.name for p in tmp_path.iterdir()] == ["products.json"]  # no temporary left

    argv = ["import", str(target), "--tenant", other_tenant.name, "--table", "Copy"]
    assert run(*argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "inserted=1500" in captured.out.splitlines()[-1]
    assert flat_rows(other_tenant.admin, "Copy") == flat_rows(api, "ProductCatalog")

    # Without --table the file's own name is used; --mode replace deletes the old rows first.
    upsert(other_tenant.admin, "Copy", [{"Oid": str(uuid.uuid4()), "Name": "extra"}])
    assert run("import", str(target), "--tenant", other_tenant.name, "--mode", "replace") == 0
    assert "inserted=1500" in capsys.readouterr().out
    assert other_tenant.admin.get("custom-tables/ProductCatalog").json()["RowCount"] == 1500
    events = other_tenant.admin.get("audit-logs", params={"Action": "rows.imported"}).json()
    assert events[0]["User"].startswith("cli")


@pytest.mark.usefixtures("cli_env")
def test_export_to_stdout_and_errors(
    tenant: TenantCtx, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert tenant.admin.put("custom-tables/Small/import", json=product_file(3)).status_code == 200
    assert run("export", "Small", "--tenant", tenant.name) == 0
    out = capsysbinary.readouterr().out
    assert json.loads(out)["Rows"][2]["Name"] == "Product 2"
    assert run("export", "Missing", "--tenant", tenant.name) == 2
    assert b"does not exist" in capsysbinary.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_a_bad_file_imports_nothing(tenant: TenantCtx, tmp_path: Path) -> None:
    file: dict[str, Any] = product_file(12_000)
    file["Rows"][-1]["Price"] = "lots"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(file))
    assert run("import", str(source), "--tenant", tenant.name) == 2
    assert tenant.admin.get("custom-tables/ProductCatalog").status_code == 404


@pytest.mark.usefixtures("cli_env")
def test_progress_bar_on_a_terminal(
    tenant: TenantCtx,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "products.json"
    source.write_text(json.dumps(product_file(25_000)))
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert run("import", str(source), "--tenant", tenant.name) == 0
    drawn = terminal.getvalue()
    assert "25,000 / 25,000 rows" in drawn
    assert "rows/s" in drawn
    # The summary is said once: on stdout, not again under the bar (issue 17).
    printed = capsys.readouterr().out
    assert "Imported" not in drawn
    assert printed.count("Imported") == 1
    assert "Imported 25,000 rows into 'ProductCatalog' in " in printed
    assert "inserted=25000" in printed

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    target = tmp_path / "out.json"
    assert run("export", "ProductCatalog", "-o", str(target), "--tenant", tenant.name) == 0
    assert "25,000 / 25,000 rows" in terminal.getvalue()


@pytest.mark.usefixtures("cli_env")
def test_a_file_that_cannot_be_opened_is_named_without_a_trace(
    tenant: TenantCtx, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.json"
    assert run("import", str(missing), "--tenant", tenant.name) == 2
    err = capsys.readouterr().err
    assert f"error: {missing}: No such file or directory" in err
    assert "Traceback" not in err
    tenant.admin.put("custom-tables/ProductCatalog/import", json=product_file(3))
    target = tmp_path / "no-such-dir" / "out.json"
    assert run("export", "ProductCatalog", "-o", str(target), "--tenant", tenant.name) == 2
    assert "No such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    "old", ['"Price": 29.99', '"KeyDataTypeId": 9'], ids=["in-a-row", "in-the-table"]
)
def test_a_number_too_long_for_the_parser_is_refused_before_it_runs(
    backend: Backend, tenant: TenantCtx, tmp_path: Path, old: str
) -> None:
    """ijson's C parser kills the process (SIGSEGV) on a number this long: the command applies
    the HTTP import's check first. A subprocess, as the crash would take pytest with it."""
    name, _, _ = old.partition(":")
    source = tmp_path / "products.json"
    source.write_text(json.dumps(product_file(2)).replace(old, f"{name}: {'9' * 5000}", 1))
    env = {
        **os.environ,
        "CUSTOMTABLES_DATA_DIR": str(backend.settings.data_dir),
        "CUSTOMTABLES_DATABASE_URL": backend.settings.database_url,
        "CUSTOMTABLES_LOG_LEVEL": "WARNING",
    }
    argv = ["import", str(source), "--tenant", tenant.name]
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr == "error: The JSON holds a number of more than 1000 digits\n"
    assert tenant.admin.get("custom-tables/ProductCatalog").status_code == 404
