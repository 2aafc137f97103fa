"""Row writes, deletes and reads over HTTP: every OperationType by name and number, the
models' checks, paging and ordering, the single-row routes, and case-insensitive names."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Api
from tests.support import (
    assert_error,
    column,
    create_table,
    flat,
    row,
    row_count,
    upsert,
    upsert_ok,
    values,
)

K1 = "a1b2c3d4-0000-0000-0000-000000000001"
K2 = "a1b2c3d4-0000-0000-0000-000000000002"
K3 = "a1b2c3d4-0000-0000-0000-000000000003"


@pytest.fixture
def people(api: Api) -> str:
    """Integer-keyed table with a few rows: Id 1..5, Name, Age, Score (Money)."""
    create_table(api, "People", columns=[column("Name", 5), column("Age", 3), column("Score", 4)])
    upsert_ok(
        api,
        "People",
        [
            row(1, Name="Cleo", Age=30, Score=10.5),
            row(2, Name="alice", Age=25, Score=99.99),
            row(3, Name="Bob", Age=None, Score=-3),
            row(4, Name="Dan", Age=41, Score=7),
            row(5, Name="Eve", Age=25, Score=1000000),
        ],
    )
    return "People"


# --- writes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["UpdateMany", 1, "1", "updatemany", "UPDATEMANY"])
def test_update_many_inserts_and_updates(api: Api, products: str, operation: Any) -> None:
    first = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": operation, "UpdateManyModel": [row(K1, Name="A", Price=1)]},
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"Inserted": 1, "Updated": 0, "KeyValues": [K1]}
    second = api.put(
        f"custom-tables/{products}/rows",
        json={
            "OperationType": operation,
            "UpdateManyModel": [row(K1, Price=2), row(K2, Name="B")],
        },
    )
    assert second.json() == {"Inserted": 1, "Updated": 1, "KeyValues": [K1, K2]}
    assert flat(api, products) == [
        {"Oid": K1, "Name": "A", "Price": 2, "IsActive": None},
        {"Oid": K2, "Name": "B", "Price": None, "IsActive": None},
    ]


@pytest.mark.parametrize("operation", ["UpsertMany", 2, "upsertMany"])
@pytest.mark.parametrize("model", ["UpsertManyModel", "UpdateManyModel"])
def test_upsert_many_takes_either_model(
    api: Api, products: str, operation: Any, model: str
) -> None:
    upsert_ok(api, products, [row(K1, Name="A", IsActive=True)])
    response = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": operation, model: [row(K1, Name="A2"), row(K2, Name="B")]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"Inserted": 1, "Updated": 1, "KeyValues": [K1, K2]}
    rows = flat(api, products)
    assert rows[0] == {"Oid": K1, "Name": "A2", "Price": None, "IsActive": True}


def test_updated_counts_unchanged_rows_too(api: Api, products: str) -> None:
    upsert_ok(api, products, [row(K1, Name="A")])
    assert upsert_ok(api, products, [row(K1, Name="A")]) == {
        "Inserted": 0,
        "Updated": 1,
        "KeyValues": [K1],
    }
    assert upsert_ok(api, products, [row(K1)]) == {"Inserted": 0, "Updated": 1, "KeyValues": [K1]}
    assert flat(api, products)[0]["Name"] == "A"


@pytest.mark.parametrize("operation", ["Update", 0, "0", "update"])
def test_update_changes_only_the_listed_columns(api: Api, products: str, operation: Any) -> None:
    upsert_ok(api, products, [row(K1, Name="A", Price=5, IsActive=True), row(K2, Name="B")])
    response = api.put(
        f"custom-tables/{products}/rows",
        json={
            "OperationType": operation,
            "UpdateModel": {
                "KeyColumnName": "Oid",
                "KeyValue": K1.upper(),
                "KeyDataTypeId": 9,
                "Columns": [
                    {"ColumnName": "Name", "Value": "Updated Product"},
                    {"ColumnName": "price", "Value": 39.99},
                ],
            },
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"Inserted": 0, "Updated": 1, "KeyValues": [K1]}
    assert flat(api, products) == [
        {"Oid": K1, "Name": "Updated Product", "Price": 39.99, "IsActive": True},
        {"Oid": K2, "Name": "B", "Price": None, "IsActive": None},
    ]


def test_update_can_set_a_column_to_null(api: Api, products: str) -> None:
    upsert_ok(api, products, [row(K1, Name="A", Price=5)])
    response = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": "Update", "UpdateModel": row(K1, Price=None)},
    )
    assert response.status_code == 200, response.text
    assert flat(api, products)[0] == {"Oid": K1, "Name": "A", "Price": None, "IsActive": None}


def test_update_of_a_missing_row_is_404_and_writes_nothing(api: Api, products: str) -> None:
    response = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": "Update", "UpdateModel": row(K3, Name="Ghost")},
    )
    assert_error(response, 404, f"Oid = '{K3}' does not exist", code="NOT_FOUND")
    assert values(api, products) == []


def test_update_needs_a_key(api: Api, products: str) -> None:
    response = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": "Update", "UpdateModel": row(..., Name="x")},
    )
    assert_error(response, 400, "Row 0, column 'Oid'", "key")
    assert values(api, products) == []


def test_key_repeated_in_one_batch_last_wins(api: Api, products: str) -> None:
    result = upsert_ok(
        api,
        products,
        [
            row(K1, Name="first", Price=1),
            row(K2, Name="other"),
            row(K1.upper(), Name="last"),
            row("{" + K1 + "}", IsActive=False),
        ],
    )
    assert result == {"Inserted": 2, "Updated": 0, "KeyValues": [K1, K2, K1, K1]}
    assert flat(api, products) == [
        {"Oid": K1, "Name": "last", "Price": 1, "IsActive": False},
        {"Oid": K2, "Name": "other", "Price": None, "IsActive": None},
    ]


@pytest.mark.parametrize("operation", ["UpsertMany", "UpdateMany"])
@pytest.mark.parametrize("key", [..., None])
def test_uuid_key_generated_when_left_out(
    api: Api, products: str, key: Any, operation: str
) -> None:
    response = api.put(
        f"custom-tables/{products}/rows",
        json={
            "OperationType": operation,
            f"{operation}Model": [row(key, Name="new"), row(key, Name="newer")],
        },
    )
    assert response.status_code == 200, response.text
    result = response.json()
    generated = result["KeyValues"]
    assert len(generated) == 2
    assert generated[0] != generated[1]
    assert all(str(uuid.UUID(k)) == k for k in generated)
    assert result["Inserted"] == 2
    assert sorted(r["Oid"] for r in flat(api, products)) == sorted(generated)


def test_non_uuid_key_left_out_is_400(api: Api, people: str) -> None:
    assert_error(upsert(api, people, [row(..., Name="x")]), 400, "Row 0, column 'Id'", "key")


def test_key_values_come_back_in_request_order(api: Api, people: str) -> None:
    result = upsert_ok(api, people, [row(9), row(2), row(7), row(1)])
    assert result == {"Inserted": 2, "Updated": 2, "KeyValues": [9, 2, 7, 1]}


def test_integer_key_given_as_text(api: Api, people: str) -> None:
    result = upsert_ok(api, people, [row("6", Name="Fay"), row(" 2 ", Age=26)])
    assert result["KeyValues"] == [6, 2]
    assert api.get(f"custom-tables/{people}/row", params={"KeyValue": "6"}).json()["KeyValue"] == 6
    assert_error(upsert(api, people, [row("six")]), 400, "Row 0, column 'Id'", "integer")


BAD_WRITES: list[tuple[dict[str, Any], int, str]] = [
    ({}, 400, "OperationType"),
    ({"OperationType": "Upsert", "UpsertManyModel": []}, 400, "Unknown OperationType 'Upsert'"),
    ({"OperationType": 3, "UpsertManyModel": []}, 400, "Unknown OperationType 3"),
    ({"OperationType": -1, "UpsertManyModel": []}, 400, "Unknown OperationType -1"),
    ({"OperationType": "", "UpsertManyModel": []}, 400, "Unknown OperationType"),
    ({"OperationType": None, "UpsertManyModel": []}, 400, "OperationType"),
    ({"OperationType": True, "UpsertManyModel": []}, 400, "OperationType"),
    ({"OperationType": 1.5, "UpsertManyModel": []}, 400, "OperationType"),
    ({"OperationType": "Update"}, 400, "needs UpdateModel"),
    ({"OperationType": "Update", "UpdateManyModel": []}, 400, "needs UpdateModel"),
    ({"OperationType": "UpdateMany"}, 400, "needs UpdateManyModel"),
    ({"OperationType": "UpdateMany", "UpsertManyModel": []}, 400, "needs UpdateManyModel"),
    ({"OperationType": "UpsertMany"}, 400, "needs UpsertManyModel"),
    ({"OperationType": "UpdateMany", "UpdateManyModel": {}}, 400, "UpdateManyModel"),
    ({"OperationType": "Update", "UpdateModel": []}, 400, "UpdateModel"),
    ({"OperationType": "UpsertMany", "UpsertManyModel": [1]}, 400, "UpsertManyModel[0]"),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [{"KeyValue": K1, "Columns": {}}]},
        400,
        "Columns",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [{"KeyValue": K1, "Columns": [{}]}]},
        400,
        "ColumnName",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [row(K1), row(K2, Colour="red")]},
        400,
        "Row 1, column 'Colour'",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [row(K1, Name="a", name="b")]},
        400,
        "Row 0, column 'Name'",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [row(K1, Oid=K2)]},
        400,
        "Row 0, column 'Oid'",
    ),
    (
        {
            "OperationType": "UpsertMany",
            "UpsertManyModel": [row(K1), {**row(K2), "KeyColumnName": "Id"}],
        },
        400,
        "Row 1: KeyColumnName 'Id' is not the key column 'Oid'",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [{**row(K2), "KeyDataTypeId": 3}]},
        400,
        "Row 0: KeyDataTypeId 3 does not match",
    ),
    (
        {"OperationType": "Update", "UpdateModel": {**row(K2), "KeyDataTypeId": 5}},
        400,
        "KeyDataTypeId 5 does not match",
    ),
    (
        {"OperationType": "UpsertMany", "UpsertManyModel": [row("not-a-uuid")]},
        400,
        "Row 0, column 'Oid': expected a UUID",
    ),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_WRITES)
def test_bad_writes(
    api: Api, products: str, body: dict[str, Any], status: int, message: str
) -> None:
    upsert_ok(api, products, [row(K3, Name="keep")])
    assert_error(api.put(f"custom-tables/{products}/rows", json=body), status, message)
    assert flat(api, products) == [{"Oid": K3, "Name": "keep", "Price": None, "IsActive": None}]


def test_key_column_name_and_type_are_matched_loosely(api: Api, products: str) -> None:
    model = {**row(K1, name="x"), "KeyColumnName": "OID", "KeyDataTypeId": 9}
    assert upsert_ok(api, products, [model])["KeyValues"] == [K1]


def test_write_to_missing_table_is_404(api: Api) -> None:
    assert_error(upsert(api, "Nope", [row(1)]), 404, "Custom table 'Nope' does not exist")


def test_case_insensitive_table_and_column_names(api: Api, products: str) -> None:
    response = upsert(api, "PRODUCTCATALOG", [row(K1, nAmE="a", PRICE="1.5", isactive=1)])
    assert response.status_code == 200, response.text
    assert flat(api, "productCatalog") == [{"Oid": K1, "Name": "a", "Price": 1.5, "IsActive": True}]


# --- deletes ----------------------------------------------------------------------------------


def _delete(api: Api, table: str, body: dict[str, Any]) -> Any:
    return api.delete(f"custom-tables/{table}/rows", json=body)


@pytest.mark.parametrize("operation", ["Delete", 0, "delete", "0"])
def test_delete_one_row(api: Api, people: str, operation: Any) -> None:
    body = {"OperationType": operation, "DeleteModel": {"KeyColumnName": "id", "KeyValue": 2}}
    response = _delete(api, people, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"Deleted": 1}
    assert [r["Id"] for r in flat(api, people)] == [1, 3, 4, 5]


def test_delete_missing_row_is_404(api: Api, people: str) -> None:
    body = {"OperationType": "Delete", "DeleteModel": {"KeyValue": 99}}
    assert_error(_delete(api, people, body), 404, "Id = '99' does not exist")
    assert row_count(api, people) == 5


@pytest.mark.parametrize("operation", ["DeleteAll", 1, "deleteall"])
def test_delete_all(api: Api, people: str, operation: Any) -> None:
    assert _delete(api, people, {"OperationType": operation}).json() == {"Deleted": 5}
    assert values(api, people) == []
    assert _delete(api, people, {"OperationType": operation}).json() == {"Deleted": 0}
    assert api.get(f"custom-tables/{people}").status_code == 200


@pytest.mark.parametrize("operation", ["DeleteMany", 2, "DELETEMANY"])
def test_delete_many_skips_missing_keys(api: Api, people: str, operation: Any) -> None:
    body = {
        "OperationType": operation,
        "DeleteManyModel": {"KeyColumnName": "Id", "KeyValues": [1, 99, 3, 1, "5"]},
    }
    assert _delete(api, people, body).json() == {"Deleted": 3}
    assert [r["Id"] for r in flat(api, people)] == [2, 4]
    body["DeleteManyModel"]["KeyValues"] = []
    assert _delete(api, people, body).json() == {"Deleted": 0}


def test_delete_many_by_uuid_in_any_case(api: Api, products: str) -> None:
    upsert_ok(api, products, [row(K1), row(K2), row(K3)])
    body = {
        "OperationType": "DeleteMany",
        "DeleteManyModel": {"KeyColumnName": "Oid", "KeyValues": [K1.upper(), "{" + K2 + "}"]},
    }
    assert _delete(api, products, body).json() == {"Deleted": 2}
    assert [r["Oid"] for r in flat(api, products)] == [K3]


BAD_DELETES: list[tuple[dict[str, Any], int, str]] = [
    ({}, 400, "OperationType"),
    ({"OperationType": "Remove"}, 400, "Unknown OperationType 'Remove'"),
    ({"OperationType": 4}, 400, "Unknown OperationType 4"),  # 3 is DeleteWhere (SPEC §10)
    ({"OperationType": "Delete"}, 400, "needs DeleteModel"),
    ({"OperationType": "DeleteMany"}, 400, "needs DeleteManyModel"),
    ({"OperationType": "DeleteMany", "DeleteManyModel": {}}, 400, "KeyValues"),
    ({"OperationType": "DeleteMany", "DeleteManyModel": {"KeyValues": 1}}, 400, "KeyValues"),
    ({"OperationType": "Delete", "DeleteModel": {}}, 400, "column 'Id'"),
    ({"OperationType": "Delete", "DeleteModel": {"KeyValue": None}}, 400, "column 'Id'"),
    ({"OperationType": "Delete", "DeleteModel": {"KeyValue": "x"}}, 400, "integer"),
    (
        {"OperationType": "Delete", "DeleteModel": {"KeyValue": 1, "KeyColumnName": "Name"}},
        400,
        "KeyColumnName 'Name' is not the key column 'Id'",
    ),
    (
        {"OperationType": "DeleteMany", "DeleteManyModel": {"KeyValues": [1, 2, "x"]}},
        400,
        "Row 2, column 'Id'",
    ),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_DELETES)
def test_bad_deletes(
    api: Api, people: str, body: dict[str, Any], status: int, message: str
) -> None:
    assert_error(_delete(api, people, body), status, message)
    assert row_count(api, people) == 5


def test_delete_rows_of_missing_table_is_404(api: Api) -> None:
    assert_error(_delete(api, "Nope", {"OperationType": "DeleteAll"}), 404, "'Nope' does not exist")


def test_delete_without_body_is_400(api: Api, people: str) -> None:
    assert_error(api.delete(f"custom-tables/{people}/rows"), 400, "body is required")
    assert row_count(api, people) == 5


# --- reads ------------------------------------------------------------------------------------


def test_values_in_the_source_shape_ordered_by_key(api: Api, people: str) -> None:
    rows = values(api, "people")
    assert [r["KeyValue"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[2] == {
        "TableName": "People",
        "KeyValue": 3,
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [
            {"ColumnName": "Name", "ColumnDataTypeId": 5, "Value": "Bob"},
            {"ColumnName": "Age", "ColumnDataTypeId": 3, "Value": None},
            {"ColumnName": "Score", "ColumnDataTypeId": 4, "Value": -3},
        ],
    }


def test_values_of_empty_table(api: Api, products: str) -> None:
    assert values(api, products) == []
    assert flat(api, products) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"Top": 2}, [1, 2]),
        ({"Top": 0}, []),
        ({"Skip": 3}, [4, 5]),
        ({"Skip": 10}, []),
        ({"Top": 2, "Skip": 1}, [2, 3]),
        ({"OrderBy": "Id desc"}, [5, 4, 3, 2, 1]),
        ({"OrderBy": "Name"}, [2, 3, 1, 4, 5]),  # SQL Server's order: case-insensitive
        ({"OrderBy": "name DESC"}, [5, 4, 1, 3, 2]),
        ({"OrderBy": "Age asc"}, [3, 2, 5, 1, 4]),  # NULL is lowest, ties by key
        ({"OrderBy": "Age asc", "Top": 2}, [3, 2]),
        ({"OrderBy": "Age desc"}, [4, 1, 2, 5, 3]),
        ({"OrderBy": "Score"}, [3, 4, 1, 2, 5]),
        ({"OrderBy": "Score desc", "Skip": 1, "Top": 2}, [2, 1]),
        ({"top": 1, "skip": 1, "orderby": "id DESC"}, [4]),
        ({"TOP": 1, "SKIP": 0, "ORDERBY": "SCORE DESC"}, [5]),
    ],
)
def test_values_paging_and_ordering(
    api: Api, people: str, params: dict[str, Any], expected: list[int]
) -> None:
    assert [r["Id"] for r in flat(api, people, **params)] == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"OrderBy": "Colour"}, "OrderBy column 'Colour' does not exist"),
        ({"OrderBy": "Name sideways"}, "OrderBy must be 'Column' or 'Column desc'"),
        ({"OrderBy": "Name desc extra"}, "OrderBy must be"),
        ({"OrderBy": "Name;DROP TABLE People"}, "OrderBy"),
        ({"Top": -1}, "Top"),
        ({"Skip": -1}, "Skip"),
        ({"Top": "ten"}, "Top"),
        ({"Format": "xml"}, "Format must be 'flat'"),
    ],
)
def test_bad_values_parameters(api: Api, people: str, params: dict[str, Any], message: str) -> None:
    response = api.get(f"custom-tables/{people}/rows/values", params=params)
    assert_error(response, 400, message)
    assert row_count(api, people) == 5


def test_flat_format_includes_the_key(api: Api, people: str) -> None:
    rows = flat(api, people, Top=1)
    assert rows == [{"Id": 1, "Name": "Cleo", "Age": 30, "Score": 10.5}]
    assert values(api, people, format="FLAT", top=1) == rows


def test_get_one_row(api: Api, products: str) -> None:
    upsert_ok(api, products, [row(K1, Name="A", Price=39.99, IsActive=True)])
    for name in ("KeyValue", "keyValue", "keyvalue", "KEYVALUE"):
        response = api.get(f"custom-tables/{products}/row", params={name: K1.upper()})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "TableName": "ProductCatalog",
            "KeyValue": K1,
            "KeyColumnName": "Oid",
            "KeyDataTypeId": 9,
            "Columns": [
                {"ColumnName": "Name", "ColumnDataTypeId": 6, "Value": "A"},
                {"ColumnName": "Price", "ColumnDataTypeId": 4, "Value": 39.99},
                {"ColumnName": "IsActive", "ColumnDataTypeId": 0, "Value": True},
            ],
        }
    bad = api.get(f"custom-tables/{products}/row", params={"KeyValue": "nope"})
    assert_error(bad, 400, "Column 'Oid': expected a UUID")
    braces = api.get(f"custom-tables/{products}/row", params={"KeyValue": "{" + K1 + "}"})
    assert braces.json()["KeyValue"] == K1


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"KeyValue": "99"}, 404, "Id = '99' does not exist"),
        ({}, 400, "KeyValue"),
        ({"KeyValue": "abc"}, 400, "Column 'Id': expected an integer"),
        ({"KeyValue": "1.5"}, 400, "integer"),
        ({"KeyValue": "99999999999999999999"}, 400, "64-bit"),
    ],
)
def test_bad_row_requests(
    api: Api, people: str, params: dict[str, str], status: int, message: str
) -> None:
    assert_error(api.get(f"custom-tables/{people}/row", params=params), status, message)


def test_column_value(api: Api, people: str) -> None:
    for params in (
        {"KeyValue": "2", "ColumnName": "Score"},
        {"keyvalue": "2", "columnname": "SCORE"},
        {"KEYVALUE": "2", "columnName": "score"},
    ):
        response = api.get(f"custom-tables/{people}/rows/columnValue", params=params)
        assert response.status_code == 200, response.text
        assert response.json() == {"ColumnName": "Score", "ColumnDataTypeId": 4, "Value": 99.99}
    key = api.get(
        f"custom-tables/{people}/rows/columnValue", params={"KeyValue": "2", "ColumnName": "id"}
    )
    assert key.json() == {"ColumnName": "Id", "ColumnDataTypeId": 3, "Value": 2}
    null = api.get(
        f"custom-tables/{people}/rows/columnValue", params={"KeyValue": "3", "ColumnName": "Age"}
    )
    assert null.json() == {"ColumnName": "Age", "ColumnDataTypeId": 3, "Value": None}


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"KeyValue": "2", "ColumnName": "Colour"}, 404, "Column 'Colour' does not exist"),
        ({"KeyValue": "99", "ColumnName": "Name"}, 404, "Id = '99' does not exist"),
        ({"KeyValue": "2"}, 400, "ColumnName"),
        ({"ColumnName": "Name"}, 400, "KeyValue"),
        ({"KeyValue": "x", "ColumnName": "Name"}, 400, "integer"),
    ],
)
def test_bad_column_value_requests(
    api: Api, people: str, params: dict[str, str], status: int, message: str
) -> None:
    response = api.get(f"custom-tables/{people}/rows/columnValue", params=params)
    assert_error(response, status, message)


@pytest.mark.parametrize(
    "path",
    [
        "custom-tables/Nope/row?KeyValue=1",
        "custom-tables/Nope/rows/columnValue?KeyValue=1&ColumnName=A",
        "custom-tables/Nope/rows/values",
    ],
)
def test_reads_of_missing_table_are_404(api: Api, path: str) -> None:
    assert_error(api.get(path), 404, "Custom table 'Nope' does not exist")


def test_row_count_follows_writes_and_deletes(api: Api, people: str) -> None:
    assert row_count(api, people) == 5
    upsert_ok(api, people, [row(6), row(1)])
    assert row_count(api, people) == 6
    _delete(api, people, {"OperationType": "DeleteMany", "DeleteManyModel": {"KeyValues": [1, 2]}})
    assert row_count(api, people) == 4
