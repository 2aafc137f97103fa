"""Export and import (SPEC §4): round trips between tenants, exact types, all-or-nothing imports,
replace mode, role rules, multipart uploads and the upload-size limit."""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.tenancy import Tenancy
from tests.conftest import PRODUCT_CATALOG, Api, Backend, TenantCtx
from tests.support import upsert_rows as upsert
from tests.v1_support import BOTH, ok, raw_json, v1_api

ALL_TYPES = {
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Flag", "ColumnDataTypeId": 0},
        {"ColumnName": "When", "ColumnDataTypeId": 1},
        {"ColumnName": "Ratio", "ColumnDataTypeId": 2},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "Short", "ColumnDataTypeId": 5},
        {"ColumnName": "Mid", "ColumnDataTypeId": 6},
        {"ColumnName": "Long", "ColumnDataTypeId": 7},
        {"ColumnName": "Body", "ColumnDataTypeId": 8},
        {"ColumnName": "Ref", "ColumnDataTypeId": 9},
        {"ColumnName": "Wide", "ColumnDataTypeId": 10},
        {"ColumnName": "Code", "ColumnDataTypeId": 11, "ColumnLength": 12},
        {"ColumnName": "Blob", "ColumnDataTypeId": 12},
    ],
}


def flat_rows(api: Api, table: str) -> list[dict[str, Any]]:
    response = api.get(f"custom-tables/{table}/rows/values", params={"Format": "flat"})
    assert response.status_code == 200, response.text
    return response.json()


def import_file(api: Api, table: str, file: bytes | dict[str, Any], **params: str) -> Any:
    content = file if isinstance(file, bytes) else json.dumps(file).encode()
    return api.put(
        f"custom-tables/{table}/import",
        content=content,
        params=params,
        headers={"Content-Type": "application/json"},
    )


def product_file(count: int, *, start: int = 0, name: str = "ProductCatalog") -> dict[str, Any]:
    return {
        "Format": "customtables/v1",
        "Table": {"TableName": name, **copy.deepcopy(PRODUCT_CATALOG)},
        "Rows": [
            {
                "Oid": str(uuid.UUID(int=i + 1)),
                "Name": f"Product {i}",
                "Price": 29.99,
                "IsActive": i % 2 == 0,
            }
            for i in range(start, start + count)
        ],
    }


def test_export_then_import_into_another_tenant_gives_identical_rows(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    api = tenant.admin
    assert api.post("custom-tables/Everything", json=ALL_TYPES).status_code == 201
    rows = [
        {
            "Oid": "{B2C3D4E5-0000-0000-0000-00000000000A}",
            "Flag": True,
            "When": "2026-01-15T10:00:00+02:00",
            "Ratio": 0.1,
            "Qty": 9007199254740993,
            "Price": 39.99,
            "Short": "s",
            "Mid": "m" * 100,
            "Long": "long ✓ text",
            "Body": "line\nbreak",
            "Ref": "A1B2C3D4-0000-0000-0000-000000000001",
            "Wide": "w",
            "Code": "ABC",
            "Blob": "AAEC/w==",
        },
        {"Oid": "a1b2c3d4-0000-0000-0000-000000000001", "Price": "99999999999999.9999"},
        {"Oid": "00000000-0000-0000-0000-000000000002", "Price": 0.5, "Qty": -1},
    ]
    upsert(api, "Everything", rows)

    response = api.get("custom-tables/Everything/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="Everything.json"'
    assert response.headers["content-type"].startswith("application/json")
    body = response.content
    # Money exact as JSON numbers, UUIDs normalised, binary as base64, dates in UTC.
    assert b'"Price":39.99,' in body
    assert b'"Price":99999999999999.9999' in body
    assert b'"Qty":9007199254740993' in body
    exported = json.loads(body)
    assert exported["Format"] == "customtables/v1"
    assert exported["Table"] == {"TableName": "Everything", **ALL_TYPES}
    keys = [row["Oid"] for row in exported["Rows"]]
    assert keys == sorted(keys)
    first = next(r for r in exported["Rows"] if r["Oid"].endswith("00a"))
    assert first["Oid"] == "b2c3d4e5-0000-0000-0000-00000000000a"
    assert first["Ref"] == "a1b2c3d4-0000-0000-0000-000000000001"
    assert first["When"] == "2026-01-15T08:00:00Z"
    assert first["Blob"] == "AAEC/w=="
    assert first["Code"] == "ABC"

    other = other_tenant.admin
    imported = import_file(other, "Everything", body)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "Created": True,
        "ColumnsAdded": [c["ColumnName"] for c in ALL_TYPES["Columns"]],
        "Inserted": 3,
        "Updated": 0,
        "Deleted": 0,
    }
    assert flat_rows(other, "Everything") == flat_rows(api, "Everything")
    definition = other.get("custom-tables/Everything").json()
    assert definition["Columns"] == ALL_TYPES["Columns"]
    assert definition["RowCount"] == 3
    # And the second export is byte for byte the first.
    assert other.get("custom-tables/Everything/export").content == body


def test_export_of_an_empty_table_and_of_a_missing_one(api: Api, products: str) -> None:
    exported = api.get(f"custom-tables/{products}/export")
    assert exported.status_code == 200
    assert exported.json()["Rows"] == []
    missing = api.get("custom-tables/Nope/export")
    assert missing.status_code == 404
    assert missing.json()["Code"] == "NOT_FOUND"


def test_export_needs_the_read_role(tenant: TenantCtx, products: str) -> None:
    table = tenant.admin.get(f"custom-tables/{products}").json()
    roles = {"ReadRoles": ["Readers"], "SaveRoles": ["Writers"]}
    set_roles = tenant.admin.put(f"custom-table-definitions/{table['Id']}", json=roles)
    assert set_roles.status_code == 200
    assert tenant.api("Writers").get(f"custom-tables/{products}/export").status_code == 403
    assert tenant.api("Readers").get(f"custom-tables/{products}/export").status_code == 200


def test_import_upserts_into_an_existing_table_and_adds_columns(api: Api, products: str) -> None:
    upsert(api, products, [{"Oid": str(uuid.UUID(int=1)), "Name": "old", "Price": 1}])
    upsert(api, products, [{"Oid": str(uuid.UUID(int=99)), "Name": "kept", "Price": 2}])
    file = product_file(3)
    file["Table"]["Columns"].append({"ColumnName": "Stock", "ColumnDataTypeId": 3})
    file["Rows"][2]["Stock"] = 7
    response = import_file(api, products, file)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Created": False,
        "ColumnsAdded": ["Stock"],
        "Inserted": 2,
        "Updated": 1,
        "Deleted": 0,
    }
    rows = {row["Oid"]: row for row in flat_rows(api, products)}
    assert len(rows) == 4
    assert rows[str(uuid.UUID(int=1))]["Name"] == "Product 0"
    assert rows[str(uuid.UUID(int=3))]["Stock"] == 7
    assert rows[str(uuid.UUID(int=99))]["Name"] == "kept"


def test_replace_mode_deletes_the_old_rows_first(api: Api, products: str) -> None:
    upsert(api, products, [{"Oid": str(uuid.UUID(int=500 + i)), "Name": "old"} for i in range(5)])
    response = import_file(api, products, product_file(2), Mode="REPLACE")
    assert response.status_code == 200, response.text
    assert response.json()["Deleted"] == 5
    assert response.json()["Inserted"] == 2
    assert [row["Name"] for row in flat_rows(api, products)] == ["Product 0", "Product 1"]
    assert import_file(api, products, product_file(1), Mode="merge").status_code == 400


def test_the_route_name_wins_and_multipart_uploads_work(api: Api) -> None:
    file = json.dumps(product_file(4, name="SomethingElse")).encode()
    response = api.put(
        "custom-tables/Renamed/import",
        files={"file": ("export.json", file, "application/json")},
        data={"note": "ignored"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["Inserted"] == 4
    assert api.get("custom-tables/Renamed").json()["RowCount"] == 4
    assert api.get("custom-tables/SomethingElse").status_code == 404
    without = api.put("custom-tables/Renamed/import", files={"other": ("x.json", file)})
    assert without.status_code == 400
    assert "'file'" in without.json()["Message"]


def _state(api: Api, table: str) -> tuple[Any, Any]:
    definition = api.get(f"custom-tables/{table}").json()
    return definition, flat_rows(api, table)


def test_a_bad_row_after_fifty_thousand_good_ones_writes_nothing(api: Api, products: str) -> None:
    upsert(api, products, [{"Oid": str(uuid.UUID(int=1)), "Name": "before", "Price": 5}])
    before = _state(api, products)
    file = product_file(50_000)
    file["Table"]["Columns"].append({"ColumnName": "Extra", "ColumnDataTypeId": 6})
    file["Rows"].append({"Oid": str(uuid.uuid4()), "Name": "bad", "Price": "not money"})
    response = import_file(api, products, file, Mode="replace")
    assert response.status_code == 400, response.text
    message = response.json()["Message"]
    assert "Row 50000" in message
    assert "'Price'" in message
    assert _state(api, products) == before  # rows, columns (no Extra) and version unchanged


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({"Oid": "not-a-uuid", "Name": "x"}, "'Oid'"),
        ({"Oid": str(uuid.UUID(int=7)), "Name": "x" * 101}, "'Name'"),
        ({"Oid": str(uuid.UUID(int=7)), "IsActive": "maybe"}, "'IsActive'"),
        ({"Oid": str(uuid.UUID(int=7)), "Unknown": 1}, "'Unknown'"),
        ({"Oid": str(uuid.UUID(int=7)), "Name": "a", "name": "b"}, "'Name'"),
        ("not an object", "Row 3"),
    ],
)
def test_wrong_types_reject_the_whole_file(api: Api, products: str, row: Any, where: str) -> None:
    before = _state(api, products)
    file = product_file(3)
    file["Rows"].append(row)
    response = import_file(api, products, file)
    assert response.status_code == 400, response.text
    assert where in response.json()["Message"]
    assert _state(api, products) == before


def test_a_truncated_file_writes_nothing(api: Api) -> None:
    body = json.dumps(product_file(20_000)).encode()
    for cut in (len(body) // 2, len(body) - 1, 40):
        response = import_file(api, "Truncated", body[:cut])
        assert response.status_code == 400, response.text
        assert "not valid JSON" in response.json()["Message"]
        assert api.get("custom-tables/Truncated").status_code == 404
    assert import_file(api, "Truncated", body + b" {}").status_code == 400
    assert api.get("custom-tables/Truncated").status_code == 404


def test_type_clashes_with_the_existing_table_are_conflicts(api: Api, products: str) -> None:
    before = _state(api, products)
    clash = product_file(2)
    clash["Table"]["Columns"][1] = {"ColumnName": "Price", "ColumnDataTypeId": 2}
    assert import_file(api, products, clash).status_code == 409
    key = product_file(2)
    key["Table"]["KeyDataTypeId"] = 3
    assert import_file(api, products, key).status_code == 409
    assert _state(api, products) == before


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"Format": "other/v9", "Rows": []}',
        b'{"Table": {"KeyColumnName": "Id", "KeyDataTypeId": 7}, "Rows": []}',
        b'{"Table": {"KeyColumnName": "Id"}, "Rows": {}}',
        b"",
    ],
)
def test_malformed_files_are_400(api: Api, body: bytes) -> None:
    response = import_file(api, "Malformed", body)
    assert response.status_code == 400, response.text
    assert api.get("custom-tables/Malformed").status_code == 404


def test_a_file_without_a_table_imports_into_an_existing_one_only(api: Api, products: str) -> None:
    rows = product_file(2)["Rows"]
    response = import_file(api, products, {"Rows": rows})
    assert response.status_code == 200, response.text
    assert response.json()["Inserted"] == 2
    missing = import_file(api, "Missing", {"Rows": rows})
    assert missing.status_code == 404


def test_table_after_rows_is_still_read(api: Api) -> None:
    file = product_file(3)
    reordered = {"Rows": file["Rows"], "Format": file["Format"], "Table": file["Table"]}
    response = import_file(api, "Reordered", reordered)
    assert response.status_code == 200, response.text
    assert response.json()["Inserted"] == 3


def test_roles_of_imports(tenant: TenantCtx, products: str) -> None:
    saver = tenant.api("Writers")
    # Without Admin, a missing table: 403 and nothing created, nothing logged.
    response = import_file(saver, "NewTable", product_file(2))
    assert response.status_code == 403, response.text
    assert tenant.admin.get("custom-tables/NewTable").status_code == 404
    events = tenant.admin.get("audit-logs", params={"TableName": "NewTable"}).json()
    assert events == []
    # Rows into an existing table need its save role only.
    table = tenant.admin.get(f"custom-tables/{products}").json()
    roles = {"SaveRoles": ["Writers"]}
    set_roles = tenant.admin.put(f"custom-table-definitions/{table['Id']}", json=roles)
    assert set_roles.status_code == 200
    assert import_file(tenant.api("Readers"), products, product_file(1)).status_code == 403
    assert import_file(saver, products, product_file(2)).status_code == 200
    # Adding a column needs Admin.
    wider = product_file(1)
    wider["Table"]["Columns"].append({"ColumnName": "Stock", "ColumnDataTypeId": 3})
    assert import_file(saver, products, wider).status_code == 403
    assert tenant.admin.get(f"custom-tables/{products}").json()["RowCount"] == 2


def test_uploads_over_the_size_setting_are_413(backend: Backend, tenant: TenantCtx) -> None:
    settings = dataclasses.replace(backend.settings, max_upload_bytes=2_000)
    small = Tenancy(settings)
    try:
        app = create_app(settings, small)
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client, tenant.admin.token)
            big = json.dumps(product_file(50)).encode()
            assert len(big) > 2_000
            response = import_file(api, "TooBig", big)
            assert response.status_code == 413, response.text
            assert response.json()["Code"] == "PAYLOAD_TOO_LARGE"
            chunked = api.put(
                "custom-tables/TooBig/import",
                content=iter([big[:1000], big[1000:]]),  # no Content-Length: counted as it comes
            )
            assert chunked.status_code == 413, chunked.text
            assert import_file(api, "Small", product_file(2)).status_code == 200
        assert tenant.admin.get("custom-tables/TooBig").status_code == 404
    finally:
        small.dispose()


def test_imports_are_not_limited_to_one_batch(backend: Backend, tenant: TenantCtx) -> None:
    settings = dataclasses.replace(backend.settings, max_batch_rows=10)
    limited = Tenancy(settings)
    try:
        with TestClient(create_app(settings, limited), raise_server_exceptions=False) as client:
            api = Api(client, tenant.admin.token)
            response = import_file(api, "Many", product_file(25))
            assert response.status_code == 200, response.text
            assert response.json()["Inserted"] == 25
    finally:
        limited.dispose()


def _not_utf8_cases() -> list[Any]:
    """(file, offset of its first byte that is not UTF-8): in a row's value, in a key, before
    the JSON, and a UTF-16 surrogate encoded as UTF-8 (which the parser let through)."""
    body = json.dumps(product_file(3)).encode()
    cases = [b'"Pro\xff\xfeduct 1"', b'"Pro\xed\xa0\x80duct 1"']
    files = [body.replace(b'"Product 1"', case) for case in cases]
    files += [body.replace(b'"Price"', b'"Pr\xc0\xafice"'), b"\xff\xfe" + body]
    names = ["in-a-value", "encoded-surrogate", "in-a-key", "before-the-json"]
    return [
        pytest.param(file, next(i for i, b in enumerate(file) if b >= 0x80), id=name)
        for file, name in zip(files, names, strict=True)
    ]


@pytest.mark.parametrize(("file", "offset"), _not_utf8_cases())
def test_a_file_that_is_not_utf8_is_named_so_without_quoting_it(
    api: Api, products: str, file: bytes, offset: int
) -> None:
    before = _state(api, products)
    for table in (products, "NotUtf8"):
        response = import_file(api, table, file)
        assert response.status_code == 400, response.text
        assert response.json() == {
            "Code": "VALIDATION_ERROR",
            "Message": f"The file is not valid UTF-8 (byte {offset}, counted from 0)",
        }
    assert _state(api, products) == before
    assert api.get("custom-tables/NotUtf8").status_code == 404


def test_a_file_that_is_not_json_is_not_quoted_back(api: Api) -> None:
    body = json.dumps(product_file(3)).encode().replace(b'"Product 1"', b'"Product 1" secret')
    for file in (body, body[:-5], b"secret"):
        response = import_file(api, "NotJson", file)
        assert response.status_code == 400, response.text
        assert response.json()["Message"] == "The file is not valid JSON or is incomplete"
    assert api.get("custom-tables/NotJson").status_code == 404


LONE_HALF = "expected a string of Unicode characters ({}, half of a UTF-16 surrogate pair "
LONE_HALF += "without its other half); rows are numbered from 0"


@pytest.mark.parametrize(
    ("escape", "named"),
    [
        (b"\\ud800", "\\ud800"),
        (b"\\udc00", "\\udc00"),  # was a 500: yajl hands Python bytes that are not UTF-8
        (b"\\ud800\\ud800", "\\ud800"),  # yajl made one wrong character of the two
        (b"\\ud83d\\u0041", "\\ud83d"),
    ],
)
def test_a_lone_surrogate_escape_is_refused_on_every_write_path(
    tenant: TenantCtx, products: str, escape: bytes, named: str
) -> None:
    api = tenant.admin
    before = _state(api, products)
    file = json.dumps(product_file(3)).encode().replace(b'"Product 1"', b'"P' + escape + b'"')
    for table in (products, "Lone"):
        response = import_file(api, table, file)
        assert response.status_code == 400, response.text
        message = response.json()["Message"]
        assert message == "Row 1, column 'Name': " + LONE_HALF.format(named)
    assert _state(api, products) == before
    assert api.get("custom-tables/Lone").status_code == 404
    # A pair and an escaped backslash before `u` are text, not a lone half.
    fine = file.replace(escape, b"\\ud83d\\ude00\\\\ud800")
    assert import_file(api, "Lone", fine).status_code == 200
    assert flat_rows(api, "Lone")[1]["Name"] == "P\U0001f600\\ud800"

    # The other write paths refuse the same string (their decoder does) and store nothing.
    value = b'"P' + escape + b'"'
    write = json.dumps(
        {
            "OperationType": "UpsertMany",
            "UpsertManyModel": [
                {
                    "KeyValue": str(uuid.UUID(int=9)),
                    "Columns": [{"ColumnName": "Name", "Value": "X"}],
                }
            ],
        }
    ).encode()
    response = api.put(
        f"custom-tables/{products}/rows",
        content=write.replace(b'"X"', value),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert _state(api, products) == before
    v1 = v1_api(tenant, *BOTH)
    table_id = ok(v1.post("/api/v1/tables", json={"name": "Lone"}), 201)["id"]
    response = v1.post(
        f"/api/v1/tables/{table_id}/rows",
        **raw_json('{"data": {"a": "X"}}'.replace('"X"', value.decode())),
    )
    assert response.status_code == 400, response.text
    assert ok(v1.get(f"/api/v1/tables/{table_id}/rows")) == []
