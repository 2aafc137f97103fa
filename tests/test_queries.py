"""Saved queries (SPEC §5) through HTTP on SQLite and PostgreSQL: definitions, the source's own
example, everyday T-SQL, parameters, case-insensitive names, and the namespace."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, TenantCtx

EXAMPLE = (
    "SELECT Oid, Name, Price, IsActive\n"
    "FROM [customtables].[ProductCatalog]\n"
    "WHERE IsActive = 1\n"
    "ORDER BY Name"
)
A = "a1b2c3d4-0000-0000-0000-000000000001"
B = "a1b2c3d4-0000-0000-0000-000000000002"
C = "a1b2c3d4-0000-0000-0000-000000000003"


def put_rows(api: Api, table: str, rows: list[dict[str, Any]], key: str = "Oid") -> None:
    body = {
        "OperationType": "UpsertMany",
        "UpsertManyModel": [
            {
                "KeyValue": row[key],
                "Columns": [{"ColumnName": k, "Value": v} for k, v in row.items() if k != key],
            }
            for row in rows
        ],
    }
    response = api.put(f"custom-tables/{table}/rows", json=body)
    assert response.status_code == 200, response.text


@pytest.fixture
def catalog_rows(api: Api, products: str) -> str:
    put_rows(
        api,
        products,
        [
            {"Oid": A, "Name": "Widget", "Price": 39.99, "IsActive": True},
            {"Oid": B, "Name": "Anvil", "Price": 120.5, "IsActive": True},
            {"Oid": C, "Name": "Gadget", "Price": 5, "IsActive": False},
        ],
    )
    return products


def save(api: Api, name: str, sql: str, **extra: Any) -> Any:
    return api.post("queries", json={"Name": name, "Namespace": "CustomTable", "Sql": sql, **extra})


def run(api: Api, name: str, **params: Any) -> Any:
    return api.post(f"queries/{name}/execute", json=params)


def test_source_example(api: Api, catalog_rows: str) -> None:
    saved = save(api, "ActiveProducts", EXAMPLE)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["Name"] == "ActiveProducts"
    assert body["Namespace"] == "CustomTable"
    assert body["Dialect"] == "tsql"
    assert body["Sql"] == EXAMPLE
    response = api.get("queries/ActiveProducts/execute")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Columns": [
            {"Name": "Oid", "DataTypeId": 9},
            {"Name": "Name", "DataTypeId": 6},
            {"Name": "Price", "DataTypeId": 4},
            {"Name": "IsActive", "DataTypeId": 0},
        ],
        "Rows": [
            {"Oid": B, "Name": "Anvil", "Price": 120.5, "IsActive": True},
            {"Oid": A, "Name": "Widget", "Price": 39.99, "IsActive": True},
        ],
        "Truncated": False,
    }
    assert b'"Price":39.99' in response.content
