"""A page of rows is converted and encoded a column at a time (ddl/json_columns.py, the row
template of ddl/formats/json_rows.py); one row (`…/row`) still goes value by value. Both must
give the same JSON for every row, whatever the values: NULLs among them, commas and quotes in
text, dates with and without fractions, Money at its edges."""

from __future__ import annotations

import pytest

from tests.conftest import Api

COLUMNS = [
    ("B", 0),
    ("D", 1),
    ("F", 2),
    ("I", 3),
    ("M", 4),
    ("V", 6),
    ("T", 8),
    ("U", 9),
    ("Bin", 12),
]
ROWS = [
    {"B": True, "D": "2026-01-15T10:00:00Z", "F": 1.5, "I": 7, "M": 39.99, "V": "plain",
     "T": "a, b", "U": "A1B2C3D4-0000-0000-0000-00000000000A", "Bin": "aGVsbG8="},
    {"B": False, "D": "2026-01-15T10:00:00.250Z", "F": -0.0, "I": -9, "M": 0, "V": 'quo"te',
     "T": "line\nbreak", "U": "a1b2c3d4-0000-0000-0000-00000000000b", "Bin": ""},
    {"B": None, "D": None, "F": None, "I": None, "M": None, "V": None, "T": None, "U": None,
     "Bin": None},
    {"B": True, "D": "0001-01-01T00:00:00Z", "F": 1e300, "I": 2**62, "M": -12345678901234.5,
     "V": "ünï, cödé", "T": "", "U": "a1b2c3d4-0000-0000-0000-00000000000c", "Bin": "AA=="},
    {"B": False, "D": "2024-02-29T23:59:59", "F": 3.0, "I": 0, "M": 1000, "V": ",", "T": "x",
     "U": "a1b2c3d4-0000-0000-0000-00000000000d", "Bin": "aGk="},
]  # fmt: skip


@pytest.fixture
def mixed(api: Api) -> str:
    columns = [{"ColumnName": name, "ColumnDataTypeId": type_id} for name, type_id in COLUMNS]
    response = api.post(
        "custom-tables/Mixed",
        json={"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": columns},
    )
    assert response.status_code == 201, response.text
    body = {
        "OperationType": "UpsertMany",
        "UpsertManyModel": [
            {"KeyValue": key, "Columns": [{"ColumnName": k, "Value": v} for k, v in row.items()]}
            for key, row in enumerate(ROWS)
        ],
    }
    response = api.put("custom-tables/Mixed/rows", json=body)
    assert response.status_code == 200, response.text
    return "Mixed"


def _one(api: Api, table: str, key: int) -> dict[str, object]:
    response = api.get(f"custom-tables/{table}/row", params={"KeyValue": str(key)})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_page_gives_each_row_as_the_one_row_answer_does(api: Api, mixed: str) -> None:
    page = api.get(f"custom-tables/{mixed}/rows/values")
    assert page.status_code == 200, page.text
    assert page.json() == [_one(api, mixed, key) for key in range(len(ROWS))]
    assert page.content.count(b'"TableName"') == len(ROWS)


def test_the_flat_page_gives_the_same_values(api: Api, mixed: str) -> None:
    flat = api.get(f"custom-tables/{mixed}/rows/values", params={"Format": "flat"}).json()
    for key, row in enumerate(flat):
        one = _one(api, mixed, key)
        values = {column["ColumnName"]: column["Value"] for column in one["Columns"]}
        assert row == {"Id": one["KeyValue"], **values}
    assert [row["T"] for row in flat] == ["a, b", "line\nbreak", None, "", "x"]
    assert [row["V"] for row in flat] == ["plain", 'quo"te', None, "ünï, cödé", ","]
    assert flat[1]["D"] == "2026-01-15T10:00:00.250000Z"
    assert flat[4]["D"] == "2024-02-29T23:59:59Z"
    assert flat[0]["U"] == "a1b2c3d4-0000-0000-0000-00000000000a"
    assert [flat[k]["M"] for k in range(5)] == [39.99, 0, None, -12345678901234.5, 1000]
