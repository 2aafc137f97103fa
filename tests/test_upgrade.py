"""Upgrades lose nothing (SPEC §8): data written by the first release, then this build started on
it. Every kind of stored thing is written through the old release's own API and CLI: tables of
every type id, rows, a saved query, a v1 table and rows, a second tenant with its own token,
and audit events; after the upgrade each reads back exactly as the old release returned it, and
writes, DDL and queries keep working."""

from __future__ import annotations

import os
from typing import Any

import httpx

from tests.live import live_server
from tests.upgrade_support import ok as _ok
from tests.upgrade_support import old_cli, old_server

COLUMNS = [
    {"ColumnName": "Flag", "ColumnDataTypeId": 0},
    {"ColumnName": "When", "ColumnDataTypeId": 1},
    {"ColumnName": "Ratio", "ColumnDataTypeId": 2},
    {"ColumnName": "Qty", "ColumnDataTypeId": 3},
    {"ColumnName": "Price", "ColumnDataTypeId": 4},
    {"ColumnName": "Code", "ColumnDataTypeId": 5},
    {"ColumnName": "Name", "ColumnDataTypeId": 6},
    {"ColumnName": "Notes", "ColumnDataTypeId": 7},
    {"ColumnName": "Body", "ColumnDataTypeId": 8},
    {"ColumnName": "Ref", "ColumnDataTypeId": 9},
    {"ColumnName": "Title", "ColumnDataTypeId": 10},
    {"ColumnName": "Sku", "ColumnDataTypeId": 11, "ColumnLength": 20},
    {"ColumnName": "Blob", "ColumnDataTypeId": 12},
]
NAMES = ["Zed", "apple", "Émile", "banana", "co-op", "O'Neil", "delta", "Alpha", None]


def _row(i: int) -> dict[str, Any]:
    values = {
        "Flag": i % 2 == 0,
        "When": f"2024-0{1 + i % 9}-1{i % 10}T08:30:00Z",
        "Ratio": i / 8,
        "Qty": i * 1000,
        "Price": f"{i}.{i:02d}99",
        "Code": f"C{i}",
        "Name": NAMES[i % len(NAMES)],
        "Notes": "ü" * i,
        "Body": f"line {i}\nnext",
        "Ref": f"00000000-0000-0000-0000-{i:012d}",
        "Title": f"Title {i}",
        "Sku": f"SKU-{i}",
        "Blob": "AAEC" if i % 3 else None,
    }
    return {
        "KeyColumnName": "Oid",
        "KeyValue": f"a1b2c3d4-0000-0000-0000-{i:012d}",
        "Columns": [{"ColumnName": k, "Value": v} for k, v in values.items()],
    }


QUERY = {
    "Name": "ByQty",
    "Namespace": "CustomTable",
    "Sql": "SELECT Oid, Qty, Price FROM [customtables].[Everything] WHERE Qty >= @min ORDER BY Qty",
    "Parameters": [{"Name": "min", "DataTypeId": 3, "Default": 0}],
}


def _snapshot(base: str, admin: str, acme: str) -> dict[str, Any]:
    """Everything a client can read back of what the old release stored."""
    v3 = httpx.Client(base_url=f"{base}/api/v3", headers={"X-AccessToken": admin}, timeout=30)
    v1 = httpx.Client(base_url=f"{base}/api/v1", headers={"x-api-key": admin}, timeout=30)
    other = httpx.Client(base_url=f"{base}/api/v3", headers={"X-AccessToken": acme}, timeout=30)
    with v3, v1, other:
        tables = _ok(v3.get("/custom-tables"))
        v1_tables = _ok(v1.get("/tables"))["data"]
        return {
            "tables": sorted((t["TableName"], t["RowCount"], t["Columns"]) for t in tables),
            "rows": _ok(v3.get("/custom-tables/Everything/rows/values")),
            "flat": _ok(v3.get("/custom-tables/Everything/rows/values", params={"Format": "flat"})),
            "export": _ok(v3.get("/custom-tables/Everything/export"))["Rows"],
            "query": _ok(v3.get("/queries/ByQty/execute", params={"min": 3000})),
            "queries": [q["Name"] for q in _ok(v3.get("/queries"))],
            "v1_tables": [(t["name"], t["rowCount"], t["sqlName"]) for t in v1_tables],
            "v1_rows": [
                sorted(
                    (r["id"], str(r["data"]))
                    for r in _ok(v1.get(f"/tables/{t['id']}/rows"))["data"]
                )
                for t in v1_tables
            ],
            "acme": _ok(other.get("/custom-tables/Orders/rows/values", params={"Format": "flat"})),
            "audit": _ok(v3.get("/audit-logs")),
        }


def _write_with_old_release(env: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    with old_server(env) as server:
        admin = server.first_token
        assert admin
        base = server.base_url
        v3 = httpx.Client(base_url=f"{base}/api/v3", headers={"X-AccessToken": admin}, timeout=30)
        v1 = httpx.Client(base_url=f"{base}/api/v1", headers={"x-api-key": admin}, timeout=30)
        with v3, v1:
            _ok(v3.post("/custom-tables/Everything", json={
                "KeyColumnName": "Oid", "KeyDataTypeId": 9, "Columns": COLUMNS,
            }), 201)
            rows = [_row(i) for i in range(12)]
            _ok(v3.put("/custom-tables/Everything/rows", json={
                "OperationType": "UpsertMany", "UpsertManyModel": rows,
            }))
            _ok(v3.post("/queries", json=QUERY), 201)
            table = _ok(v1.post("/tables", json={
                "name": "Processed Invoices",
                "columns": [{"name": "stripeInvoiceId", "type": "text", "required": True}],
            }), 201)["data"]
            for n in range(3):
                _ok(v1.post(f"/tables/{table['id']}/rows", json={
                    "data": {"stripeInvoiceId": f"in_{n}", "nested": {"n": n}},
                }), 201)
        old_cli(env, "tenant", "create", "acme")
        acme = old_cli(env, "token", "create", "--tenant", "acme", "--user", "u", "--role", "Admin")
        acme = acme.strip().splitlines()[-1]
        other = httpx.Client(base_url=f"{base}/api/v3", headers={"X-AccessToken": acme}, timeout=30)
        with other:
            _ok(other.post("/custom-tables/Orders", json={
                "KeyColumnName": "Id", "KeyDataTypeId": 3,
                "Columns": [{"ColumnName": "Customer", "ColumnDataTypeId": 6}],
            }), 201)
            _ok(other.put("/custom-tables/Orders/rows", json={
                "OperationType": "UpsertMany",
                "UpsertManyModel": [
                    {"KeyValue": k, "Columns": [{"ColumnName": "Customer", "Value": c}]}
                    for k, c in [(1, "Zoë"), (2, "adam"), (3, "Bea")]
                ],
            }))
        return admin, acme, _snapshot(base, admin, acme)


def test_new_build_reads_and_writes_what_the_first_release_stored(data_env: dict[str, str]) -> None:
    admin, acme, before = _write_with_old_release(data_env)
    assert len(before["flat"]) == 12
    assert len(before["query"]["Rows"]) == 9
    assert [len(rows) for rows in before["v1_rows"]] == [3]
    assert len(before["acme"]) == 3
    assert before["audit"]
    assert before["queries"] == ["ByQty"]
    with live_server(data_env, timeout=120) as server:
        assert server.first_token is None  # the old tenant was found: no second bootstrap
        after = _snapshot(server.base_url, admin, acme)
        assert after == before
        v3 = httpx.Client(
            base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": admin}, timeout=30
        )
        with v3:  # writes, DDL and queries keep working on the upgraded space
            _ok(v3.post("/custom-tables/Everything", json={
                "KeyColumnName": "Oid", "KeyDataTypeId": 9,
                "Columns": [{"ColumnName": "Added", "ColumnDataTypeId": 3}],
            }))
            written = _ok(v3.put("/custom-tables/Everything/rows", json={
                "OperationType": "UpsertMany",
                "UpsertManyModel": [_row(20), {
                    "KeyColumnName": "Oid", "KeyValue": "a1b2c3d4-0000-0000-0000-000000000001",
                    "Columns": [{"ColumnName": "Added", "Value": 7}],
                }],
            }))
            assert (written["Inserted"], written["Updated"]) == (1, 1)
            result = _ok(v3.get("/queries/ByQty/execute", params={"min": 11000}))
            assert [r["Qty"] for r in result["Rows"]] == [11000, 20000]
            one = _ok(v3.get("/custom-tables/Everything/row", params={
                "KeyValue": "a1b2c3d4-0000-0000-0000-000000000001",
            }))
            assert {"ColumnName": "Added", "ColumnDataTypeId": 3, "Value": 7} in one["Columns"]


def test_release_tree_is_the_first_release() -> None:
    """The harness really runs other code: the first release has no upgrade harness."""
    from tests.upgrade_support import release_tree

    tree = release_tree()
    assert (tree / "app" / "cli.py").exists()
    assert not (tree / "tests" / "upgrade_support.py").exists()
    assert os.path.samefile(tree, release_tree())
