"""v1 tables: the document's create example, list / get / PATCH / DELETE, their validation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import TenantCtx
from tests.v1_support import (
    BOTH,
    CREATE_TABLE_BODY,
    STAMP,
    UUID,
    create_table,
    error,
    ok,
    raw_json,
    v1_api,
)

DOC_COLUMNS = [
    {"id": "stripeInvoiceId", "name": "stripeInvoiceId", "type": "text", "required": True},
    {"id": "amountCents", "name": "amountCents", "type": "number"},
]


def test_create_table_with_the_documents_example(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    assert UUID.fullmatch(table["id"])
    assert STAMP.fullmatch(table["createdAt"])
    assert table["updatedAt"] == table["createdAt"]
    assert table == {
        "id": table["id"],
        "name": "Processed Invoices",
        "sqlName": "Processed_Invoices",
        "description": "Deduplicate Stripe events",
        "columns": DOC_COLUMNS,
        "schema": {"columns": DOC_COLUMNS},
        "metadata": {},
        "maxRows": 25000,
        "rowCount": 0,
        "createdAt": table["createdAt"],
        "updatedAt": table["createdAt"],
    }
    assert ok(api.get(f"/api/v1/tables/{table['id']}")) == table


def test_defaults_explicit_ids_schema_merge_and_metadata(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(
        api,
        name="Pending approvals, 2024",
        columns=[{"id": "amt", "name": "Amount", "type": "number", "width": 120}],
        schema={"views": ["grid"], "columns": [{"name": "ignored", "type": "text"}]},
        metadata={"color": "blue"},
    )
    column = {"id": "amt", "name": "Amount", "type": "number", "width": 120}
    assert table["maxRows"] == 10000
    assert table["description"] is None
    assert table["columns"] == [column]
    assert table["schema"] == {"views": ["grid"], "columns": [column]}
    assert table["metadata"] == {"color": "blue"}
    assert table["sqlName"] == "Pending_approvals_2024"
    # schema.columns alone declares the columns too (checked and given ids)
    other = create_table(api, schema={"columns": [{"name": "due", "type": "date"}]})
    assert other["columns"] == [{"id": "due", "name": "due", "type": "date"}]


def test_list_newest_first(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    assert ok(api.get("/api/v1/tables")) == []
    names = ["Processed Invoices", "Pending Approvals", "Queue"]
    for name in names:
        create_table(api, name=name)
    listed = ok(api.get("/api/v1/tables"))
    assert [t["name"] for t in listed] == list(reversed(names))
    assert all(t["rowCount"] == 0 and "columns" in t for t in listed)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": 5}, "name"),
        ({}, "name"),
        ({"name": "T", "maxRows": 0}, "maxRows"),
        ({"name": "T", "maxRows": 100001}, "maxRows"),
        ({"name": "T", "maxRows": 1.5}, "maxRows"),
        ({"name": "T", "columns": [{"name": "a", "type": "money"}]}, "columns[0].type"),
        ({"name": "T", "columns": [{"type": "text"}]}, "columns[0].name"),
        ({"name": "T", "columns": [{"name": "s", "type": "select"}]}, "columns[0].options"),
        ({"name": "T", "columns": [{"name": "a", "type": "text", "required": "yes"}]}, "required"),
        (
            {"name": "T", "columns": [{"name": "a", "type": "text"}, {"name": "a", "type": "url"}]},
            "columns[1]",
        ),
        ({"name": "T", "columns": {"name": "a"}}, "columns"),
        ({"name": "T", "metadata": []}, "metadata"),
        ({"name": "T", "schema": {"columns": "a"}}, "schema.columns"),
    ],
)
def test_create_rejects_bad_fields(tenant: TenantCtx, body: dict[str, object], field: str) -> None:
    api = v1_api(tenant, *BOTH)
    message = error(api.post("/api/v1/tables", json=body), 400, "BAD_REQUEST")
    assert field in message
    assert ok(api.get("/api/v1/tables")) == []  # nothing written


# NUL (stored by SQLite, refused by PostgreSQL's JSONB), other C0 controls, DEL and a C1 control
CONTROLS = ["\x00", "\t", "\x1b", "\x7f", "\x85"]
CONTROL_IDS = ["nul", "tab", "esc", "del", "nel"]


def _bad_names(char: str) -> list[tuple[dict[str, object], str]]:
    """Bodies that put `char` into each kind of v1 name, with the field the 400 must name."""
    text = {"type": "text"}
    return [
        ({"name": f"Invoices{char}"}, "name"),
        ({"columns": [{"name": f"amount{char}", **text}]}, "columns[0].name"),
        ({"columns": [{"name": "a", **text}, {"name": f"{char}b", **text}]}, "columns[1].name"),
        ({"columns": [{"name": "amount", "id": f"amount{char}", **text}]}, "columns[0].id"),
        ({"schema": {"columns": [{"name": f"a{char}", **text}]}}, "schema.columns[0].name"),
    ]


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
def test_control_characters_in_names_are_refused(tenant: TenantCtx, char: str) -> None:
    """Table and column names (and column ids, the keys of row data) are text with no control
    character: on create and on PATCH, a 400 naming the field, and nothing written."""
    api = v1_api(tenant, *BOTH)
    for body, field in _bad_names(char):
        message = error(api.post("/api/v1/tables", json={"name": "T", **body}), 400, "BAD_REQUEST")
        assert field in message, (body, message)
        assert "character" in message, (body, message)
    assert ok(api.get("/api/v1/tables")) == []
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    url = f"/api/v1/tables/{table['id']}"
    for body, field in _bad_names(char):
        message = error(api.patch(url, json=body), 400, "BAD_REQUEST")
        assert field in message, (body, message)
        assert "character" in message, (body, message)
    assert ok(api.get(url)) == table
    assert ok(api.get("/api/v1/audit-logs"))[0]["action"] == "table.created"


def test_name_of_255_characters_with_spaces(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    name = ("a b " * 64)[:255]
    table = create_table(api, name=name)
    assert table["name"] == name
    assert len(table["sqlName"]) <= 63
    assert table["sqlName"].startswith("a_b_")


def test_body_must_be_json(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    error(api.post("/api/v1/tables", **raw_json("{not json")), 400, "BAD_REQUEST")
    error(api.post("/api/v1/tables", **raw_json("")), 400, "BAD_REQUEST")


def test_patch_replaces_only_the_fields_given(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    url = f"/api/v1/tables/{table['id']}"

    renamed = ok(api.patch(url, json={"name": "Stripe invoices"}))
    assert renamed["name"] == "Stripe invoices"
    assert renamed["sqlName"] == "Processed_Invoices"  # derived once, kept across renames
    for field in ("description", "columns", "schema", "metadata", "maxRows", "createdAt"):
        assert renamed[field] == table[field]
    assert renamed["updatedAt"] >= table["updatedAt"]

    new_columns = [*DOC_COLUMNS, {"name": "paid", "type": "boolean"}]
    changed = ok(api.patch(url, json={"columns": new_columns, "maxRows": 5}))
    expected = [*DOC_COLUMNS, {"id": "paid", "name": "paid", "type": "boolean"}]
    assert changed["columns"] == expected
    assert changed["schema"] == {"columns": expected}
    assert changed["maxRows"] == 5
    assert changed["description"] == "Deduplicate Stripe events"

    # `columns` replaces schema.columns whole: a column left out is gone
    fewer = ok(api.patch(url, json={"columns": [{"name": "amountCents", "type": "number"}]}))
    assert [c["id"] for c in fewer["columns"]] == ["amountCents"]

    replaced = ok(api.patch(url, json={"schema": {"views": ["kanban"]}, "metadata": {"m": 1}}))
    assert replaced["schema"] == {"views": ["kanban"], "columns": []}
    assert replaced["columns"] == []
    assert replaced["metadata"] == {"m": 1}

    cleared = ok(api.patch(url, json={"description": None}))
    assert cleared["description"] is None
    assert cleared["name"] == "Stripe invoices"

    same = ok(api.patch(url, json={}))
    assert same == cleared
    assert ok(api.get(url)) == cleared


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": None},
        {"maxRows": 0},
        {"maxRows": 100_001},
        {"columns": [{"name": "x", "type": "nope"}]},
        {"columns": None},
        {"metadata": "m"},
    ],
)
def test_patch_rejects_bad_fields_and_changes_nothing(
    tenant: TenantCtx, body: dict[str, object]
) -> None:
    api = v1_api(tenant, *BOTH)
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    url = f"/api/v1/tables/{table['id']}"
    error(api.patch(url, json=body), 400, "BAD_REQUEST")
    assert ok(api.get(url)) == table


def test_max_rows_can_go_below_the_row_count(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api)
    url = f"/api/v1/tables/{table['id']}"
    for i in range(3):
        ok(api.post(f"{url}/rows", json={"data": {"i": i}}), 201)
    assert ok(api.patch(url, json={"maxRows": 2}))["rowCount"] == 3
    message = error(api.post(f"{url}/rows", json={"data": {}}), 400, "BAD_REQUEST")
    assert message == "Table has reached its maximum row limit of 2"


def test_delete_cascades_to_rows_and_the_sql_table(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, name="Doomed")
    url = f"/api/v1/tables/{table['id']}"
    ok(api.post(f"{url}/rows", json={"data": {"a": 1}}), 201)
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        assert "Doomed" in sa.inspect(conn).get_table_names(schema=space.schema)

    assert ok(api.delete(url)) == {"deleted": True}
    error(api.get(url), 404, "NOT_FOUND")
    error(api.get(f"{url}/rows"), 404, "NOT_FOUND")
    error(api.delete(url), 404, "NOT_FOUND")
    assert ok(api.get("/api/v1/tables")) == []
    with space.read() as conn:
        assert "Doomed" not in sa.inspect(conn).get_table_names(schema=space.schema)
    # the name is free again
    assert create_table(api, name="Doomed")["sqlName"] == "Doomed"


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_table_is_404(tenant: TenantCtx, method: str) -> None:
    api = v1_api(tenant, *BOTH)
    for table_id in ("550e8400-e29b-41d4-a716-446655440000", "not-a-uuid"):
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = api.request(method, f"/api/v1/tables/{table_id}", **kwargs)
        assert table_id in error(response, 404, "NOT_FOUND")
