"""The audit log: one event per schema-level change, written with the change (a failed change
leaves none), readable by the tenant's Admins only, filtered and paged newest first."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app.tokens import create_token, revoke_token
from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx


def events(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("audit-logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def table_events(api: Api, **params: Any) -> list[dict[str, Any]]:
    return [e for e in events(api, **params) if e["ResourceType"] == "custom_table"]


def test_each_schema_change_is_recorded(tenant: TenantCtx) -> None:
    api = tenant.admin
    assert api.post("custom-tables/ProductCatalog", json=PRODUCT_CATALOG).status_code == 201
    more = {"KeyColumnName": "Oid", "Columns": [{"ColumnName": "Stock", "ColumnDataTypeId": 3}]}
    assert api.post("custom-tables/productcatalog", json=more).status_code == 200
    assert api.post("custom-tables/ProductCatalog", json=more).status_code == 200  # a no-op
    table = api.get("custom-tables/ProductCatalog").json()
    roles = {"ReadRoles": ["Readers"], "SaveRoles": []}
    assert api.put(f"custom-table-definitions/{table['Id']}", json=roles).status_code == 200
    rows = {
        "OperationType": "UpsertMany",
        "UpsertManyModel": [{"KeyValue": None, "Columns": [{"ColumnName": "Stock", "Value": 1}]}],
    }
    assert api.put("custom-tables/ProductCatalog/rows", json=rows).status_code == 200
    exported = api.get("custom-tables/ProductCatalog/export").content
    delete_all = {"OperationType": "DeleteAll"}
    assert api.delete("custom-tables/ProductCatalog/rows", json=delete_all).json()["Deleted"] == 1
    imported = api.put("custom-tables/ProductCatalog/import", content=exported)
    assert imported.status_code == 200, imported.text
    assert api.put("custom-tables/Copy/import", content=exported).status_code == 200
    assert api.delete("custom-tables/ProductCatalog").status_code == 200

    logged = table_events(api)
    assert [(e["Action"], e["ResourceName"]) for e in logged] == [
        ("table.dropped", "ProductCatalog"),
        ("rows.imported", "Copy"),
        ("table.created", "Copy"),
        ("rows.imported", "ProductCatalog"),
        ("rows.deleted_all", "ProductCatalog"),
        ("table.permissions_changed", "ProductCatalog"),
        ("table.columns_added", "ProductCatalog"),
        ("table.created", "ProductCatalog"),
    ]
    assert all(e["User"] == "admin" for e in logged)
    assert all(e["ResourceId"] == table["Id"] for e in logged if e["ResourceName"] != "Copy")
    by_action = {(e["Action"], e["ResourceName"]): e["Details"] for e in logged}
    assert by_action[("table.created", "ProductCatalog")] == {
        "KeyColumnName": "Oid",
        "KeyDataTypeId": 9,
        "Columns": PRODUCT_CATALOG["Columns"],
        "ReadRoles": [],
        "SaveRoles": [],
    }
    assert by_action[("table.columns_added", "ProductCatalog")] == {
        "Columns": [{"ColumnName": "Stock", "ColumnDataTypeId": 3}]
    }
    assert by_action[("table.permissions_changed", "ProductCatalog")] == {
        "Before": {"ReadRoles": [], "SaveRoles": []},
        "After": {"ReadRoles": ["Readers"], "SaveRoles": []},
    }
    assert by_action[("rows.deleted_all", "ProductCatalog")] == {"Deleted": 1}
    assert by_action[("rows.imported", "ProductCatalog")] == {
        "Mode": "upsert",
        "Rows": 1,
        "Inserted": 1,
        "Updated": 0,
        "Deleted": 0,
        "Created": False,
        "ColumnsAdded": [],
    }
    assert by_action[("rows.imported", "Copy")]["Created"] is True
    assert by_action[("table.dropped", "ProductCatalog")]["Columns"][-1]["ColumnName"] == "Stock"
    times = [e["CreatedAt"] for e in logged]
    assert times == sorted(times, reverse=True)
    assert all(t.endswith("Z") for t in times)


def test_failed_changes_leave_no_event(tenant: TenantCtx) -> None:
    api = tenant.admin
    writer = tenant.api("Writers")  # creating its token is an event of its own
    before = events(api)
    bad = {"Format": "customtables/v1", "Table": {**PRODUCT_CATALOG}, "Rows": [{"Oid": "nope"}]}
    assert api.put("custom-tables/Broken/import", content=json.dumps(bad)).status_code == 400
    assert api.post("custom-tables/9bad", json=PRODUCT_CATALOG).status_code == 400
    assert writer.post("custom-tables/X", json=PRODUCT_CATALOG).status_code == 403
    assert events(api) == before


def test_token_events_name_the_actor_and_never_the_token(tenant: TenantCtx) -> None:
    token = create_token(tenant.tenancy, tenant.name, "robot", ["Readers"], actor="cli:ops")
    revoke_token(tenant.tenancy, token, actor="cli:ops")
    revoke_token(tenant.tenancy, token, actor="cli:ops")  # twice: logged once
    logged = events(tenant.admin, Action="token.created,token.revoked")
    revoked, created = logged[0], logged[1]
    assert (revoked["Action"], created["Action"]) == ("token.revoked", "token.created")
    assert [e["Action"] for e in logged].count("token.revoked") == 1
    assert revoked["ResourceId"] == created["ResourceId"]
    assert created["User"] == "cli:ops"
    assert created["ResourceType"] == "token"
    assert created["Details"]["UserName"] == "robot"
    assert created["Details"]["Roles"] == ["Readers"]
    assert created["Details"]["Prefix"] == token[:10]
    assert token not in json.dumps(logged)


def test_filters_and_paging(tenant: TenantCtx) -> None:
    api = tenant.admin
    start = datetime.now(UTC) - timedelta(seconds=1)
    for name in ("Alpha", "Beta", "Gamma"):
        assert api.post(f"custom-tables/{name}", json=PRODUCT_CATALOG).status_code == 201
    time.sleep(0.01)
    middle = datetime.now(UTC)
    time.sleep(0.01)
    assert api.delete("custom-tables/Beta").status_code == 200

    assert [e["Action"] for e in events(api, tablename="beta")] == [
        "table.dropped",
        "table.created",
    ]
    created = events(api, Action="table.created")
    assert [e["ResourceName"] for e in created] == ["Gamma", "Beta", "Alpha"]
    assert [e["ResourceName"] for e in events(api, Action="table.created", Top=1, Skip=1)] == [
        "Beta"
    ]
    assert [e["Action"] for e in table_events(api, Since=middle.isoformat())] == ["table.dropped"]
    assert len(table_events(api, Since=start.isoformat(), Until=middle.isoformat())) == 3
    offset = middle.astimezone(UTC).replace(tzinfo=None).isoformat() + "+00:00"
    assert len(table_events(api, until=offset)) == 3
    assert api.get("audit-logs", params={"Since": "yesterday"}).status_code == 400
    assert api.get("audit-logs", params={"Top": -1}).status_code == 400


def test_only_admins_of_the_tenant_see_its_events(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    assert tenant.admin.post("custom-tables/Secret", json=PRODUCT_CATALOG).status_code == 201
    denied = tenant.api("Readers").get("audit-logs")
    assert denied.status_code == 403
    assert denied.json()["Code"] == "FORBIDDEN"
    assert tenant.client.get("/api/v3/audit-logs").status_code == 401
    theirs = events(other_tenant.admin)
    assert all(e["ResourceName"] != "Secret" for e in theirs)
    assert events(other_tenant.admin, TableName="Secret") == []
    mine = {e["Id"] for e in events(tenant.admin)}
    assert mine.isdisjoint({e["Id"] for e in theirs})
