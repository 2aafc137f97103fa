"""The pathological requests of issue 11 (bodies and names), shared by the live-server test and
bench/hostile.py: each case says what it sends and the status it must get."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

TABLE = "Goods"
TABLE_BODY = {
    "KeyColumnName": "Id",
    "KeyDataTypeId": 3,
    "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 7}],
}
V1_TABLE_BODY = {"name": "Hostile", "columns": [{"name": "note", "type": "text"}]}
V1_TABLE = "{v1}"  # replaced by the v1 table's id once it exists


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # relative to the server; /api/v1 paths use the x-api-key header
    body: bytes | None = None
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)
    files: bool = False  # send `body` as the multipart field `file`


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def deep_file(depth: int) -> bytes:
    return b'{"Format":"customtables/v1","Rows":' + nested(depth) + b"}"


def _write(value: bytes) -> bytes:
    column = b'{"ColumnName":"Name","Value":' + value + b"}"
    row = b'{"KeyValue":2,"Columns":[' + column + b"]}"
    return b'{"OperationType":"UpsertMany","UpsertManyModel":[' + row + b"]}"


def _head(name: str) -> str:
    """An export file up to its `"Rows":[`."""
    head = {"Format": "customtables/v1", "Table": {"TableName": name, **TABLE_BODY}}
    return json.dumps(head)[:-1] + ',"Rows":['


def _flat_file(rows: int) -> bytes:
    text = _head("Flat")
    row = '{"Id":%d,"Name":"' + "n" * 80 + '"}'
    return (text + ",".join(row % i for i in range(rows)) + "]}").encode()


def _big_number_file() -> bytes:
    return (_head("Big") + '{"Id":' + "9" * 5000 + ',"Name":"x"}]}').encode()


V3 = "/api/v3/custom-tables"
V1 = f"/api/v1/tables/{V1_TABLE}/rows"


def _v1(data: bytes) -> bytes:
    return b'{"data":{"note":' + data + b"}}"


def cases() -> list[Case]:
    deep = nested(100_000)
    return [
        Case("import 30,000 deep (60 KB)", "PUT", f"{V3}/Deep/import", deep_file(30_000)),
        Case("import 100,000 deep (200 KB)", "PUT", f"{V3}/Deep/import", deep_file(100_000)),
        Case("import multipart 100,000 deep", "PUT", f"{V3}/Deep/import", deep_file(100_000),
             files=True),
        Case("import 5 MB of 31-deep arrays", "PUT", f"{V3}/Deep/import",
             _head("Deep").encode() + b",".join([nested(30)] * 40_000) + b"]}"),
        # ijson's C parser crashed the server (SIGSEGV) on an integer past 4,300 digits
        Case("import an integer of 5,000 digits", "PUT", f"{V3}/Big/import", _big_number_file()),
        Case("import multipart, integer of 5,000 digits", "PUT", f"{V3}/Big/import",
             _big_number_file(), files=True),
        Case("import 50,000 flat rows (5 MB)", "PUT", f"{V3}/Flat/import", _flat_file(50_000),
             status=200),
        Case("row value 1,000 deep", "PUT", f"{V3}/{TABLE}/rows", _write(nested(1_000))),
        Case("row body 100,000 deep", "PUT", f"{V3}/{TABLE}/rows", nested(100_000)),
        Case("OperationType twice", "DELETE", f"{V3}/{TABLE}/rows",
             b'{"OperationType":"Delete","OperationType":"DeleteAll","DeleteModel":{"KeyValue":1}}'),
        Case("definition 100,000 deep", "POST", f"{V3}/Deep", b'{"KeyColumnName":' + deep + b"}"),
        Case("saved query 100,000 deep", "POST", "/api/v3/queries", b'{"Sql":' + deep + b"}"),
        Case("v1 data 1,000 deep", "POST", V1, _v1(nested(1_000))),
        Case("v1 data 100,000 deep", "POST", V1, _v1(deep)),
        Case("v1 data 8 MB", "POST", V1, _v1(b'"' + b"x" * 8_000_000 + b'"')),
        Case("text/plain body", "PUT", f"{V3}/{TABLE}/rows", _write(b'"x"'), 415,
             {"Content-Type": "text/plain"}),
        Case("NUL in table name", "GET", f"{V3}/Go%00ods"),
        Case("NUL in query name", "GET", "/api/v3/queries/Q%00/execute"),
        Case("NUL in v1 id", "GET", "/api/v1/tables/%00"),
        Case("NUL in KeyValue", "GET", f"{V3}/{TABLE}/row?KeyValue=%00"),
    ]  # fmt: skip
