"""Hostile request bodies and names (SPEC §9, issue 11) through HTTP into SQLite and
PostgreSQL: each input gets its 4xx with a message naming the problem, never a 500, and a
refused request writes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx
from tests.support import LEAKS, assert_error, create_table, row_count, upsert_ok
from tests.v1_support import BOTH, CREATE_TABLE_BODY, ok, raw_json, v1_api

JSON = {"Content-Type": "application/json"}


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def deep_rows_file(depth: int) -> bytes:
    return b'{"Format":"customtables/v1","Rows":' + nested(depth).encode() + b"}"


def send(api: Api, method: str, path: str, body: str | bytes, **headers: str) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return api.request(method, path, content=content, headers={**JSON, **headers})


@pytest.fixture
def table(api: Api) -> str:
    create_table(api, "Goods", columns=[{"ColumnName": "Name", "ColumnDataTypeId": 7}])
    upsert_ok(api, "Goods", [{"KeyValue": 1, "Columns": [{"ColumnName": "Name", "Value": "a"}]}])
    return "Goods"


def _row_body(value: str, model: str = "UpsertManyModel") -> str:
    column = f'{{"ColumnName":"Name","Value":{value}}}'
    row = f'{{"KeyValue":2,"Columns":[{column}]}}'
    return f'{{"OperationType":"UpsertMany","{model}":[{row}]}}'


ROW0 = "row 0 (rows are numbered from 0)"  # how a write body's place is named
WRITES = [
    pytest.param(_row_body(nested(1000)), ("nested deeper than 32", ROW0 + ", column 'Name'"),
                 id="value-1000-deep"),
    pytest.param(_row_body(nested(40)), ("nested deeper than 32", ROW0 + ", column 'Name'"),
                 id="value-40-deep"),
    pytest.param(nested(30000), ("nested deeper than 32",), id="body-30000-deep"),
    pytest.param(_row_body('"' + "x" * (1024 * 1024 + 1) + '"'),
                 ("larger than 1048576 bytes", ROW0 + ", column 'Name'"), id="value-too-large"),
    pytest.param('{"OperationType":"UpsertMany","OperationType":"Update","UpsertManyModel":[]}',
                 ("repeats a key", "OperationType"), id="duplicate-operation"),
    pytest.param('{"OperationType":"UpsertMany","UpsertManyModel":[{"KeyValue":2,"KeyValue":3,'
                 '"Columns":[]}]}', ("repeats a key", ROW0 + ", KeyValue"), id="duplicate-key"),
    pytest.param('{"OperationType":"UpsertMany","UpsertManyModel":[{"KeyValue":2,"Columns":'
                 '[{"ColumnName":"Name","Value":"x","Value":"y"}]}]}',
                 ("repeats a key", ROW0 + ", column 'Name'"), id="duplicate-value"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "fragments"), WRITES)
def test_hostile_row_writes_are_400_and_write_nothing(
    api: Api, table: str, body: str, fragments: tuple[str, ...]
) -> None:
    assert_error(send(api, "PUT", f"custom-tables/{table}/rows", body), 400, *fragments)
    assert row_count(api, table) == 1


def test_duplicate_operation_type_never_deletes_everything(api: Api, table: str) -> None:
    body = '{"OperationType":"Delete","OperationType":"DeleteAll","DeleteModel":{"KeyValue":1}}'
    assert_error(send(api, "DELETE", f"custom-tables/{table}/rows", body), 400, "OperationType")
    assert row_count(api, table) == 1


def test_depth_32_is_allowed_and_33_is_not(api: Api, table: str) -> None:
    """The limit counts the body's own object as level 1: a body at 32 levels reaches the
    decoder (and is refused for its content), one at 33 is refused by the policy."""
    body = '{"Sql":"SELECT 1","Parameters":' + nested(30, "{}") + "}"
    message = assert_error(send(api, "POST", "queries", body), 400)
    assert "nested deeper" not in message
    body = '{"Sql":"SELECT 1","Parameters":' + nested(31, "{}") + "}"
    assert_error(send(api, "POST", "queries", body), 400, "nested deeper than 32")


DEFINITIONS = [
    pytest.param("POST", "custom-tables/Fresh",
                 '{"KeyColumnName":"Id","KeyColumnName":"Oid","KeyDataTypeId":3}',
                 ("repeats a key", "KeyColumnName"), id="create-duplicate"),
    pytest.param("POST", "custom-tables/Fresh",
                 '{"KeyColumnName":"Id","Columns":' + nested(100) + "}",
                 ("nested deeper than 32", "Columns"), id="create-deep"),
    pytest.param("POST", "queries", '{"Name":"Q","Sql":"SELECT 1","Sql":"SELECT 2"}',
                 ("repeats a key", "Sql"), id="query-duplicate"),
    pytest.param("POST", "queries", '{"Name":"Q","Sql":' + nested(5000, '"x"') + "}",
                 ("nested deeper than 32",), id="query-deep"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "fragments"), DEFINITIONS)
def test_hostile_definitions_are_400_and_create_nothing(
    api: Api, method: str, path: str, body: str, fragments: tuple[str, ...]
) -> None:
    assert_error(send(api, method, path, body), 400, *fragments)
    assert api.get("custom-tables/Fresh").status_code == 404
    assert api.get("queries/Q").status_code == 404


def test_duplicate_roles_key_on_definition_is_400(api: Api, table: str) -> None:
    definition = api.get(f"custom-tables/{table}").json()["Id"]
    body = '{"ReadRoles":["Admin"],"ReadRoles":[]}'
    response = send(api, "PUT", f"custom-table-definitions/{definition}", body)
    assert_error(response, 400, "repeats a key", "ReadRoles")


def test_execute_arguments_deep_or_duplicate(api: Api, table: str) -> None:
    query = {
        "Name": "Q",
        "Namespace": "CustomTable",
        "Sql": "SELECT Name FROM Goods WHERE Name = @n",
        "Parameters": [{"Name": "n", "DataTypeId": 7}],
    }
    response = api.post("queries", json=query)
    assert response.status_code == 201, response.text
    deep = send(api, "POST", "queries/Q/execute", '{"n":' + nested(2000) + "}")
    assert_error(deep, 400, "nested deeper than 32", "n")
    twice = send(api, "POST", "queries/Q/execute", '{"n":"a","n":"b"}')
    assert_error(twice, 400, "repeats a key", "n")


# ---- import: raw body and multipart, read while it arrives ----


def test_import_of_30000_deep_rows_is_400_fast(api: Api) -> None:
    started = time.monotonic()
    response = send(api, "PUT", "custom-tables/Deep/import", deep_rows_file(30000))
    assert_error(response, 400, "deeper than 32 levels")
    assert time.monotonic() - started < 5
    assert api.get("custom-tables/Deep").status_code == 404


def test_import_multipart_deep_file_is_400(api: Api) -> None:
    files = {"file": ("deep.json", deep_rows_file(30000), "application/json")}
    response = api.put("custom-tables/Deep/import", files=files)
    assert_error(response, 400, "deeper than 32 levels")
    assert api.get("custom-tables/Deep").status_code == 404


def _file(rows: str, head: str = '"Format":"customtables/v1"') -> str:
    table = json.dumps({"TableName": "Imp", **PRODUCT_CATALOG})
    return f'{{{head},"Table":{table},"Rows":[{rows}]}}'


IMPORTS = [
    pytest.param(_file('{"Oid":"8a2e0a3c-5a8e-4c67-9d38-0b1d2c3e4f50","Name":"'
                       + "n" * (1024 * 1024 + 1) + '"}'),
                 ("value larger than 1048576 bytes",), id="value-too-large"),
    pytest.param(_file('{"Oid":"8a2e0a3c-5a8e-4c67-9d38-0b1d2c3e4f50","Name":"a","Name":"b"}'),
                 ("Row 0", "repeats the key", "Name"), id="row-duplicate"),
    pytest.param(_file("", '"Format":"customtables/v1","Format":"other"'),
                 ("repeats the key", "Format"), id="format-duplicate"),
    pytest.param(_file("").replace('"KeyColumnName": "Oid"', '"KeyColumnName": "Oid", '
                                   '"KeyColumnName": "Name"'),
                 ("Table", "repeats the key", "KeyColumnName"), id="table-duplicate"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "fragments"), IMPORTS)
def test_import_duplicate_keys_are_400_and_import_nothing(
    api: Api, body: str, fragments: tuple[str, ...]
) -> None:
    assert_error(send(api, "PUT", "custom-tables/Imp/import", body), 400, *fragments)
    assert api.get("custom-tables/Imp").status_code == 404


# ---- v1: data too deep or too large names the field ----


@pytest.fixture
def v1(tenant: TenantCtx) -> tuple[Api, str]:
    api = v1_api(tenant, *BOTH)
    table = ok(api.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    return api, table["id"]


def v1_error(response: Any, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body["error"]) <= {"code", "message", "requestId"}
    for fragment in fragments:
        assert fragment.lower() in body["error"]["message"].lower(), body
    assert not LEAKS.search(response.text), response.text


V1_ROWS = [
    pytest.param('{"data":{"stripeInvoiceId":"a","deep":' + nested(1000) + "}}",
                 ("nested deeper than 32", "field 'deep'"), id="data-deep"),
    pytest.param('{"data":{"stripeInvoiceId":"a","big":"' + "x" * (1024 * 1024 + 10) + '"}}',
                 ("larger than 1048576 bytes", "field 'big'"), id="data-large"),
    pytest.param('{"data":{"stripeInvoiceId":"a","many":[' + ",".join(["12345678"] * 200_000)
                 + "]}}", ("at most 1048576 bytes", "field 'many'"), id="data-large-array"),
    pytest.param('{"data":{"stripeInvoiceId":"a","stripeInvoiceId":"b"}}',
                 ("repeats a key", "stripeInvoiceId"), id="data-duplicate"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "fragments"), V1_ROWS)
def test_v1_hostile_rows_are_400_and_write_nothing(
    v1: tuple[Api, str], body: str, fragments: tuple[str, ...]
) -> None:
    api, table = v1
    v1_error(api.post(f"/api/v1/tables/{table}/rows", **raw_json(body)), 400, *fragments)
    listed = ok(api.get(f"/api/v1/tables/{table}/rows"))
    assert listed == []


def test_v1_patch_with_too_large_data_keeps_the_row(v1: tuple[Api, str]) -> None:
    api, table = v1
    row = ok(
        api.post(f"/api/v1/tables/{table}/rows", **raw_json('{"data":{"stripeInvoiceId":"a"}}')),
        201,
    )
    big = '{"data":{"stripeInvoiceId":"b","big":"' + "x" * (1024 * 1024) + '"}}'
    v1_error(api.patch(f"/api/v1/tables/{table}/rows/{row['id']}", **raw_json(big)), 400, "big")
    assert ok(api.get(f"/api/v1/tables/{table}/rows"))[0]["data"] == {"stripeInvoiceId": "a"}


# ---- Content-Type ----


CONTENT_TYPES = [
    pytest.param("text/plain", 415, id="text"),
    pytest.param("application/x-www-form-urlencoded", 415, id="form"),
    pytest.param("application/xml", 415, id="xml"),
    pytest.param("application/json; charset=utf-8", 200, id="json-charset"),
    pytest.param("Application/JSON", 200, id="json-case"),
    pytest.param("application/merge-patch+json", 200, id="plus-json"),
]


@pytest.mark.parametrize(("content_type", "status"), CONTENT_TYPES)
def test_v3_content_type(api: Api, table: str, content_type: str, status: int) -> None:
    body = _row_body('"z"')
    response = send(
        api, "PUT", f"custom-tables/{table}/rows", body, **{"Content-Type": content_type}
    )
    if status == 415:
        assert_error(response, 415, content_type.split(";")[0], code="UNSUPPORTED_MEDIA_TYPE")
        assert row_count(api, table) == 1
    else:
        assert response.status_code == status, response.text
        assert row_count(api, table) == 2


def test_missing_content_type_is_read_as_json(api: Api, table: str) -> None:
    response = api.client.put(
        f"/api/v3/custom-tables/{table}/rows",
        content=_row_body('"z"').encode(),
        headers={"X-AccessToken": api.token},
    )
    assert "content-type" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 200, response.text
    assert row_count(api, table) == 2


def test_v1_non_json_content_type_is_415_in_the_envelope(v1: tuple[Api, str]) -> None:
    api, table = v1
    response = api.post(
        f"/api/v1/tables/{table}/rows",
        content=b'{"data":{"stripeInvoiceId":"a"}}',
        headers={"Content-Type": "text/plain"},
    )
    v1_error(response, 415, "text/plain")
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert ok(api.get(f"/api/v1/tables/{table}/rows")) == []


def test_import_content_types(api: Api) -> None:
    body = _file("")
    response = send(api, "PUT", "custom-tables/Imp/import", body, **{"Content-Type": "text/xml"})
    assert_error(response, 415, "text/xml", "multipart/form-data")
    assert api.get("custom-tables/Imp").status_code == 404
    response = send(api, "PUT", "custom-tables/Imp/import", body)
    assert response.status_code == 200, response.text


# ---- names in paths and query strings ----

NAMES = [
    pytest.param("GET", "custom-tables/Goo%00ds", 400, id="table-nul"),
    pytest.param("GET", "custom-tables/Goo%01ds", 400, id="table-control"),
    pytest.param("GET", "custom-tables/Goo%0Ads", 400, id="table-newline"),
    pytest.param("DELETE", "custom-tables/%00", 400, id="drop-nul"),
    pytest.param("GET", "custom-tables/G%C3%B6ods", 404, id="table-non-ascii"),
    pytest.param("GET", "custom-tables/%E2%80%AEsdooG", 404, id="table-bidi"),
    pytest.param("GET", "custom-tables/%FF%C0%80", 404, id="table-invalid-utf8"),
    pytest.param("GET", "custom-tables/Goods/row?KeyValue=%ED%A0%80", 400, id="key-surrogate"),
    pytest.param("GET", "custom-tables/Goods/rows/values?OrderBy=Na%00me", 400, id="order-nul"),
    pytest.param("GET", "custom-tables/Goods/row?KeyValue=1%00", 400, id="key-nul"),
    pytest.param("GET", "queries/Q%00", 400, id="query-nul"),
    pytest.param("GET", "queries/%C3%9Cbersicht/execute", 404, id="query-non-ascii"),
    pytest.param("GET", "custom-tables/Goods/export?x=%00", 400, id="export-nul"),
    pytest.param("PUT", "custom-table-definitions/%00", 400, id="definition-nul"),
    pytest.param("PUT", "custom-table-definitions/d%C3%A9f", 404, id="definition-non-ascii"),
    pytest.param("GET", "/api/v1/tables/%00", 400, id="v1-table-nul"),
    pytest.param("GET", "/api/v1/tables/t%C3%A4ble/rows", 404, id="v1-non-ascii"),
    pytest.param("DELETE", "/api/v1/tables/x/rows/%00", 400, id="v1-row-nul"),
]


@pytest.mark.parametrize(("method", "path", "status"), NAMES)
def test_names_with_control_characters(
    tenant: TenantCtx, table: str, method: str, path: str, status: int
) -> None:
    api = v1_api(tenant, *BOTH, roles=("Admin",)) if path.startswith("/api/v1") else tenant.admin
    body = b'{"ReadRoles":[],"SaveRoles":[]}' if method == "PUT" else None
    response = api.request(method, path, content=body, headers=JSON if body else {})
    assert response.status_code == status, response.text
    assert not LEAKS.search(response.text), response.text
    if path.startswith("/api/v1"):
        assert response.json()["success"] is False
    else:
        assert_error(response, status)
    assert row_count(tenant.admin, table) == 1
