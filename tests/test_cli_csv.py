"""`customtables export` / `import` with CSV (by extension or `--format csv`): a round trip
between tenants with the key and types given, inference, and a bad line importing nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import TenantCtx
from tests.test_cli_exchange import cli_env, run
from tests.test_csv import ALL_TYPES_PARAM, EVERY_VALUE, import_csv
from tests.test_exchange import ALL_TYPES, flat_rows, upsert

__all__ = ["cli_env"]  # the fixture, used by name


@pytest.mark.usefixtures("cli_env")
def test_csv_round_trip_between_tenants(
    tenant: TenantCtx, other_tenant: TenantCtx, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = tenant.admin
    assert api.post("custom-tables/Everything", json=ALL_TYPES).status_code == 201
    upsert(api, "Everything", [EVERY_VALUE, {"Oid": str(uuid.UUID(int=2)), "Qty": 5}])
    target = tmp_path / "everything.csv"
    assert run("export", "everything", "-o", str(target), "--tenant", tenant.name) == 0
    assert target.read_bytes() == api.get("custom-tables/Everything/export?Format=csv").content
    assert target.read_bytes().startswith(b"Oid,Flag,When,")

    argv = ["import", str(target), "--tenant", other_tenant.name, "--table", "Everything"]
    assert run(*argv, "--key-column", "Oid", "--types", ALL_TYPES_PARAM) == 0
    assert "inserted=2" in capsys.readouterr().out.splitlines()[-1]
    assert flat_rows(other_tenant.admin, "Everything") == flat_rows(api, "Everything")
    assert (
        other_tenant.admin.get("custom-tables/Everything").json()["Columns"] == ALL_TYPES["Columns"]
    )


@pytest.mark.usefixtures("cli_env")
def test_csv_by_format_option_inference_and_errors(
    tenant: TenantCtx,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    source = tmp_path / "prices.txt"
    source.write_text('Sku,Price,Note\nA,1.25,\nB,2,""\n', encoding="utf-8")
    argv = ["import", str(source), "--tenant", tenant.name, "--table", "Prices"]
    assert run(*argv, "--format", "csv", "--key-column", "Sku") == 0
    capsysbinary.readouterr()
    assert flat_rows(tenant.admin, "Prices") == [
        {"Sku": "A", "Price": 1.25, "Note": None},
        {"Sku": "B", "Price": 2, "Note": ""},
    ]
    assert run("export", "Prices", "--tenant", tenant.name, "--format", "csv") == 0
    assert capsysbinary.readouterr().out == b'Sku,Price,Note\r\nA,1.25,\r\nB,2,""\r\n'

    # Without --table a CSV file's name is the table's; a bad line imports nothing.
    bad = tmp_path / "Fresh.csv"
    bad.write_text("Id,N\n" + "".join(f"{i},{i}\n" for i in range(20_000)) + "x,y\n")
    assert (
        run(
            "import", str(bad), "--tenant", tenant.name, "--key-column", "Id", "--types", "Id:3,N:3"
        )
        == 2
    )
    assert "Line 20002, column 'Id': expected an integer" in capsysbinary.readouterr().err.decode()
    assert tenant.admin.get("custom-tables/Fresh").status_code == 404
    bad.write_text("Id,N\n1,2\n")
    assert run("import", str(bad), "--tenant", tenant.name, "--key-column", "Id") == 0
    assert tenant.admin.get("custom-tables/Fresh").json()["RowCount"] == 1
    assert import_csv(tenant.admin, "Fresh", "Id,N\n2,3\n").status_code == 200
