"""Examples the OpenAPI document shows, taken from the two source documents (the v3 Custom
Tables API and the v1 Tables API) and SPEC §4-7, so the docs page reads like the source."""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Example

OID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
OID_A = "a1b2c3d4-0000-0000-0000-000000000001"
OID_B = "a1b2c3d4-0000-0000-0000-000000000002"
STAMP = "2026-01-15T10:00:00Z"


def examples(**values: Any) -> dict[str, Example]:
    """Named examples for a media type (`Update={...}` → an example called `Update`)."""
    return {name: Example(summary=name, value=value) for name, value in values.items()}


def example_list(**values: Any) -> list[Example]:
    """The same, as the list a Litestar `ResponseSpec` takes."""
    return list(examples(**values).values())


# --- v3 (skills-custom-tables-api-v3.txt) ---------------------------------------------------

CREATE_TABLE = {
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "IsActive", "ColumnDataTypeId": 0},
    ],
}
TABLE_DEFINITION = {
    "Id": "0b5f3c8e-4f0e-4d7c-9a59-6f1f2f8e8b11",
    "TableName": "ProductCatalog",
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
    ],
    "ReadRoles": [],
    "SaveRoles": [],
    "RowCount": 0,
    "CreatedAt": STAMP,
    "UpdatedAt": STAMP,
}
UPDATE = {
    "OperationType": "Update",
    "UpdateModel": {
        "KeyColumnName": "Oid",
        "KeyValue": OID,
        "KeyDataTypeId": 9,
        "Columns": [
            {"ColumnName": "Name", "Value": "Updated Product"},
            {"ColumnName": "Price", "Value": 39.99},
        ],
    },
}
UPDATE_MANY = {
    "OperationType": "UpdateMany",
    "UpdateManyModel": [
        {
            "KeyColumnName": "Oid",
            "KeyValue": OID_A,
            "KeyDataTypeId": 9,
            "Columns": [
                {"ColumnName": "Name", "Value": "Product A"},
                {"ColumnName": "Category", "Value": "Electronics"},
            ],
        },
        {
            "KeyColumnName": "Oid",
            "KeyValue": OID_B,
            "KeyDataTypeId": 9,
            "Columns": [
                {"ColumnName": "Name", "Value": "Product B"},
                {"ColumnName": "Category", "Value": "Furniture"},
            ],
        },
    ],
}
DELETE = {"OperationType": "Delete", "DeleteModel": {"KeyColumnName": "Oid", "KeyValue": OID}}
DELETE_MANY = {
    "OperationType": "DeleteMany",
    "DeleteManyModel": {"KeyColumnName": "Oid", "KeyValues": [OID_A, OID_B]},
}
DELETE_ALL = {"OperationType": "DeleteAll"}
DELETE_WHERE = {"OperationType": "DeleteWhere", "DeleteWhereModel": {"Where": "Price > 100"}}
ROWS = [
    {
        "TableName": "ProductCatalog",
        "KeyValue": OID,
        "KeyColumnName": "Oid",
        "KeyDataTypeId": 9,
        "Columns": [
            {"ColumnName": "Name", "ColumnDataTypeId": 6, "Value": "Product A"},
            {"ColumnName": "Price", "ColumnDataTypeId": 4, "Value": 29.99},
        ],
    }
]
FLAT_ROWS = [{"Oid": OID, "Name": "Product A", "Price": 29.99}]
SAVED_QUERY = {
    "Name": "ActiveProducts",
    "Namespace": "CustomTable",
    "Sql": "SELECT Oid, Name, Price, IsActive FROM [customtables].[ProductCatalog] "
    "WHERE IsActive = 1 ORDER BY Name",
    "Dialect": "tsql",
    "Parameters": [],
}
EXPORT_FILE = {
    "Format": "customtables/v1",
    "Table": {
        "TableName": "ProductCatalog",
        "KeyColumnName": "Oid",
        "KeyDataTypeId": 9,
        "Columns": [
            {"ColumnName": "Name", "ColumnDataTypeId": 6},
            {"ColumnName": "Price", "ColumnDataTypeId": 4},
        ],
    },
    "Rows": [{"Oid": OID, "Name": "Product A", "Price": 29.99}],
}
V3_NOT_FOUND = {"Code": "NOT_FOUND", "Message": "Custom table 'Foo' does not exist"}

# --- v1 (justpaid-tables-api-v1.txt) --------------------------------------------------------

V1_COLUMNS = [
    {"id": "stripeInvoiceId", "name": "stripeInvoiceId", "type": "text", "required": True},
    {"id": "amountCents", "name": "amountCents", "type": "number"},
]
V1_CREATE_TABLE = {
    "name": "Processed Invoices",
    "description": "Deduplicate Stripe events",
    "columns": [
        {"name": "stripeInvoiceId", "type": "text", "required": True},
        {"name": "amountCents", "type": "number"},
    ],
    "maxRows": 25000,
}
V1_TABLE = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "name": "Processed Invoices",
    "sqlName": "Processed_Invoices",
    "description": "Deduplication table for Stripe invoice events",
    "columns": V1_COLUMNS,
    "schema": {"columns": V1_COLUMNS},
    "metadata": {},
    "maxRows": 10000,
    "rowCount": 47,
    "createdAt": "2024-01-15T10:00:00.000Z",
    "updatedAt": "2024-01-20T08:12:00.000Z",
}
V1_ROW = {
    "id": "660e8400-e29b-41d4-a716-446655440001",
    "data": {"stripeInvoiceId": "in_1234567890", "amountCents": 9900},
    "position": None,
    "createdAt": "2024-01-15T10:30:00.000Z",
    "updatedAt": "2024-01-15T10:30:00.000Z",
}
V1_CREATE_ROW = {"data": {"stripeInvoiceId": "in_1234567890", "amountCents": 9900}}
V1_DELETED = {"success": True, "data": {"deleted": True}}
V1_ROW_LIMIT: dict[str, Any] = {
    "success": False,
    "error": {"code": "BAD_REQUEST", "message": "Table has reached its maximum row limit of 25000"},
}
V1_NOT_FOUND: dict[str, Any] = {
    "success": False,
    "error": {
        "code": "NOT_FOUND",
        "message": "Table '550e8400-e29b-41d4-a716-446655440000' not found",
    },
}
