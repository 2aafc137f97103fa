"""The source document's own walk-through, end to end."""

from __future__ import annotations

from tests.conftest import Api


def test_source_walkthrough(api: Api, products: str) -> None:
    rows = {
        "OperationType": "UpdateMany",
        "UpdateManyModel": [
            {
                "KeyColumnName": "Oid",
                "KeyValue": "a1b2c3d4-0000-0000-0000-000000000001",
                "KeyDataTypeId": 9,
                "Columns": [
                    {"ColumnName": "Name", "Value": "Product A"},
                    {"ColumnName": "Price", "Value": 39.99},
                ],
            },
            {
                "KeyColumnName": "Oid",
                "KeyValue": "A1B2C3D4-0000-0000-0000-000000000002",
                "KeyDataTypeId": 9,
                "Columns": [
                    {"ColumnName": "Name", "Value": "Product B"},
                    {"ColumnName": "IsActive", "Value": True},
                ],
            },
        ],
    }
    response = api.put(f"custom-tables/{products}/rows", json=rows)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Inserted": 2,
        "Updated": 0,
        "KeyValues": [
            "a1b2c3d4-0000-0000-0000-000000000001",
            "a1b2c3d4-0000-0000-0000-000000000002",
        ],
    }
    listed = api.get(f"custom-tables/{products}/rows/values").json()
    assert [row["KeyValue"] for row in listed] == [
        "a1b2c3d4-0000-0000-0000-000000000001",
        "a1b2c3d4-0000-0000-0000-000000000002",
    ]
    first = listed[0]
    assert first["TableName"] == "ProductCatalog"
    assert first["Columns"] == [
        {"ColumnName": "Name", "ColumnDataTypeId": 6, "Value": "Product A"},
        {"ColumnName": "Price", "ColumnDataTypeId": 4, "Value": 39.99},
        {"ColumnName": "IsActive", "ColumnDataTypeId": 0, "Value": None},
    ]
    assert b'"Value":39.99}' in api.get(f"custom-tables/{products}/rows/values").content
