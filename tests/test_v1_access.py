"""v1 keys, scopes and companies; the audit log of table changes."""

from __future__ import annotations

import pytest

from tests.conftest import Api, TenantCtx
from tests.v1_support import (
    BOTH,
    CREATE_ROW_BODY,
    CREATE_TABLE_BODY,
    STAMP,
    create_row,
    create_table,
    error,
    ok,
    raw_json,
    v1_api,
)

ROW_ID = "660e8400-e29b-41d4-a716-446655440001"


def _calls(table_id: str) -> list[tuple[str, str, dict[str, object]]]:
    """Every v1 endpoint, as (method, path, request kwargs)."""
    table, rows = f"/api/v1/tables/{table_id}", f"/api/v1/tables/{table_id}/rows"
    return [
        ("GET", "/api/v1/tables", {}),
        ("POST", "/api/v1/tables", raw_json(CREATE_TABLE_BODY)),
        ("GET", table, {}),
        ("PATCH", table, {"json": {"name": "New"}}),
        ("DELETE", table, {}),
        ("GET", rows, {}),
        ("POST", rows, raw_json(CREATE_ROW_BODY)),
        ("PATCH", f"{rows}/{ROW_ID}", raw_json(CREATE_ROW_BODY)),
        ("DELETE", f"{rows}/{ROW_ID}", {}),
        ("GET", "/api/v1/audit-logs", {}),
    ]


@pytest.mark.parametrize("key", [None, "", "ct_not-a-real-key"])
def test_missing_or_unknown_key_is_401(tenant: TenantCtx, key: str | None) -> None:
    table = create_table(v1_api(tenant, *BOTH))
    for method, path, kwargs in _calls(table["id"]):
        headers = dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        if key is not None:
            headers["x-api-key"] = key
        response = tenant.client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        error(response, 401, "UNAUTHORIZED")
    assert ok(v1_api(tenant, *BOTH).get(f"/api/v1/tables/{table['id']}"))["name"] == "T"


def test_v3_header_is_not_a_v1_key(tenant: TenantCtx) -> None:
    response = tenant.admin.get("/api/v1/tables")  # X-AccessToken of an Admin with both scopes
    error(response, 401, "UNAUTHORIZED")


def test_revoked_key_is_401(tenant: TenantCtx) -> None:
    from app.tokens import revoke_token

    api = v1_api(tenant, *BOTH)
    ok(api.get("/api/v1/tables"))
    revoke_token(tenant.tenancy, api.token)
    error(api.get("/api/v1/tables"), 401, "UNAUTHORIZED")


def test_scopes(tenant: TenantCtx) -> None:
    writer = v1_api(tenant, *BOTH)
    table = create_table(writer)
    row = create_row(writer, table["id"], {"a": 1})
    reader = v1_api(tenant, "workflows:read")
    write_only = v1_api(tenant, "workflows:write")
    admin_role = v1_api(tenant, roles=("Admin",))  # v3 roles don't grant v1 scopes
    for method, path, kwargs in _calls(table["id"]):
        path = path.replace(ROW_ID, row["id"])
        is_read = method == "GET"
        if is_read:
            assert reader.request(method, path, **kwargs).status_code == 200
            message = error(write_only.request(method, path, **kwargs), 403, "FORBIDDEN")
            assert "workflows:read" in message
        else:
            message = error(reader.request(method, path, **kwargs), 403, "FORBIDDEN")
            assert "workflows:write" in message
        error(admin_role.request(method, path, **kwargs), 403, "FORBIDDEN")
    # nothing was changed by the refused writes
    assert ok(writer.get("/api/v1/tables")) == [ok(writer.get(f"/api/v1/tables/{table['id']}"))]
    assert ok(writer.get(f"/api/v1/tables/{table['id']}/rows")) == [row]


def test_companies_are_isolated(tenant: TenantCtx, other_tenant: TenantCtx) -> None:
    mine, theirs = v1_api(tenant, *BOTH), v1_api(other_tenant, *BOTH)
    table = create_table(mine, name="Processed Invoices")
    row = create_row(mine, table["id"], {"a": 1})
    assert ok(theirs.get("/api/v1/tables")) == []
    assert ok(theirs.get("/api/v1/audit-logs")) == []
    for method, path, kwargs in _calls(table["id"]):
        if path in ("/api/v1/tables", "/api/v1/audit-logs"):
            continue
        path = path.replace(ROW_ID, row["id"])
        error(theirs.request(method, path, **kwargs), 404, "NOT_FOUND")
    # the same display name (and so SQL name) in another company is independent
    assert create_table(theirs, name="Processed Invoices")["sqlName"] == "Processed_Invoices"
    assert ok(mine.get(f"/api/v1/tables/{table['id']}"))["rowCount"] == 1
    assert ok(mine.get(f"/api/v1/tables/{table['id']}/rows")) == [row]


def test_audit_log_of_table_changes(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH, user="alice")
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    url = f"/api/v1/tables/{table['id']}"
    row = ok(api.post(f"{url}/rows", **raw_json(CREATE_ROW_BODY)), 201)
    ok(api.patch(f"{url}/rows/{row['id']}", json={"data": {"stripeInvoiceId": "in_2"}}))
    ok(api.delete(f"{url}/rows/{row['id']}"))
    ok(api.patch(url, json={"name": "Renamed", "maxRows": 10}))
    error(api.patch(url, json={"maxRows": 0}), 400, "BAD_REQUEST")  # refused: no event
    ok(api.patch(url, json={}))  # nothing given: no event
    ok(api.delete(url))

    events = ok(v1_api(tenant, "workflows:read").get("/api/v1/audit-logs"))
    assert [e["action"] for e in events] == ["table.deleted", "table.updated", "table.created"]
    for event in events:
        assert set(event) == {
            "id",
            "action",
            "resourceType",
            "resourceId",
            "userId",
            "createdAt",
            "details",
        }
        assert event["resourceType"] == "table"
        assert event["resourceId"] == table["id"]
        assert event["userId"] == "alice"
        assert STAMP.fullmatch(event["createdAt"])
    deleted, updated, created = events
    assert created["details"]["name"] == "Processed Invoices"
    assert updated["details"] == {
        "fields": ["name", "maxRows"],
        "previousName": "Processed Invoices",
    }
    assert deleted["details"]["rowCount"] == 0

    page = ok(api.get("/api/v1/audit-logs", params={"limit": 1, "offset": 1}))
    assert page == [updated]
    error(api.get("/api/v1/audit-logs", params={"limit": 101}), 400, "BAD_REQUEST")
    error(v1_api(tenant, "workflows:write").get("/api/v1/audit-logs"), 403, "FORBIDDEN")


def test_failed_create_writes_no_event(tenant: TenantCtx) -> None:
    api: Api = v1_api(tenant, *BOTH)
    error(api.post("/api/v1/tables", json={"name": "T", "maxRows": -1}), 400, "BAD_REQUEST")
    assert ok(api.get("/api/v1/audit-logs")) == []
