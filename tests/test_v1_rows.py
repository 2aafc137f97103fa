"""v1 rows: the document's row example, declared-column checks, PATCH, DELETE, order, paging."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantCtx
from tests.v1_support import (
    BOTH,
    CREATE_ROW_BODY,
    CREATE_TABLE_BODY,
    STAMP,
    UUID,
    create_row,
    create_table,
    error,
    ok,
    raw_json,
    v1_api,
)


def _invoices(tenant: TenantCtx) -> tuple[Any, str]:
    api = v1_api(tenant, *BOTH)
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    return api, f"/api/v1/tables/{table['id']}"


def test_create_and_list_rows_with_the_documents_example(tenant: TenantCtx) -> None:
    api, url = _invoices(tenant)
    row = ok(api.post(f"{url}/rows", **raw_json(CREATE_ROW_BODY)), 201)
    assert UUID.fullmatch(row["id"])
    assert STAMP.fullmatch(row["createdAt"])
    assert row == {
        "id": row["id"],
        "data": {"stripeInvoiceId": "in_1234567890", "amountCents": 9900},
        "position": None,
        "createdAt": row["createdAt"],
        "updatedAt": row["createdAt"],
    }
    assert ok(api.get(f"{url}/rows")) == [row]
    assert ok(api.get(url))["rowCount"] == 1


def test_undeclared_keys_and_nested_values_are_kept(tenant: TenantCtx) -> None:
    api, url = _invoices(tenant)
    data = {
        "stripeInvoiceId": "in_1",
        "amountCents": 12.5,
        "customer": {"id": "cus_1", "tags": ["a", "b"], "vip": True},
        "note": None,
        "unicode": "héllo ✓",
    }
    row = create_row(api, url.rsplit("/", 1)[1], data)
    assert row["data"] == data
    assert ok(api.get(f"{url}/rows"))[0]["data"] == data


TYPED_COLUMNS = [
    {"name": "t", "type": "text"},
    {"name": "n", "type": "number"},
    {"name": "b", "type": "boolean"},
    {"name": "d", "type": "date"},
    {"name": "s", "type": "select", "options": ["open", "closed"]},
    {"name": "u", "type": "url"},
    {"name": "e", "type": "email"},
    {"name": "j", "type": "json"},
    {"name": "r", "type": "text", "required": True},
]
GOOD = {
    "t": "text",
    "n": -3.25,
    "b": False,
    "d": "2024-01-15",
    "s": "open",
    "u": "https://example.com/a?b=c",
    "e": "ap@example.com",
    "j": {"any": [1, "thing"]},
    "r": "present",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("t", 5),
        ("n", "5"),
        ("n", True),
        ("b", "true"),
        ("b", 1),
        ("d", "15/01/2024"),
        ("d", 20240115),
        ("s", "pending"),
        ("s", 1),
        ("u", "example.com"),
        ("u", "not a url"),
        ("e", "not-an-email"),
        ("r", None),
        ("r", "<missing>"),
    ],
)
def test_declared_types_and_required_are_checked(
    tenant: TenantCtx, field: str, value: object
) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, columns=TYPED_COLUMNS)
    url = f"/api/v1/tables/{table['id']}/rows"
    row = create_row(api, table["id"], GOOD)
    bad = {**GOOD, field: value}
    if value == "<missing>":
        del bad[field]
    message = error(api.post(url, json={"data": bad}), 400, "BAD_REQUEST")
    assert f"'{field}'" in message
    message = error(api.patch(f"{url}/{row['id']}", json={"data": bad}), 400, "BAD_REQUEST")
    assert f"'{field}'" in message
    assert ok(api.get(url)) == [row]  # nothing written
    assert ok(api.get(f"/api/v1/tables/{table['id']}"))["rowCount"] == 1


def test_valid_values_of_every_type_and_nulls_of_optional_columns(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, columns=TYPED_COLUMNS)
    create_row(api, table["id"], {**GOOD, "d": "2024-01-15T10:30:00.000Z", "n": 7})
    only_required = create_row(api, table["id"], {"r": "x", "t": None, "j": None})
    assert only_required["data"] == {"r": "x", "t": None, "j": None}


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        '{"data": [1, 2]}',
        '{"data": "x"}',
        '{"data": null}',
        '{"data": {"a": "nul\\u0000"}}',
        '{"data": {"a": 1}, "position": "first"}',
    ],
)
def test_bad_row_bodies(tenant: TenantCtx, body: str) -> None:
    api, url = _invoices(tenant)
    error(api.post(f"{url}/rows", **raw_json(body)), 400, "BAD_REQUEST")
    assert ok(api.get(f"{url}/rows")) == []


def test_patch_replaces_data_whole(tenant: TenantCtx) -> None:
    api, url = _invoices(tenant)
    row = ok(api.post(f"{url}/rows", **raw_json(CREATE_ROW_BODY)), 201)
    new = {"stripeInvoiceId": "in_2", "status": "paid"}
    changed = ok(api.patch(f"{url}/rows/{row['id']}", json={"data": new}))
    assert changed["data"] == new  # amountCents is gone: no merge
    assert changed["id"] == row["id"]
    assert changed["createdAt"] == row["createdAt"]
    assert changed["updatedAt"] >= row["updatedAt"]
    assert ok(api.get(f"{url}/rows")) == [changed]
    assert ok(api.get(url))["rowCount"] == 1


def test_row_of_another_table_or_unknown_is_404(tenant: TenantCtx) -> None:
    api, url = _invoices(tenant)
    other = create_table(api, name="Other")
    row = ok(api.post(f"{url}/rows", **raw_json(CREATE_ROW_BODY)), 201)
    wrong = f"/api/v1/tables/{other['id']}/rows/{row['id']}"
    error(api.patch(wrong, json={"data": {}}), 404, "NOT_FOUND")
    error(api.delete(wrong), 404, "NOT_FOUND")
    missing = f"{url}/rows/660e8400-e29b-41d4-a716-446655440001"
    error(api.patch(missing, json={"data": {"stripeInvoiceId": "x"}}), 404, "NOT_FOUND")
    error(api.delete(missing), 404, "NOT_FOUND")
    error(api.post("/api/v1/tables/nope/rows", **raw_json(CREATE_ROW_BODY)), 404, "NOT_FOUND")
    assert ok(api.get(f"{url}/rows")) == [row]
    assert ok(api.get(url))["rowCount"] == 1


def test_delete_row_decrements_row_count(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api)
    rows = [create_row(api, table["id"], {"i": i}) for i in range(3)]
    url = f"/api/v1/tables/{table['id']}"
    assert ok(api.delete(f"{url}/rows/{rows[1]['id']}")) == {"deleted": True}
    assert ok(api.get(url))["rowCount"] == 2
    assert [r["data"]["i"] for r in ok(api.get(f"{url}/rows"))] == [0, 2]
    error(api.delete(f"{url}/rows/{rows[1]['id']}"), 404, "NOT_FOUND")
    assert ok(api.get(url))["rowCount"] == 2


def test_rows_ordered_by_position_then_created_at(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api)
    tid = table["id"]
    create_row(api, tid, {"k": "plain-1"})
    create_row(api, tid, {"k": "pos-2"}, position=2)
    create_row(api, tid, {"k": "plain-2"})
    moved = create_row(api, tid, {"k": "pos-0.5"}, position=0.5)
    create_row(api, tid, {"k": "pos-1"}, position=1)
    listed = ok(api.get(f"/api/v1/tables/{tid}/rows"))
    assert [r["data"]["k"] for r in listed] == ["pos-0.5", "pos-1", "pos-2", "plain-1", "plain-2"]
    assert [r["position"] for r in listed] == [0.5, 1, 2, None, None]
    # PATCH may move a row; without `position` it keeps its place
    url = f"/api/v1/tables/{tid}/rows/{moved['id']}"
    ok(api.patch(url, json={"data": {"k": "moved"}, "position": 3}))
    ok(api.patch(url, json={"data": {"k": "moved-again"}}))
    listed = ok(api.get(f"/api/v1/tables/{tid}/rows"))
    assert [r["data"]["k"] for r in listed] == [
        "pos-1",
        "pos-2",
        "moved-again",
        "plain-1",
        "plain-2",
    ]


def test_limit_and_offset(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api)
    url = f"/api/v1/tables/{table['id']}/rows"
    for i in range(55):
        create_row(api, table["id"], {"i": i})
    assert [r["data"]["i"] for r in ok(api.get(url))] == list(range(50))  # default 50
    assert [r["data"]["i"] for r in ok(api.get(url, params={"limit": 100}))] == list(range(55))
    page = ok(api.get(url, params={"limit": 10, "offset": 50}))
    assert [r["data"]["i"] for r in page] == [50, 51, 52, 53, 54]
    assert ok(api.get(url, params={"offset": 55})) == []
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}):
        error(api.get(url, params=params), 400, "BAD_REQUEST")


def test_row_limit_reached(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, maxRows=2)
    url = f"/api/v1/tables/{table['id']}"
    first = create_row(api, table["id"], {"i": 1})
    create_row(api, table["id"], {"i": 2})
    message = error(api.post(f"{url}/rows", json={"data": {"i": 3}}), 400, "BAD_REQUEST")
    assert message == "Table has reached its maximum row limit of 2"
    assert ok(api.get(url))["rowCount"] == 2
    ok(api.delete(f"{url}/rows/{first['id']}"))
    create_row(api, table["id"], {"i": 3})  # room again
    assert ok(api.get(url))["rowCount"] == 2
