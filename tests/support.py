"""Helpers shared by the v3 tests: make tables, write and read rows, and check error answers."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api

# Things that must never reach a client: stack traces, SQL text, driver or library names.
LEAKS = re.compile(
    r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|pysqlite|litestar\.|msgspec\.|"
    r"\bSELECT\b|\bINSERT\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b|\bCREATE TABLE\b|"
    r"\bALTER TABLE\b|IntegrityError|OperationalError|ProgrammingError",
    re.IGNORECASE,
)


def column(name: str, type_id: int, length: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ColumnName": name, "ColumnDataTypeId": type_id}
    if length is not None:
        spec["ColumnLength"] = length
    return spec


def create_table(
    api: Api,
    name: str,
    key: str = "Id",
    key_type: int = 3,
    columns: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {"KeyColumnName": key, "KeyDataTypeId": key_type, "Columns": columns or [], **extra}
    response = api.post(f"custom-tables/{name}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def row(key: Any, **values: Any) -> dict[str, Any]:
    model: dict[str, Any] = {"Columns": [{"ColumnName": k, "Value": v} for k, v in values.items()]}
    if key is not ...:
        model["KeyValue"] = key
    return model


def upsert(api: Api, table: str, rows: list[dict[str, Any]], operation: Any = "UpsertMany") -> Any:
    return api.put(
        f"custom-tables/{table}/rows", json={"OperationType": operation, "UpsertManyModel": rows}
    )


def upsert_ok(api: Api, table: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    response = upsert(api, table, rows)
    assert response.status_code == 200, response.text
    return response.json()


def values(api: Api, table: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"custom-tables/{table}/rows/values", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def flat(api: Api, table: str, **params: Any) -> list[dict[str, Any]]:
    return values(api, table, Format="flat", **params)


def row_count(api: Api, table: str) -> int:
    response = api.get(f"custom-tables/{table}")
    assert response.status_code == 200, response.text
    return response.json()["RowCount"]


def assert_error(response: Any, status: int, *fragments: str, code: str | None = None) -> str:
    """The answer is a clean v3 error: the status, {Code, Message} only, the fragments in the
    message, and nothing that leaks internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) <= {"Code", "Message", "RequestId"}, body
    assert isinstance(body["Code"], str)
    assert body["Code"]
    assert isinstance(body["Message"], str)
    assert body["Message"]
    if code is not None:
        assert body["Code"] == code, body
    for fragment in fragments:
        assert fragment.lower() in body["Message"].lower(), (fragment, body)
    assert not LEAKS.search(response.text), response.text
    return body["Message"]


def upsert_rows(api: Api, table: str, rows: list[dict[str, Any]], key: str = "Oid") -> None:
    """UpsertMany of flat rows (`{"Oid": …, "Name": …}`), which must succeed."""
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
