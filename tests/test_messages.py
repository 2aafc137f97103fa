"""Error messages in the user's words (issue 17), over HTTP on every backend: type names as
SPEC §3 spells them, a body of the wrong shape named by field and type in plain words ("not
valid JSON" only for text that is not JSON), row numbers that say they count from 0, and HEAD
answered like GET on GET routes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Api
from tests.live import live_server
from tests.support import assert_error, column, create_table, row, upsert, upsert_ok

# msgspec's own notation, which must not reach a client: `$.x`, backticks, `array[object]`,
# and its type names (`str`, `int | null`).
MSGSPEC_NOTATION = re.compile(r"\$\.|`|\[object\]|\bstr\b|\bint\b|\| null|Expected ")


def plain(message: str) -> str:
    assert not MSGSPEC_NOTATION.search(message), message
    return message


# --- type names --------------------------------------------------------------------------


def test_type_names_are_spelled_as_in_the_spec(api: Api) -> None:
    response = api.post("custom-tables/T", json={"KeyColumnName": "K", "KeyDataTypeId": 0})
    message = assert_error(response, 400, "KeyDataTypeId 0 cannot be a key")
    assert "9 (UniqueIdentifier)" in message
    assert "11 (VarcharOther)" in message
    assert "Varcharother" not in message
    assert "Uniqueidentifier" not in message

    create_table(api, "Keyed", key="Oid", key_type=9, columns=[column("Code", 11, 20)])
    changed = api.post("custom-tables/Keyed", json={"KeyColumnName": "Oid", "KeyDataTypeId": 3})
    assert_error(changed, 409, "is UniqueIdentifier (9); its type never changes")
    retyped = api.post(
        "custom-tables/Keyed",
        json={"KeyColumnName": "Oid", "KeyDataTypeId": 9, "Columns": [column("Code", 7)]},
    )
    assert_error(retyped, 409, "Column 'Code' of custom table 'Keyed' is VarcharOther (11)")

    wrong_key = row("a1b2c3d4-0000-0000-0000-000000000001", Code="x")
    wrong_key["KeyDataTypeId"] = 3
    assert_error(upsert(api, "Keyed", [wrong_key]), 400, "type 9 (UniqueIdentifier)")


# --- bodies of the wrong shape -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"KeyColumnName": "Oid", "Columns": {"Name": 6}},
            "Field 'Columns': expected a list, got an object",
        ),
        ({"KeyColumnName": 5}, "Field 'KeyColumnName': expected a string or null, got an integer"),
        (
            {"KeyColumnName": "K", "Columns": [{"ColumnName": "A", "ColumnDataTypeId": "six"}]},
            "Field 'Columns[0].ColumnDataTypeId': expected an integer, got a string",
        ),
        (
            {"KeyColumnName": "K", "Columns": [{"ColumnDataTypeId": 6}]},
            "Field 'Columns[0].ColumnName' is required",
        ),
        ([{"KeyColumnName": "K"}], "The body: expected an object, got a list"),
    ],
)
def test_valid_json_of_the_wrong_shape_names_the_field(
    api: Api, body: object, expected: str
) -> None:
    message = assert_error(api.post("custom-tables/T", json=body), 400, expected)
    assert "not valid JSON" not in plain(message)
    assert api.get("custom-tables/T").status_code == 404  # nothing was written


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("PUT", "custom-tables/P/rows", {"OperationType": [1]}, "Field 'OperationType'"),
        (
            "PUT",
            "custom-tables/P/rows",
            {"OperationType": "UpsertMany", "UpsertManyModel": {"KeyValue": 1}},
            "Field 'UpsertManyModel': expected a list or null, got an object",
        ),
        (
            "DELETE",
            "custom-tables/P/rows",
            {"OperationType": "DeleteMany", "DeleteManyModel": {}},
            "Field 'DeleteManyModel.KeyValues' is required",
        ),
        ("POST", "access-tokens", {"User": 1}, "Field 'User': expected a string, got an integer"),
        ("PUT", "custom-table-definitions/x", {"ReadRoles": [1]}, "Field 'ReadRoles[0]'"),
    ],
)
def test_every_json_route_names_the_field(
    api: Api, method: str, path: str, body: object, expected: str
) -> None:
    create_table(api, "P", columns=[column("N", 3)])
    response = api.request(method, path, json=body)
    assert "not valid JSON" not in plain(assert_error(response, 400, expected))


@pytest.mark.parametrize("text", [b"{bad", b"[1, 2", b'{"KeyColumnName": 5'])
def test_only_text_that_is_not_json_is_called_not_valid_json(api: Api, text: bytes) -> None:
    response = api.post(
        "custom-tables/T", content=text, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "The body is not valid JSON")


def test_query_parameters_of_the_wrong_type_are_named_plainly(api: Api) -> None:
    create_table(api, "P", columns=[column("N", 3)])
    response = api.get("custom-tables/P/rows/values", params={"Top": "ten"})
    assert plain(assert_error(response, 400, "Top: expected an integer")) == (
        "Top: expected an integer, got a string"
    )


def test_an_import_file_table_of_the_wrong_shape_names_the_field(api: Api) -> None:
    file = {"Format": "customtables/v1", "Table": {"KeyColumnName": 5}, "Rows": []}
    response = api.put("custom-tables/Imported/import", json=file)
    assert_error(response, 400, "Field 'Table.KeyColumnName': expected a string or null")
    plain(response.json()["Message"])


# --- rows are numbered from 0, and say so ------------------------------------------------


def test_row_numbers_say_they_count_from_zero(api: Api) -> None:
    create_table(api, "P", columns=[column("Price", 4)])
    rows = [row(1, Price=1), row(2, Price="ten"), row(3, Price=3)]
    message = assert_error(upsert(api, "P", rows), 400)
    assert message == (
        "Row 1, column 'Price': expected a number or numeric string; rows are numbered from 0"
    )
    assert api.get("custom-tables/P").json()["RowCount"] == 0

    bad_key = row(4, Price=1)
    bad_key["KeyColumnName"] = "Other"
    assert_error(
        upsert(api, "P", [row(5, Price=1), bad_key]),
        400,
        "Row 1: KeyColumnName 'Other' is not the key column",
        "rows are numbered from 0",
    )
    file = {
        "Format": "customtables/v1",
        "Table": {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": []},
        "Rows": [{"Id": 1}, 7],
    }
    response = api.put("custom-tables/P/import", json=file)
    assert_error(response, 400, "Row 1: expected an object", "rows are numbered from 0")
    upsert_ok(api, "P", [row(1, Price=1)])


# --- HEAD answers like GET ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "custom-tables/P/export",
        "custom-tables/P/rows/values?Top=1",
        "custom-tables/P",
        "custom-tables",
        "custom-tables/P/row?KeyValue=1",
    ],
)
def test_head_answers_like_get_without_a_body(api: Api, path: str) -> None:
    create_table(api, "P", columns=[column("N", 3)])
    upsert_ok(api, "P", [row(1, N=1), row(2, N=2)])
    get, head = api.get(path), api.request("HEAD", path)
    assert get.status_code == head.status_code == 200, head.text
    assert get.content
    assert head.content == b""
    for name in ("content-type", "content-disposition", "link"):
        assert head.headers.get(name) == get.headers.get(name), name


def test_head_needs_what_get_needs(api: Api) -> None:
    create_table(api, "P", columns=[column("N", 3)])
    anonymous = api.client.head("/api/v3/custom-tables/P/export")
    assert anonymous.status_code == 401
    assert anonymous.content == b""
    assert api.request("HEAD", "custom-tables/Missing/export").status_code == 404
    refused = api.request("HEAD", "custom-tables/P/rows")  # a route with no GET
    assert refused.status_code == 405
    assert "GET" not in refused.headers["allow"]
    wrong = api.request("POST", "custom-tables/P/row")
    assert_error(wrong, 405, "Method POST is not allowed")


def test_head_of_exports_leaves_no_heavy_work_behind(api: Api) -> None:
    """An export is heavy work (4 at once per tenant): HEADs must give their share back."""
    create_table(api, "P", columns=[column("N", 3)])
    upsert_ok(api, "P", [row(n, N=n) for n in range(1, 201)])
    for _ in range(10):
        assert api.request("HEAD", "custom-tables/P/export").status_code == 200
    export = api.get("custom-tables/P/export")
    assert export.status_code == 200
    assert len(export.json()["Rows"]) == 200


def test_head_on_a_live_server_keeps_the_connection_clean(data_env: dict[str, str]) -> None:
    """Through uvicorn: HEAD of a streamed export sends headers only, the next request on the
    same connection is answered whole, and the access log names the method the client sent."""
    with live_server(data_env) as server:
        assert server.first_token
        headers = {"X-AccessToken": server.first_token}
        with httpx.Client(base_url=f"{server.base_url}/api/v3", headers=headers) as http:
            body = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": [column("N", 3)]}
            assert http.post("/custom-tables/P", json=body).status_code == 201
            rows = [row(n, N=n) for n in range(1, 2001)]
            write = {"OperationType": "UpsertMany", "UpsertManyModel": rows}
            assert http.put("/custom-tables/P/rows", json=write).status_code == 200
            for _ in range(3):
                head = http.head("/custom-tables/P/export")
                assert head.status_code == 200
                assert head.content == b""
                assert head.headers["content-disposition"] == 'attachment; filename="P.json"'
                export = http.get("/custom-tables/P/export")
                assert export.status_code == 200
                assert len(export.json()["Rows"]) == 2000
        log = server.log.read_text()
    assert "HEAD /api/v3/custom-tables/P/export 200" in log
