"""`Where` on rows/values, export and DeleteWhere (SPEC §10): filters over every type id, the
semantics of saved queries, and injection attempts refused with a clean 400 naming where."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.support import assert_error, column, create_table, upsert_rows

U1 = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
U2 = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
U3 = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"

COLUMNS = [
    column("Active", 0),
    column("Born", 1),
    column("Ratio", 2),
    column("Qty", 3),
    column("Price", 4),
    column("Code", 5),
    column("Name", 6),
    column("Notes", 7),
    column("Body", 8),
    column("Ref", 9),
    column("Title", 10),
    column("Tag", 11, 20),
    column("Blob", 12),
]
ROWS: list[dict[str, Any]] = [
    {"Id": 1, "Active": True, "Born": "2020-01-15T10:00:00Z", "Ratio": 0.5, "Qty": 10,
     "Price": 39.99, "Code": "A1", "Name": "Apple", "Notes": "red fruit", "Body": "crisp",
     "Ref": U1, "Title": "Mr", "Tag": "fruit", "Blob": "AAE="},
    {"Id": 2, "Active": False, "Born": "2021-06-01T00:00:00Z", "Ratio": 1.25, "Qty": 20,
     "Price": 120.5, "Code": "B2", "Name": "banana", "Notes": "yellow", "Body": "soft",
     "Ref": U2, "Title": "Ms", "Tag": "fruit", "Blob": "AgM="},
    {"Id": 3, "Active": True, "Born": "2022-12-31T23:59:59Z", "Ratio": -2.0, "Qty": -5,
     "Price": 0.0001, "Code": "C3", "Name": "Cherry", "Notes": "it's small", "Body": "tart",
     "Ref": U3, "Title": "Dr", "Tag": "berry", "Blob": "BAU="},
    {"Id": 4, "Active": None, "Born": None, "Ratio": None, "Qty": None, "Price": None,
     "Code": None, "Name": None, "Notes": None, "Body": None, "Ref": None, "Title": None,
     "Tag": None, "Blob": None},
]  # fmt: skip


@pytest.fixture
def everything(api: Api) -> str:
    create_table(api, "Everything", key="Id", key_type=3, columns=COLUMNS)
    upsert_rows(api, "Everything", ROWS, key="Id")
    return "Everything"


def ids(api: Api, table: str, where: str, **params: Any) -> list[int]:
    response = api.get(
        f"custom-tables/{table}/rows/values", params={"Where": where, "Format": "flat", **params}
    )
    assert response.status_code == 200, response.text
    return [row["Id"] for row in response.json()]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Active = 1", [1, 3]),
        ("Active = 0", [2]),
        ("Active IS NULL", [4]),
        ("Born >= '2021-01-01' AND Born < '2022-01-01'", [2]),
        ("Born > '2022-12-31T23:00:00'", [3]),
        ("YEAR(Born) = 2020", [1]),
        ("Ratio < 0", [3]),
        ("Ratio BETWEEN 0.5 AND 1.25", [1, 2]),
        ("Qty > 5 AND Qty <= 20", [1, 2]),
        ("Qty IN (10, -5)", [1, 3]),
        ("Qty % 2 = 0", [1, 2]),
        ("Price = 39.99", [1]),
        ("Price > 100", [2]),
        ("Price < 0.001", [3]),
        ("Price * 2 > 79.97", [1, 2]),
        ("Code = 'B2'", [2]),
        ("Name = 'Apple' OR Name = N'Cherry'", [1, 3]),
        ("Born < '06/02/2021' AND Born > '20200115'", [1, 2]),
        ("Name LIKE 'b%'", [2]),
        ("Notes = 'it''s small'", [3]),
        ("Notes LIKE '%ell%'", [2]),
        ("Body <> 'soft'", [1, 3]),
        (f"Ref = '{U2}'", [2]),
        (f"Ref = '{{{U3.upper()}}}'", [3]),
        (f"Ref IN ('{U1}', '{U3}')", [1, 3]),
        ("Title IN ('Mr', 'Dr')", [1, 3]),
        ("Tag = 'fruit' AND NOT Qty = 10", [2]),
        ("Blob IS NOT NULL AND Id > 2", [3]),
        ("Name IS NULL AND Price IS NULL AND Ref IS NULL", [4]),
        ("LEN(Name) = 6 OR UPPER(Code) = 'A1'", [1, 2, 3]),
        ("Id = 1 OR (Id >= 3 AND Name IS NOT NULL)", [1, 3]),
        ("1 = 0", []),
    ],
)
def test_where_over_every_type(api: Api, everything: str, where: str, expected: list[int]) -> None:
    assert ids(api, everything, where) == expected
