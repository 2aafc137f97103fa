"""Saved query definitions: create, list, read, replace, delete; who may do what; the audit
trail; and queries whose tables changed after they were saved."""

from __future__ import annotations

import pytest

from tests.conftest import Api, TenantCtx
from tests.test_queries import EXAMPLE, ORDERS, put_rows, run, save


def test_crud(api: Api, products: str) -> None:
    created = save(api, "Active", EXAMPLE)
    assert created.status_code == 201, created.text
    definition = created.json()
    assert set(definition) == {
        "Id", "Name", "Namespace", "Sql", "Dialect", "Parameters", "CreatedAt", "UpdatedAt",
    }  # fmt: skip
    assert save(api, "ACTIVE", EXAMPLE).status_code == 409
    assert api.get("queries/active").json() == definition
    assert [q["Name"] for q in api.get("queries").json()] == ["Active"]

    changed = api.put("queries/ACTIVE", json={"Sql": "SELECT Name FROM ProductCatalog"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["Id"] == definition["Id"]
    assert changed.json()["Name"] == "Active"
    assert changed.json()["Sql"] == "SELECT Name FROM ProductCatalog"
    assert changed.json()["CreatedAt"] == definition["CreatedAt"]

    renamed = api.put(
        "queries/Active", json={"Name": "Names", "Sql": "SELECT Name FROM ProductCatalog"}
    )
    assert renamed.status_code == 200, renamed.text
    assert api.get("queries/Active").status_code == 404
    assert api.get("queries/Names/execute").json()["Columns"] == [{"Name": "Name", "DataTypeId": 6}]

    bad = api.put("queries/Names", json={"Sql": "DELETE FROM ProductCatalog"})
    assert bad.status_code == 400
    assert api.get("queries/Names").json()["Sql"] == "SELECT Name FROM ProductCatalog"

    assert api.put("queries/Nope", json={"Sql": "SELECT 1"}).status_code == 404
    assert api.delete("queries/names").json() == {"Deleted": True}
    assert api.delete("queries/names").status_code == 404
    assert api.get("queries").json() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Name": "bad name", "Sql": "SELECT 1"}, "Invalid query name"),
        ({"Name": "Q", "Sql": "SELECT 1", "Namespace": "dbo"}, "only the CustomTable namespace"),
        ({"Name": "Q", "Sql": "SELECT 1", "Namespace": None}, "Namespace is required"),
        ({"Name": "Q", "Sql": "SELECT 1", "Dialect": "klingon"}, "Unknown SQL dialect"),
        ({"Name": "Q", "Sql": "  "}, "Sql is required"),
        ({"Name": "Q", "Sql": "SELECT FROM WHERE"}, "does not parse"),
        ({"Name": "Q", "Sql": "SELECT Nope FROM ProductCatalog"}, "Column 'Nope' does not exist"),
        ({"Name": "Q", "Sql": "SELECT * FROM Missing"}, "Custom table 'Missing' does not exist"),
        ({"Name": "Q"}, "Sql"),
    ],
)
def test_bad_definitions(api: Api, products: str, body: dict[str, object], message: str) -> None:
    response = api.post("queries", json={"Namespace": "CustomTable", **body})
    assert response.status_code == 400, response.text
    assert message in response.json()["Message"]
    assert api.get("queries").json() == []


def test_other_dialects_and_namespace_spellings(api: Api, products: str) -> None:
    put_rows(
        api, products, [{"Oid": "a1b2c3d4-0000-0000-0000-000000000001", "Name": "P", "Price": 2}]
    )
    postgres = 'SELECT "name" AS n FROM customtables.productcatalog WHERE price > 1 LIMIT 1'
    assert save(api, "Pg", postgres, Dialect="postgres").status_code == 201
    assert api.get("queries/Pg/execute").json()["Rows"] == [{"n": "P"}]
    sqlite = "SELECT Name FROM ProductCatalog WHERE Price > 1 LIMIT 1"
    assert save(api, "Lite", sqlite, Dialect="SQLite", Namespace="customtables").status_code == 201
    assert api.get("queries/Lite").json()["Namespace"] == "CustomTable"
    assert api.get("queries/Lite/execute").json()["Rows"] == [{"Name": "P"}]


def test_roles(tenant: TenantCtx, api: Api, products: str) -> None:
    assert save(api, "Active", EXAMPLE).status_code == 201
    reader = tenant.api("Sales")
    assert reader.get("queries").status_code == 200
    assert reader.get("queries/Active").status_code == 200
    assert reader.get("queries/Active/execute").status_code == 200
    for response in (
        save(reader, "Mine", EXAMPLE),
        reader.put("queries/Active", json={"Sql": EXAMPLE}),
        reader.delete("queries/Active"),
    ):
        assert response.status_code == 403
        assert "Admin" in response.json()["Message"]
    definition = api.get(f"custom-tables/{products}").json()
    limited = api.put(
        f"custom-table-definitions/{definition['Id']}", json={"ReadRoles": ["Finance"]}
    )
    assert limited.status_code == 200
    denied = reader.get("queries/Active/execute")
    assert denied.status_code == 403
    assert "ProductCatalog" in denied.json()["Message"]
    assert tenant.api("finance").get("queries/Active/execute").status_code == 200
    assert tenant.api().get("queries/Active/execute").status_code == 403


def test_audit_trail(api: Api, products: str) -> None:
    assert save(api, "Active", EXAMPLE).status_code == 201
    assert (
        api.put("queries/Active", json={"Sql": "SELECT Name FROM ProductCatalog"}).status_code
        == 200
    )
    assert api.put("queries/Active", json={"Sql": "DROP TABLE ProductCatalog"}).status_code == 400
    assert api.delete("queries/Active").status_code == 200
    response = api.get("audit-logs?Action=query.created,query.updated,query.deleted")
    assert response.status_code == 200, response.text
    events = response.json()
    assert [e["Action"] for e in events] == ["query.deleted", "query.updated", "query.created"]
    assert all(e["User"] == "admin" and e["ResourceName"] == "Active" for e in events)
    assert all(e["ResourceType"] == "query" for e in events)
    assert events[1]["Details"]["before"]["Sql"] == EXAMPLE
    assert events[1]["Details"]["after"]["Sql"] == "SELECT Name FROM ProductCatalog"


def test_tables_changed_after_saving(api: Api, products: str) -> None:
    assert api.post("custom-tables/Orders", json=ORDERS).status_code == 201
    put_rows(api, "Orders", [{"Id": 1, "Qty": 2, "Note": "n"}], key="Id")
    assert save(api, "Notes", "SELECT Id, Note FROM Orders").status_code == 201
    assert (
        save(api, "Both", "SELECT o.Id FROM Orders o JOIN ProductCatalog p ON 1 = 1").status_code
        == 201
    )
    assert run(api, "Notes").json()["Rows"] == [{"Id": 1, "Note": "n"}]

    assert api.delete("custom-tables/Orders").status_code == 200
    gone = run(api, "Notes")
    assert gone.status_code == 400
    assert (
        gone.json()["Message"]
        == "Custom table 'Orders' does not exist in the CustomTable namespace"
    )

    without_note = {
        **ORDERS,
        "Columns": [c for c in ORDERS["Columns"] if c["ColumnName"] != "Note"],
    }
    assert api.post("custom-tables/Orders", json=without_note).status_code == 201
    changed = run(api, "Notes")
    assert changed.status_code == 400
    assert (
        changed.json()["Message"] == "Column 'Note' does not exist in the tables this query reads"
    )

    # A column added later (by any process) is seen by the next run: plans are keyed by version.
    assert api.post("custom-tables/Orders", json=ORDERS).status_code == 200
    put_rows(api, "Orders", [{"Id": 7, "Note": "back"}], key="Id")
    assert run(api, "Notes").json()["Rows"] == [{"Id": 7, "Note": "back"}]
    assert run(api, "Both").json()["Rows"] == []
