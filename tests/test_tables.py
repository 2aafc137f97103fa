"""Table definitions over HTTP: create-or-extend (201/200/409), names, key and column types,
list and get, drop, and permissions (PUT /custom-table-definitions/{id})."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx
from tests.support import assert_error, column, create_table, flat, row, upsert_ok, values

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_create_returns_201_and_the_definition(api: Api) -> None:
    response = api.post("custom-tables/ProductCatalog", json=PRODUCT_CATALOG)
    assert response.status_code == 201, response.text
    body = response.json()
    assert uuid.UUID(body["Id"])
    assert body["TableName"] == "ProductCatalog"
    assert body["KeyColumnName"] == "Oid"
    assert body["KeyDataTypeId"] == 9
    assert body["Columns"] == PRODUCT_CATALOG["Columns"]
    assert body["ReadRoles"] == []
    assert body["SaveRoles"] == []
    assert body["RowCount"] == 0
    assert ISO_Z.match(body["CreatedAt"])
    assert ISO_Z.match(body["UpdatedAt"])
    assert "KeyColumnLength" not in body
    assert api.get("custom-tables/ProductCatalog").json() == body


def test_create_makes_a_real_sql_table(tenant: TenantCtx) -> None:
    create_table(
        tenant.admin,
        "Physical",
        key="Code",
        key_type=11,
        KeyColumnLength=20,
        columns=[column("Amount", 4), column("Note", 11, 30), column("When", 1)],
    )
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        inspector = sa.inspect(conn)
        assert "Physical" in inspector.get_table_names(schema=space.schema)
        columns = {c["name"]: c for c in inspector.get_columns("Physical", schema=space.schema)}
        primary = inspector.get_pk_constraint("Physical", schema=space.schema)
    assert list(columns) == ["Code", "Amount", "Note", "When"]
    assert primary["constrained_columns"] == ["Code"]
    assert getattr(columns["Code"]["type"], "length", None) == 20
    assert getattr(columns["Note"]["type"], "length", None) == 30


def test_key_type_defaults_to_uniqueidentifier(api: Api) -> None:
    response = api.post("custom-tables/Defaults", json={"KeyColumnName": "Oid"})
    assert response.status_code == 201, response.text
    assert response.json()["KeyDataTypeId"] == 9
    assert response.json()["Columns"] == []


@pytest.mark.parametrize(
    ("key_type", "length", "key"),
    [
        (3, None, 42),
        (5, None, "x" * 50),
        (6, None, "y" * 100),
        (9, None, "0f8fad5b-d9cb-469f-a165-70867728950e"),
        (10, None, "z" * 200),
        (11, 450, "w" * 450),
        (11, 1, "a"),
    ],
)
def test_every_key_type_can_key_a_table(
    api: Api, key_type: int, length: int | None, key: Any
) -> None:
    extra = {"KeyColumnLength": length} if length else {}
    table = create_table(
        api, "Keyed", key="K", key_type=key_type, columns=[column("V", 3)], **extra
    )
    assert table["KeyDataTypeId"] == key_type
    assert table.get("KeyColumnLength") == length
    assert upsert_ok(api, "Keyed", [{"KeyValue": key, "Columns": []}])["KeyValues"] == [key]
    assert values(api, "Keyed", Format="flat") == [{"K": key, "V": None}]


BAD_CREATES: list[tuple[str, dict[str, Any], int, str]] = [
    ("T", {}, 400, "KeyColumnName is required"),
    ("T", {"KeyColumnName": None}, 400, "KeyColumnName is required"),
    ("T", {"KeyColumnName": "1Key"}, 400, "Invalid key column name '1Key'"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 0}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 1}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 2}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 4}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 7}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 8}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 12}, 400, "cannot be a key"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 13}, 400, "type id from 0 to 12"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": -1}, 400, "type id from 0 to 12"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": "9"}, 400, "KeyDataTypeId"),
    ("T", {"KeyColumnName": "Oid", "KeyDataTypeId": 11}, 400, "KeyColumnLength"),
    (
        "T",
        {"KeyColumnName": "Oid", "KeyDataTypeId": 11, "KeyColumnLength": 0},
        400,
        "KeyColumnLength must be an integer from 1 to 450",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "KeyDataTypeId": 11, "KeyColumnLength": 451},
        400,
        "KeyColumnLength must be an integer from 1 to 450",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "KeyDataTypeId": 3, "KeyColumnLength": 10},
        400,
        "only to VarcharOther",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Note", 11)]},
        400,
        "ColumnLength of column 'Note' must be an integer from 1 to 4000",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Note", 11, 0)]},
        400,
        "ColumnLength of column 'Note' must be an integer from 1 to 4000",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Note", 11, 4001)]},
        400,
        "ColumnLength of column 'Note' must be an integer from 1 to 4000",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Note", 6, 10)]},
        400,
        "only to VarcharOther",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Note", 13)]},
        400,
        "ColumnDataTypeId of column 'Note'",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Bad-Name", 6)]},
        400,
        "Invalid column name 'Bad-Name'",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("_hidden", 6)]},
        400,
        "Invalid column name '_hidden'",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("A" * 64, 6)]},
        400,
        "Invalid column name",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("Name", 6), column("NAME", 5)]},
        400,
        "Column 'NAME' is listed twice",
    ),
    (
        "T",
        {"KeyColumnName": "Oid", "Columns": [column("oid", 6)]},
        400,
        "Column 'oid' is listed twice or is the key",
    ),
    ("T", {"KeyColumnName": "Oid", "Columns": {"Name": 6}}, 400, "Columns"),
    ("T", {"KeyColumnName": "Oid", "Columns": [{"ColumnName": "X"}]}, 400, "ColumnDataTypeId"),
    ("T", {"KeyColumnName": "Oid", "ReadRoles": "Admin"}, 400, "ReadRoles"),
    ("1Table", {"KeyColumnName": "Oid"}, 400, "Invalid table name '1Table'"),
    ("_ct_tables", {"KeyColumnName": "Oid"}, 400, "Invalid table name '_ct_tables'"),
    ("Bad-Name", {"KeyColumnName": "Oid"}, 400, "Invalid table name"),
    ("Bad%20Name", {"KeyColumnName": "Oid"}, 400, "Invalid table name 'Bad Name'"),
    ("Ünïcode", {"KeyColumnName": "Oid"}, 400, "Invalid table name"),
    ("A" * 64, {"KeyColumnName": "Oid"}, 400, "63 characters at most"),
    ("sqlite_data", {"KeyColumnName": "Oid"}, 400, "Invalid table name 'sqlite_data'"),
    ("SQLite_Master", {"KeyColumnName": "Oid"}, 400, "'sqlite_' are reserved"),
    ("T", {"KeyColumnName": "ctid"}, 400, "Invalid key column name 'ctid'"),
    ("T", {"KeyColumnName": "Oid", "Columns": [column("xmin", 3)]}, 400, "'xmin': it is reserved"),
    ("T", {"KeyColumnName": "Oid", "Columns": [column("TableOid", 3)]}, 400, "reserved"),
]


@pytest.mark.parametrize(("name", "body", "status", "message"), BAD_CREATES)
def test_bad_create_requests(
    api: Api, name: str, body: dict[str, Any], status: int, message: str
) -> None:
    assert_error(api.post(f"custom-tables/{name}", json=body), status, message)
    assert api.get("custom-tables").json() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "A JSON body is required"), (b"{not json", "not valid JSON"), (b"[]", "object")],
)
def test_create_body_must_be_a_json_object(api: Api, content: bytes, message: str) -> None:
    response = api.post(
        "custom-tables/T", content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, message)


def test_longest_valid_names(api: Api) -> None:
    name, col = "T" + "a" * 62, "C" + "_9" * 31
    create_table(api, name, key="K" + "k" * 62, columns=[column(col, 11, 4000)])
    assert api.get(f"custom-tables/{name}").json()["Columns"] == [
        {"ColumnName": col, "ColumnDataTypeId": 11, "ColumnLength": 4000}
    ]


def test_existing_table_same_columns_is_a_200_no_op(api: Api, products: str) -> None:
    before = api.get(f"custom-tables/{products}").json()
    response = api.post("custom-tables/productcatalog", json=PRODUCT_CATALOG)
    assert response.status_code == 200, response.text
    assert response.json()["Columns"] == before["Columns"]
    assert response.json()["Id"] == before["Id"]


def test_existing_table_new_columns_are_added(api: Api, products: str) -> None:
    upsert_ok(api, products, [{"KeyValue": str(uuid.uuid4()), "Columns": []}])
    body = {
        "KeyColumnName": "oid",
        "Columns": [column("NAME", 6), column("Category", 5), column("Notes", 11, 500)],
    }
    response = api.post(f"custom-tables/{products}", json=body)
    assert response.status_code == 200, response.text
    definition = response.json()
    assert [c["ColumnName"] for c in definition["Columns"]] == [
        "Name",
        "Price",
        "IsActive",
        "Category",
        "Notes",
    ]
    assert definition["Columns"][-1]["ColumnLength"] == 500
    assert definition["RowCount"] == 1
    assert definition["TableName"] == "ProductCatalog"
    rows = values(api, products, Format="flat")
    assert rows[0]["Category"] is None
    assert rows[0]["Notes"] is None
    assert api.get(f"custom-tables/{products}").json()["Columns"] == definition["Columns"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"KeyColumnName": "Oid", "Columns": [column("Price", 2)]}, "Column 'Price'"),
        ({"KeyColumnName": "Oid", "Columns": [column("name", 5)]}, "Column 'Name'"),
        ({"KeyColumnName": "Id", "KeyDataTypeId": 9}, "key column 'Oid', not 'Id'"),
        ({"KeyColumnName": "Oid", "KeyDataTypeId": 3}, "its type never changes"),
        (
            {"KeyColumnName": "Oid", "KeyDataTypeId": 9, "Columns": [column("Price", 11, 20)]},
            "a column's type never changes",
        ),
    ],
)
def test_existing_table_conflicts_are_409_and_change_nothing(
    api: Api, products: str, body: dict[str, Any], message: str
) -> None:
    before = api.get(f"custom-tables/{products}").json()
    body = {**body, "Columns": [*body.get("Columns", []), column("Extra", 6)]}
    assert_error(api.post(f"custom-tables/{products}", json=body), 409, message, code="CONFLICT")
    assert api.get(f"custom-tables/{products}").json() == before


def test_varchar_other_length_is_part_of_the_type(api: Api) -> None:
    create_table(api, "Notes", columns=[column("Note", 11, 20)])
    same = api.post(
        "custom-tables/Notes",
        json={"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": [column("Note", 11, 20)]},
    )
    assert same.status_code == 200, same.text
    other = api.post(
        "custom-tables/Notes",
        json={"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": [column("Note", 11, 21)]},
    )
    assert_error(other, 409, "Note")


def test_key_column_length_must_match_when_given(api: Api) -> None:
    create_table(api, "Codes", key="Code", key_type=11, KeyColumnLength=10)
    again = {"KeyColumnName": "Code", "KeyDataTypeId": 11, "KeyColumnLength": 10}
    assert api.post("custom-tables/Codes", json=again).status_code == 200
    assert_error(
        api.post("custom-tables/Codes", json={**again, "KeyColumnLength": 11}), 409, "Code"
    )


def test_list_tables_sorted_with_row_counts(api: Api) -> None:
    create_table(api, "beta")
    create_table(api, "Alpha")
    upsert_ok(api, "beta", [{"KeyValue": 1, "Columns": []}, {"KeyValue": 2, "Columns": []}])
    listed = api.get("custom-tables").json()
    assert [(t["TableName"], t["RowCount"]) for t in listed] == [("Alpha", 0), ("beta", 2)]


def test_table_names_are_case_insensitive_and_unique(api: Api) -> None:
    create_table(api, "Orders", columns=[column("Total", 4)])
    response = api.post("custom-tables/ORDERS", json={"KeyColumnName": "Id", "KeyDataTypeId": 3})
    assert response.status_code == 200
    assert response.json()["TableName"] == "Orders"
    assert api.get("custom-tables/oRdErS").json()["TableName"] == "Orders"
    assert len(api.get("custom-tables").json()) == 1


def test_get_missing_table_is_404(api: Api) -> None:
    assert_error(
        api.get("custom-tables/Nope"), 404, "Custom table 'Nope' does not exist", code="NOT_FOUND"
    )


def test_drop_table(tenant: TenantCtx, products: str) -> None:
    api = tenant.admin
    response = api.delete("custom-tables/PRODUCTCATALOG")
    assert response.status_code == 200, response.text
    assert response.json() == {"Dropped": True}
    assert_error(api.get(f"custom-tables/{products}"), 404, "does not exist")
    assert_error(api.get(f"custom-tables/{products}/rows/values"), 404, "does not exist")
    assert_error(api.delete(f"custom-tables/{products}"), 404, "does not exist")
    assert api.get("custom-tables").json() == []
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        assert "ProductCatalog" not in sa.inspect(conn).get_table_names(schema=space.schema)
    # the name is free again, with another shape
    create_table(api, "productcatalog", key="Code", key_type=5, columns=[column("Qty", 3)])
    assert api.get(f"custom-tables/{products}").json()["KeyDataTypeId"] == 5


def test_set_roles(api: Api, products: str) -> None:
    definition = api.get(f"custom-tables/{products}").json()
    body = {"ReadRoles": ["Reader", "Writer"], "SaveRoles": ["Writer"]}
    response = api.put(f"custom-table-definitions/{definition['Id']}", json=body)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["ReadRoles"] == ["Reader", "Writer"]
    assert changed["SaveRoles"] == ["Writer"]
    assert changed["Id"] == definition["Id"]
    assert changed["UpdatedAt"] >= definition["UpdatedAt"]
    assert api.get(f"custom-tables/{products}").json() == changed
    # a list left out keeps its value; an empty list opens the table to every user again
    response = api.put(f"custom-table-definitions/{definition['Id']}", json={"SaveRoles": []})
    assert response.json()["ReadRoles"] == ["Reader", "Writer"]
    assert response.json()["SaveRoles"] == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"ReadRoles": "Reader"}, 400, "ReadRoles"),
        ({"ReadRoles": [""]}, 400, "Invalid ReadRoles role ''"),
        ({"SaveRoles": [1]}, 400, "SaveRoles"),
        ({"SaveRoles": ["x" * 64]}, 400, f"Invalid SaveRoles role '{'x' * 64}'"),
        ({"SaveRoles": ["Bad Role"]}, 400, "Invalid SaveRoles role 'Bad Role'"),
    ],
)
def test_bad_set_roles(
    api: Api, products: str, body: dict[str, Any], status: int, message: str
) -> None:
    definition = api.get(f"custom-tables/{products}").json()
    response = api.put(f"custom-table-definitions/{definition['Id']}", json=body)
    assert_error(response, status, message)
    assert api.get(f"custom-tables/{products}").json() == definition


# Control characters a role name could smuggle in: NUL (which SQLite stores and PostgreSQL
# cannot bind), another C0 control, DEL, and a C1 control (NEL).
CONTROL_ROLES = ["Sales\x00", "\x00", "Sa\x1fles", "Sales\x7f", "Sales\x85"]


@pytest.mark.parametrize("field", ["ReadRoles", "SaveRoles"])
@pytest.mark.parametrize("role", CONTROL_ROLES, ids=["nul-end", "nul", "us", "del", "nel"])
def test_set_roles_refuses_control_characters(
    api: Api, products: str, field: str, role: str
) -> None:
    """A role name follows the name pattern of SPEC §3 (§9): a control character is a 400
    naming the field, and the permissions stay as they were."""
    definition = api.get(f"custom-tables/{products}").json()
    response = api.put(f"custom-table-definitions/{definition['Id']}", json={field: [role]})
    assert_error(response, 400, f"Invalid {field} role", "letters, digits and underscores")
    assert api.get(f"custom-tables/{products}").json() == definition


@pytest.mark.parametrize("field", ["ReadRoles", "SaveRoles"])
def test_create_refuses_control_characters_in_roles(api: Api, field: str) -> None:
    """The same rule when the roles come with the table's creation: 400, no table made."""
    response = api.post("custom-tables/Guarded", json={**PRODUCT_CATALOG, field: ["Sales\x00"]})
    assert_error(response, 400, f"Invalid {field} role")
    assert api.get("custom-tables").json() == []


@pytest.mark.parametrize(
    "definition_id",
    [str(uuid.uuid4()), "not-a-uuid"],
    ids=["unknown-uuid", "not-a-uuid"],  # fixed ids: every xdist worker collects the same tests
)
def test_set_roles_of_a_missing_definition_is_404(api: Api, definition_id: str) -> None:
    response = api.put(f"custom-table-definitions/{definition_id}", json={"ReadRoles": []})
    assert_error(response, 404, f"Custom table definition '{definition_id}' does not exist")


def test_sql_keywords_and_catalog_like_names_are_ordinary_names(api: Api) -> None:
    """Every name is quoted, so keywords and names that look like system objects just work."""
    columns = [column("From", 6), column("User", 3), column("Desc", 4), column("oid", 5)]
    for name in ("Order", "pg_class", "information_schema", "Select"):
        create_table(api, name, key="Where", key_type=5, columns=columns)
        upsert_ok(api, name, [row("b", From="x", User=1, Desc=2), row("a", From="y", User=2)])
        assert flat(api, name, OrderBy="Desc desc", Top=1) == [
            {"Where": "b", "From": "x", "User": 1, "Desc": 2, "oid": None}
        ]
        cell = api.get(f"custom-tables/{name}/rows/columnValue?KeyValue=a&ColumnName=user")
        assert cell.json()["Value"] == 2
        extended = api.post(
            f"custom-tables/{name}",
            json={"KeyColumnName": "Where", "KeyDataTypeId": 5, "Columns": [column("Group", 0)]},
        )
        assert extended.status_code == 200, extended.text
        body = {"OperationType": "Delete", "DeleteModel": {"KeyValue": "a"}}
        assert api.delete(f"custom-tables/{name}/rows", json=body).json() == {"Deleted": 1}
        assert api.delete(f"custom-tables/{name}").json() == {"Dropped": True}
    assert api.get("custom-tables").json() == []
