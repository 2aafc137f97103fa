"""CSV (SPEC §10) through HTTP on every backend: round trips of every type id, quoting, line
breaks inside fields, BOM, NULL vs the empty string, errors naming the line and column with
nothing written, type inference, `Accept: text/csv`, saved queries answering CSV."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import pytest

from ddl.formats import csv_read
from tests.conftest import Api, TenantCtx
from tests.support import LEAKS
from tests.support import upsert_rows as upsert
from tests.test_exchange import ALL_TYPES, flat_rows

CSV_TYPE = "text/csv; charset=utf-8"
ALL_TYPES_PARAM = ",".join(
    f"{c['ColumnName']}:{c['ColumnDataTypeId']}"
    + (f"({c['ColumnLength']})" if "ColumnLength" in c else "")
    for c in ALL_TYPES["Columns"]
)

EVERY_VALUE = {
    "Oid": "b2c3d4e5-0000-0000-0000-00000000000a",
    "Flag": True,
    "When": "2026-01-15T10:00:00+02:00",
    "Ratio": 0.1,
    "Qty": 9007199254740993,
    "Price": 39.99,
    "Short": 'say "hi", then go',
    "Mid": "m" * 100,
    "Long": "long ✓ text\r\nwith a CRLF",
    "Body": "line\nbreak",
    "Ref": "A1B2C3D4-0000-0000-0000-000000000001",
    "Wide": "",
    "Code": "ABC",
    "Blob": "AAEC/w==",
}


def import_csv(api: Api, table: str, text: str | bytes, **params: str) -> Any:
    body = text.encode() if isinstance(text, str) else text
    return api.put(
        f"custom-tables/{table}/import",
        content=body,
        params=params,
        headers={"Content-Type": "text/csv"},
    )


def error_of(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Code", "Message"}
    assert not LEAKS.search(body["Message"]), body["Message"]
    return str(body["Message"])


def records(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_round_trip_of_every_type_into_a_new_table(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    api = tenant.admin
    assert api.post("custom-tables/Everything", json=ALL_TYPES).status_code == 201
    nulls = {"Oid": "00000000-0000-0000-0000-000000000002", "Price": "99999999999999.9999"}
    upsert(api, "Everything", [EVERY_VALUE, nulls, {"Oid": str(uuid.UUID(int=3)), "Qty": -1}])

    exported = api.get("custom-tables/Everything/export", params={"Format": "csv"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == CSV_TYPE
    assert exported.headers["content-disposition"] == 'attachment; filename="Everything.csv"'
    body = exported.content
    lines = body.split(b"\r\n")
    assert lines[0] == b"Oid," + b",".join(c["ColumnName"].encode() for c in ALL_TYPES["Columns"])
    assert lines[-1] == b""  # every record ends with CRLF
    # NULL is an empty unquoted field, the empty string is "", Money exact, quotes doubled.
    assert b"\r\n00000000-0000-0000-0000-000000000002,,,,,99999999999999.9999,,,,,,,,\r\n" in body
    assert b',"say ""hi"", then go",' in body
    assert b",0.1,9007199254740993,39.99," in body
    assert b",true,2026-01-15T08:00:00Z," in body
    assert b',a1b2c3d4-0000-0000-0000-000000000001,"",ABC,AAEC/w==\r\n' in body
    assert records(body)[-1][8] == "long ✓ text\r\nwith a CRLF"  # key order: b2c3… is last

    other = other_tenant.admin
    imported = import_csv(other, "Everything", body, KeyColumnName="Oid", Types=ALL_TYPES_PARAM)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "Created": True,
        "ColumnsAdded": [c["ColumnName"] for c in ALL_TYPES["Columns"]],
        "Inserted": 3,
        "Updated": 0,
        "Deleted": 0,
    }
    definition = other.get("custom-tables/Everything").json()
    assert definition["KeyDataTypeId"] == 9
    assert definition["Columns"] == ALL_TYPES["Columns"]
    assert flat_rows(other, "Everything") == flat_rows(api, "Everything")
    again = other.get("custom-tables/Everything/export", headers={"Accept": "text/csv"})
    assert again.content == body


def test_import_into_an_existing_table_upserts_and_replaces(api: Api, products: str) -> None:
    first = str(uuid.UUID(int=1))
    upsert(api, products, [{"Oid": first, "Name": "old", "Price": 1}])
    text = f"Oid,Name,Price,IsActive\n{first},new,2.5,TRUE\n,generated,,0\n"
    response = import_csv(api, products, text)
    assert response.status_code == 200, response.text
    assert response.json()["Inserted"] == 1
    assert response.json()["Updated"] == 1
    rows = {row["Name"]: row for row in flat_rows(api, products)}
    assert rows["new"] == {"Oid": first, "Name": "new", "Price": 2.5, "IsActive": True}
    assert rows["generated"]["Price"] is None
    assert rows["generated"]["IsActive"] is False
    uuid.UUID(rows["generated"]["Oid"])  # a UniqueIdentifier key left empty gets a new one

    replaced = import_csv(api, products, "Name,Oid\nonly," + first + "\n", Mode="replace")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["Deleted"] == 2
    assert flat_rows(api, products) == [
        {"Oid": first, "Name": "only", "Price": None, "IsActive": None}
    ]


def test_quotes_line_breaks_bom_null_and_empty_string(api: Api) -> None:
    text = (
        "\ufeffId,Name,Note\r\n"
        '1,"He said ""yes""","a, b"\r\n'
        '2,"three\r\nphysical\nlines",\r\n'
        '3,"",\r\n'
        "\r\n"  # a blank line is skipped
        '4,,""\r\n'
    )
    response = import_csv(api, "Notes", text, KeyColumnName="Id", Types="Id:3,Name:6,Note:7")
    assert response.status_code == 200, response.text
    assert response.json()["Inserted"] == 4
    assert flat_rows(api, "Notes") == [
        {"Id": 1, "Name": 'He said "yes"', "Note": "a, b"},
        {"Id": 2, "Name": "three\r\nphysical\nlines", "Note": None},
        {"Id": 3, "Name": "", "Note": None},
        {"Id": 4, "Name": None, "Note": ""},
    ]
    out = api.get("custom-tables/Notes/rows/values", params={"Format": "csv"})
    assert out.status_code == 200
    assert out.headers["content-type"] == CSV_TYPE
    assert "content-disposition" not in out.headers
    assert out.content == (
        b'Id,Name,Note\r\n1,"He said ""yes""","a, b"\r\n'
        b'2,"three\r\nphysical\nlines",\r\n3,"",\r\n4,,""\r\n'
    )


def test_multipart_csv_file(api: Api) -> None:
    text = b"Code,Qty\nA-1,5\nB-2,7\n"
    response = api.put(
        "custom-tables/Stock/import",
        params={"KeyColumnName": "Code"},
        files={"file": ("stock.csv", text, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    assert flat_rows(api, "Stock") == [{"Code": "A-1", "Qty": 5}, {"Code": "B-2", "Qty": 7}]
    as_csv = api.put(
        "custom-tables/Stock/import",
        files={"file": ("stock.txt", b"Code,Qty\nC-3,1\n", "text/csv")},
    )
    assert as_csv.status_code == 200, as_csv.text
    assert api.get("custom-tables/Stock").json()["RowCount"] == 3


def test_types_are_inferred_from_the_data(api: Api) -> None:
    text = (
        "Sku,Flag,Qty,Price,Ratio,When,Ref,Short,Mid,Wide,Long,Zip,Empty\n"
        f"10,true,1,1.5,1e3,2026-01-15,{uuid.UUID(int=1)},a,{'m' * 60},{'w' * 150},"
        f"{'l' * 201},01234,\n"
        f"11,FALSE,-20,2,0.123456,2026-01-15T10:00:00Z,{uuid.UUID(int=2)},b,m,w,l,99999,\n"
    )
    response = import_csv(api, "Inferred", text, KeyColumnName="Sku", Types="Short:10")
    assert response.status_code == 200, response.text
    definition = api.get("custom-tables/Inferred").json()
    assert definition["KeyColumnName"] == "Sku"
    assert definition["KeyDataTypeId"] == 3
    types = {c["ColumnName"]: c["ColumnDataTypeId"] for c in definition["Columns"]}
    assert types == {
        "Flag": 0,
        "Qty": 3,
        "Price": 4,
        "Ratio": 2,
        "When": 1,
        "Ref": 9,
        "Short": 10,  # given
        "Mid": 6,
        "Wide": 10,
        "Long": 7,
        "Zip": 5,  # a leading zero keeps it text
        "Empty": 7,
    }
    rows = flat_rows(api, "Inferred")
    assert rows[0]["Zip"] == "01234"
    assert rows[0]["Price"] == 1.5
    assert rows[1]["When"] == "2026-01-15T10:00:00Z"
    assert rows[1]["Empty"] is None

    # A key of long text becomes VarcharOther of that length.
    long_keys = f"Name,N\n{'k' * 300},1\n{'j' * 20},2\n"
    keyed = import_csv(api, "LongKeys", long_keys, KeyColumnName="Name")
    assert keyed.status_code == 200, keyed.text
    assert api.get("custom-tables/LongKeys").json()["KeyDataTypeId"] == 11
    assert api.get("custom-tables/LongKeys").json()["KeyColumnLength"] == 300


def test_bad_lines_name_the_line_and_column_and_write_nothing(api: Api, products: str) -> None:
    kept = str(uuid.UUID(int=7))
    upsert(api, products, [{"Oid": kept, "Name": "kept", "Price": 3}])
    good = [f"{uuid.UUID(int=100 + i)},Product {i},{i}.5" for i in range(30)]
    multiline = f'{uuid.UUID(int=200)},"two\nlines",1'
    cases = {
        # header, 30 good lines (2..31), a two-line record (32-33), then the bad one at 34
        "Line 34, column 'Price': expected a number": f"{uuid.UUID(int=300)},x,lots",
        "Line 34: 2 fields where the header has 3": f"{uuid.UUID(int=300)},x",
        "Line 34, column 'Name': expected a string of at most 100": f"{kept},{'n' * 101},1",
        "Line 34, column 'Oid': expected a UUID": "not-a-uuid,x,1",
        "Line 34: not valid CSV": f'{uuid.UUID(int=300)},"x"y,1',
    }
    for expected, bad in cases.items():
        text = "\n".join(["Oid,Name,Price", *good, multiline, bad, *good[:3]]) + "\n"
        message = error_of(import_csv(api, products, text, Mode="replace"))
        assert message.startswith(expected), (expected, message)
    unterminated = "Oid,Name,Price\n" + good[0] + "\n" + f'{uuid.UUID(int=9)},"open,1\n'
    assert error_of(import_csv(api, products, unterminated)).startswith("Line 3: not valid CSV")
    not_utf8 = b"Oid,Name,Price\n" + good[0].encode() + b"\n" + b"x,\xff\xfe,1\n"
    assert error_of(import_csv(api, products, not_utf8)).startswith("Line 3: ")
    assert flat_rows(api, products) == [{"Oid": kept, "Name": "kept", "Price": 3, "IsActive": None}]

    # Header and parameter problems; a new table is not created.
    new = "custom-tables/Fresh"
    header_cases = {
        "Id,id\n1,2\n": "Line 1: the header names column 'id' twice",
        "Id,Bad Name\n1,2\n": "Line 1: the header is not valid",
        "": "The upload is empty",
    }
    for text, expected in header_cases.items():
        assert expected in error_of(import_csv(api, "Fresh", text, KeyColumnName="Id"))
    assert "KeyColumnName is required" in error_of(import_csv(api, "Fresh", "Id\n1\n"))
    missing_key = import_csv(api, "Fresh", "Id\n1\n", KeyColumnName="Nope")
    assert "not a column of the CSV header" in error_of(missing_key)
    for types in ("Id:13", "Id:3,Other:5", "Id", "Id:11", "Id:6(20)"):
        assert "Types" in error_of(
            import_csv(api, "Fresh", "Id\n1\n", KeyColumnName="Id", Types=types)
        )
    bad_key_type = import_csv(api, "Fresh", "Id\ntrue\n", KeyColumnName="Id", Types="Id:0")
    assert "cannot be a key" in error_of(bad_key_type)
    assert api.get(new).status_code == 404


def test_import_rights_and_existing_definitions(tenant: TenantCtx, products: str) -> None:
    table = tenant.admin.get(f"custom-tables/{products}").json()
    roles = {"ReadRoles": ["Readers"], "SaveRoles": ["Writers"]}
    assert (
        tenant.admin.put(f"custom-table-definitions/{table['Id']}", json=roles).status_code == 200
    )
    row = f"{uuid.UUID(int=1)},n\n"
    writer, reader = tenant.api("Writers"), tenant.api("Readers")
    assert import_csv(writer, products, "Oid,Name\n" + row).status_code == 200
    assert import_csv(reader, products, "Oid,Name\n" + row).status_code == 403
    # Adding a column needs Admin, also through CSV; a type clash is a 409.
    assert import_csv(writer, products, "Oid,Stock\n" + row).status_code == 403
    clash = import_csv(tenant.admin, products, "Oid,Price\n" + row, Types="Price:3")
    assert "never changes" in error_of(clash, 409)
    other_key = import_csv(tenant.admin, products, "Id,Name\n1,x\n", KeyColumnName="Id")
    assert other_key.status_code in (400, 409)
    added = import_csv(tenant.admin, products, f"Oid,Stock\n{uuid.UUID(int=1)},12\n")
    assert added.status_code == 200, added.text
    assert added.json()["ColumnsAdded"] == ["Stock"]
    assert tenant.admin.get(f"custom-tables/{products}").json()["Columns"][-1] == {
        "ColumnName": "Stock",
        "ColumnDataTypeId": 3,
    }


def test_accept_header_and_format_on_rows_values(api: Api) -> None:
    assert (
        import_csv(api, "Nums", "N,Half\n1,0.5\n2,1\n3,1.5\n", KeyColumnName="N").status_code == 200
    )
    by_accept = api.get(
        "custom-tables/Nums/rows/values",
        params={"OrderBy": "Half desc", "Top": 2},
        headers={"Accept": "text/csv, application/json;q=0.5"},
    )
    assert by_accept.status_code == 200
    assert by_accept.headers["content-type"] == CSV_TYPE
    assert by_accept.content == b"N,Half\r\n3,1.5\r\n2,1\r\n"
    prefers_json = api.get(
        "custom-tables/Nums/rows/values", headers={"Accept": "application/json, text/csv;q=0.5"}
    )
    assert prefers_json.headers["content-type"].startswith("application/json")
    flat_wins = api.get(
        "custom-tables/Nums/rows/values", params={"Format": "flat"}, headers={"Accept": "text/csv"}
    )
    assert flat_wins.json()[0] == {"N": 1, "Half": 0.5}
    assert "Format must be 'flat', 'rows' or 'csv'" in error_of(
        api.get("custom-tables/Nums/rows/values", params={"format": "xml"})
    )
    assert "Format must be 'json' or 'csv'" in error_of(
        api.get("custom-tables/Nums/export", params={"Format": "flat"})
    )
    assert api.get("custom-tables/Missing/rows/values", params={"Format": "csv"}).status_code == 404


def test_saved_query_execute_answers_csv(api: Api) -> None:
    text = 'Id,Name,Price,Active\n1,Apple,1.25,true\n2,"Banana, ripe",0.5,false\n3,,10,\n'
    assert import_csv(api, "Fruit", text, KeyColumnName="Id").status_code == 200
    sql = (
        "SELECT Id, Name, Price, Active, Id * 10 AS Tens FROM [customtables].[Fruit] "
        "WHERE Price >= @min ORDER BY Id"
    )
    body = {
        "Name": "fruit",
        "Namespace": "CustomTable",
        "Sql": sql,
        "Parameters": [{"Name": "min", "DataTypeId": 4, "Default": 0}],
    }
    assert api.post("queries", json=body).status_code == 201, body
    got = api.get("queries/fruit/execute", params={"Format": "csv", "min": "0.5"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == CSV_TYPE
    assert got.headers["x-truncated"] == "false"
    assert records(got.content) == [
        ["Id", "Name", "Price", "Active", "Tens"],
        ["1", "Apple", "1.25", "true", "10"],
        ["2", "Banana, ripe", "0.5", "false", "20"],
        ["3", "", "10", "", "30"],
    ]
    assert b"\r\n3,,10,,30\r\n" in got.content  # NULL name and flag are empty unquoted fields
    posted = api.post("queries/fruit/execute", json={"min": 5}, headers={"Accept": "text/csv"})
    assert posted.status_code == 200, posted.text
    assert posted.content == b"Id,Name,Price,Active,Tens\r\n3,,10,,30\r\n"
    as_json = api.get("queries/fruit/execute", params={"min": "1"})
    assert [row["Id"] for row in as_json.json()["Rows"]] == [1, 3]
    assert "Format must be 'json' or 'csv'" in error_of(
        api.get("queries/fruit/execute", params={"Format": "pdf"})
    )
    # One column: a NULL is an empty line, the empty string "" (as PostgreSQL writes them).
    one = {"Name": "names", "Namespace": "CustomTable", "Sql": (
        "SELECT CASE WHEN Id = 1 THEN '' ELSE Name END AS Name FROM [customtables].[Fruit] "
        "ORDER BY Id"
    )}  # fmt: skip
    assert api.post("queries", json=one).status_code == 201
    names = api.get("queries/names/execute", headers={"Accept": "text/csv"})
    assert names.content == b'Name\r\n""\r\n"Banana, ripe"\r\n\r\n'


def test_openapi_documents_csv(api: Api) -> None:
    document = api.client.get("/schema/openapi.json").json()
    paths = document["paths"]
    answers = [
        ("get", "/api/v3/custom-tables/{table_name}/rows/values"),
        ("get", "/api/v3/custom-tables/{table_name}/export"),
        ("get", "/api/v3/queries/{name}/execute"),
        ("post", "/api/v3/queries/{name}/execute"),
    ]
    for method, path in answers:
        operation = paths[path][method]
        content = operation["responses"]["200"]["content"]
        assert content["text/csv"]["schema"]["type"] == "string", path
        assert "application/json" in content, path
        assert "Format" in [p["name"] for p in operation["parameters"]], path
        if "execute" in path:
            header = operation["responses"]["200"]["headers"]["X-Truncated"]
            assert header["schema"]["enum"] == ["true", "false"]
    imported = paths["/api/v3/custom-tables/{table_name}/import"]["put"]
    body = imported["requestBody"]["content"]
    # a CSV file goes in the multipart `file` (a raw text/csv body is read too, and named in
    # the description: client generators refuse text/csv request bodies; docs/decisions.md)
    assert set(body) == {"application/json", "multipart/form-data"}
    assert body["application/json"]["schema"]["$ref"].endswith("ExportFile")
    assert "CSV" in body["multipart/form-data"]["schema"]["properties"]["file"]["description"]
    assert "text/csv" in imported["description"]
    names = {p["name"] for p in imported["parameters"]}
    assert {"Mode", "Format", "KeyColumnName", "Types"} <= names


def test_an_oversized_line_is_refused_before_it_costs_memory(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_read, "MAX_LINE_BYTES", 1000)  # the real bound is 32 MiB
    text = "Id,Note\n1,short\n2," + "x" * 2000 + "\n"
    message = error_of(import_csv(api, "Big", text, KeyColumnName="Id"))
    assert message == "Line 3: a line is longer than 1,000 bytes"
    assert api.get("custom-tables/Big").status_code == 404


def test_a_header_of_100000_columns_is_refused_at_once(api: Api) -> None:
    """Each header field was compared with a set rebuilt from all before it: 100,000 names
    (700 KB) held a thread for minutes. The column limit now comes first."""
    header = "Id," + ",".join(f"c{i}" for i in range(100_000)) + "\n"
    started = time.monotonic()
    message = error_of(import_csv(api, "Wide", header))
    assert "100001 columns" in message, message
    assert "at most 1000" in message, message
    assert time.monotonic() - started < 5
    assert api.get("custom-tables/Wide").status_code == 404
    fine = "Id," + ",".join(f"c{i}" for i in range(200)) + "\n1," + ",".join(["2"] * 200) + "\n"
    answer = import_csv(api, "Wide", fine, KeyColumnName="Id")
    assert answer.status_code == 200, answer.text
    assert api.get("custom-tables/Wide").json()["RowCount"] == 1
