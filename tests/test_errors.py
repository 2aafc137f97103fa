"""Error answers: JSON for unknown routes and methods, malformed bodies, a database failure
that is a clean 500 with a request id (and nothing of the SQL or driver), /health and OpenAPI."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.conftest import Api, TenantCtx
from tests.support import assert_error, column, create_table, row, upsert_ok


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/api/v3/nope", 404, "No route GET /api/v3/nope"),
        ("GET", "/nope", 404, "No route GET /nope"),
        ("GET", "/api/v3/custom-tables/T/rows/nope", 404, "No route"),
        ("PATCH", "custom-tables/T", 405, "Method PATCH is not allowed"),
        ("POST", "custom-tables/T/rows", 405, "Method POST is not allowed"),
        ("PUT", "custom-tables", 405, "Method PUT is not allowed"),
        ("DELETE", "custom-tables/T/row", 405, "Method DELETE is not allowed"),
        ("GET", "custom-table-definitions/x", 405, "Method GET is not allowed"),
    ],
)
def test_unknown_routes_and_methods_answer_json(
    api: Api, method: str, path: str, status: int, message: str
) -> None:
    assert_error(api.request(method, path), status, message)


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("POST", "custom-tables/T", b'{"KeyColumnName": "Id",'),
        ("PUT", "custom-tables/T/rows", b"\xff\xfe not utf-8"),
        ("PUT", "custom-tables/T/rows", b'{"OperationType": "UpsertMany", "UpsertManyModel": [}'),
        ("DELETE", "custom-tables/T/rows", b"DeleteAll"),
        ("PUT", "custom-table-definitions/x", b"[1, 2"),
    ],
)
def test_malformed_json_is_400(api: Api, method: str, path: str, content: bytes) -> None:
    create_table(api, "T")
    response = api.request(
        method, path, content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "not valid JSON", code="VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"KeyColumnName": "Id",', "The body is not valid JSON: it ends before its value does"),
        (b"\xff\xfe not utf-8", "The body is not valid JSON: a character is not allowed where it "
         "stands (or is not UTF-8) (byte 0, counted from 0)"),
        (b'{"KeyColumnName": "Id"} x', "The body is not valid JSON: something follows its value "
         "(byte 25, counted from 0)"),
        (b'{"KeyDataTypeId": 03}', "The body is not valid JSON: a number is not written as JSON "
         "writes numbers (byte 19, counted from 0)"),
        (b'{"KeyColumnName": "\\q"}', "The body is not valid JSON: a string holds an escape JSON "
         "does not have (byte 21, counted from 0)"),
        (b'{"KeyDataTypeId": 1e999999}', "The body is not valid JSON: a number is too large"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_json_is_told_in_our_words(
    api: Api, content: bytes, message: str
) -> None:
    """msgspec's own wording ("JSON is malformed", "Input data was truncated", a `$[...]` path)
    never reaches the client: the reason and the byte, in ours; nothing is made."""
    response = api.post("custom-tables/T", content=content,
                        headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 400, response.text
    assert response.json() == {"Code": "VALIDATION_ERROR", "Message": message}
    assert api.get("custom-tables/T").status_code == 404


@pytest.mark.parametrize("params", [{"Top": 2**63}, {"Skip": 10**20}, {"Top": 1, "Skip": 2**64}])
def test_out_of_range_paging_is_400(api: Api, params: dict[str, Any]) -> None:
    create_table(api, "T")
    upsert_ok(api, "T", [row(1)])
    response = api.get("custom-tables/T/rows/values", params=params)
    assert_error(response, 400, "must be from 0 to 9223372036854775807")
    biggest = {"Top": 2**63 - 1, "Skip": 2**63 - 1}
    assert api.get("custom-tables/T/rows/values", params=biggest).json() == []


def _drop_behind_the_catalogs_back(tenant: TenantCtx, table: str) -> None:
    """What an operator's stray DROP TABLE would do: the catalog still lists the table."""
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.write() as conn:
        quoted = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"DROP TABLE {quoted(space.schema)}.{quoted(table)}")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "custom-tables/Broken/row?KeyValue=1", None),
        ("GET", "custom-tables/Broken/rows/columnValue?KeyValue=1&ColumnName=A", None),
        ("GET", "custom-tables/Broken/rows/values", None),
        ("GET", "custom-tables/Broken/rows/values?Format=flat&Top=1", None),
        ("GET", "custom-tables/Broken", None),
        ("GET", "custom-tables", None),
        ("PUT", "custom-tables/Broken/rows", {"OperationType": 2, "UpsertManyModel": [row(2)]}),
        ("DELETE", "custom-tables/Broken/rows", {"OperationType": "DeleteAll"}),
        (
            "POST",
            "custom-tables/Broken",
            {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": [column("B", 6)]},
        ),
    ],
)
def test_database_failure_is_a_clean_500(
    tenant: TenantCtx,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    api = tenant.admin
    create_table(api, "Broken", columns=[column("A", 3)])
    upsert_ok(api, "Broken", [row(1, A=1)])
    _drop_behind_the_catalogs_back(tenant, "Broken")
    with caplog.at_level(logging.ERROR, logger="customtables"):
        response = api.request(method, path, json=body) if body else api.request(method, path)
    assert_error(response, 500, "request id", code="INTERNAL_ERROR")
    body_out = response.json()
    assert set(body_out) == {"Code", "Message", "RequestId"}
    assert "Broken" not in response.text
    request_id = body_out["RequestId"]
    assert len(request_id) >= 16
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


def test_health(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


V3_OPERATIONS: dict[tuple[str, str], set[str] | None] = {
    ("get", "/api/v3/custom-tables"): None,
    ("get", "/api/v3/custom-tables/{table_name}"): None,
    ("post", "/api/v3/custom-tables/{table_name}"): {
        "KeyColumnName",
        "KeyDataTypeId",
        "KeyColumnLength",
        "Columns",
        "ReadRoles",
        "SaveRoles",
    },
    ("delete", "/api/v3/custom-tables/{table_name}"): None,
    ("put", "/api/v3/custom-tables/{table_name}/rows"): {
        "OperationType",
        "UpdateModel",
        "UpdateManyModel",
        "UpsertManyModel",
    },
    ("delete", "/api/v3/custom-tables/{table_name}/rows"): {
        "OperationType",
        "DeleteModel",
        "DeleteManyModel",
        "DeleteWhereModel",
    },
    ("get", "/api/v3/custom-tables/{table_name}/rows/values"): None,
    ("get", "/api/v3/custom-tables/{table_name}/row"): None,
    ("get", "/api/v3/custom-tables/{table_name}/rows/columnValue"): None,
    ("put", "/api/v3/custom-table-definitions/{definition_id}"): {"ReadRoles", "SaveRoles"},
    ("get", "/health"): None,
}


def test_openapi_documents_every_endpoint(api: Api) -> None:
    response = api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    schemas = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    for (method, path), properties in V3_OPERATIONS.items():
        assert method in paths.get(path, {}), (method, path)
        if properties is None:
            continue
        content = paths[path][method]["requestBody"]["content"]["application/json"]
        ref = content["schema"]["$ref"]
        body = schemas[ref.removeprefix(prefix)]
        assert set(body["properties"]) == properties, (path, body)
    # every $ref anywhere resolves (a v1 body of the same class name must not stand in)
    for ref in re.findall(r'"\$ref":\s*"([^"]+)"', response.text):
        assert ref.removeprefix(prefix) in schemas, ref
    columns = schemas["ColumnSpecIn"]["properties"]
    assert set(columns) == {"ColumnName", "ColumnDataTypeId", "ColumnLength"}
    values = paths["/api/v3/custom-tables/{table_name}/rows/values"]["get"]
    assert {"Top", "Skip", "OrderBy", "Format", "Where", "After", "Count"} <= {
        p["name"] for p in values["parameters"]
    }
    assert {"Link", "X-Total-Count"} <= set(values["responses"]["200"]["headers"])
    export = paths["/api/v3/custom-tables/{table_name}/export"]["get"]
    assert "Where" in {p["name"] for p in export["parameters"]}
    row_params = paths["/api/v3/custom-tables/{table_name}/row"]["get"]["parameters"]
    assert "KeyValue" in {p["name"] for p in row_params}


def test_openapi_documents_the_access_token(api: Api) -> None:
    document = api.client.get("/schema/openapi.json").json()
    schemes = document["components"].get("securitySchemes", {})
    assert any(
        s.get("type") == "apiKey" and s.get("in") == "header" and s.get("name") == "X-AccessToken"
        for s in schemes.values()
    ), schemes
    operation = document["paths"]["/api/v3/custom-tables"]["get"]
    assert operation.get("security") or document.get("security")
