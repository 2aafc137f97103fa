"""Writes take one of two paths (ddl/typed.py in C for canonical bodies, ddl/rows.py in Python
for everything else); both must store the same values and the general one explains errors."""

from __future__ import annotations

import msgspec
import pytest

from ddl import catalog
from ddl.prepared import prepare
from ddl.typed import typed_rows
from tests.conftest import Api, TenantCtx

COLUMNS = [
    ("B", 0),
    ("D", 1),
    ("F", 2),
    ("I", 3),
    ("M", 4),
    ("V50", 5),
    ("V100", 6),
    ("VMax", 7),
    ("T", 8),
    ("U", 9),
    ("V200", 10),
    ("VO", 11),
    ("Bin", 12),
]
CANONICAL = {
    "B": True,
    "D": "2026-01-15T10:00:00+02:00",
    "F": 1.5,
    "I": 42,
    "M": 39.99,
    "V50": "fifty",
    "V100": "hundred",
    "VMax": "max",
    "T": "text",
    "U": "a1b2c3d4-0000-0000-0000-00000000000a",
    "V200": "two hundred",
    "VO": "other",
    "Bin": "aGVsbG8=",
}
LENIENT = {  # the same values in forms only the general path accepts
    "B": 1,
    "D": "2026-01-15T08:00:00Z",
    "F": 1.5,
    "I": 42.0,
    "M": "39.99",
    "V50": "fifty",
    "V100": "hundred",
    "VMax": "max",
    "T": "text",
    "U": "{A1B2C3D4-0000-0000-0000-00000000000A}",
    "V200": "two hundred",
    "VO": "other",
    "Bin": "aGVsbG8=",
}


@pytest.fixture
def everything(api: Api) -> str:
    columns = [{"ColumnName": name, "ColumnDataTypeId": type_id} for name, type_id in COLUMNS]
    columns[11]["ColumnLength"] = 20
    response = api.post(
        "custom-tables/Everything",
        json={"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": columns},
    )
    assert response.status_code == 201, response.text
    return "Everything"


def _upsert(api: Api, table: str, key: object, values: dict[str, object]) -> object:
    return api.put(
        f"custom-tables/{table}/rows",
        json={
            "OperationType": "UpsertMany",
            "UpsertManyModel": [
                {
                    "KeyValue": key,
                    "KeyColumnName": "Id",
                    "KeyDataTypeId": 3,
                    "Columns": [{"ColumnName": k, "Value": v} for k, v in values.items()],
                }
            ],
        },
    )


def test_both_paths_store_the_same_values(api: Api, everything: str) -> None:
    assert _upsert(api, everything, 1, CANONICAL).status_code == 200
    assert _upsert(api, everything, 2, LENIENT).status_code == 200
    rows = api.get(f"custom-tables/{everything}/rows/values", params={"Format": "flat"}).json()
    assert [row.pop("Id") for row in rows] == [1, 2]
    assert rows[0] == rows[1]
    assert rows[0]["D"] == "2026-01-15T08:00:00Z"
    assert rows[0]["M"] == 39.99
    assert rows[0]["U"] == "a1b2c3d4-0000-0000-0000-00000000000a"


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("V50", "x" * 51, "Row 1, column 'V50': expected a string of at most 50 characters"),
        ("I", 2**63, "Row 1, column 'I': expected a 64-bit integer"),
        ("M", 1e16, "Row 1, column 'M': expected a Money value below 10^15"),
        ("D", "not a date", "Row 1, column 'D': expected an ISO-8601"),
        ("T", "nul\u0000inside", "Row 1, column 'T': expected a string"),
        ("Nope", 1, "Row 1, column 'Nope'"),
    ],
)
def test_canonical_body_with_a_bad_value_is_explained(
    api: Api, everything: str, column: str, value: object, fragment: str
) -> None:
    good = {"KeyValue": 1, "Columns": [{"ColumnName": "T", "Value": "ok"}]}
    bad = {"KeyValue": 2, "Columns": [{"ColumnName": column, "Value": value}]}
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": [good, bad]},
    )
    assert response.status_code == 400
    assert fragment in response.json()["Message"]
    assert api.get(f"custom-tables/{everything}/rows/values").json() == []


def test_canonical_and_lenient_bodies_take_different_paths(
    tenant: TenantCtx, everything: str
) -> None:
    """Guards the test above: it only proves something if the two rows went different ways."""
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        table = prepare(space, catalog.get_table(conn, everything))
    row_type = typed_rows(table).row_type

    def row(values: dict[str, object]) -> bytes:
        columns = [{"ColumnName": k, "Value": v} for k, v in values.items()]
        return msgspec.json.encode({"KeyValue": 1, "Columns": columns})

    assert msgspec.json.decode(row(CANONICAL), type=row_type).KeyValue == 1
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(row(LENIENT), type=row_type)


def test_inserted_and_updated_counts_after_deletes(api: Api, everything: str) -> None:
    """Counts stay right when the newest rows were deleted first (SQLite reuses their rowids)."""

    def upsert(keys: list[int]) -> dict[str, object]:
        rows = [{"KeyValue": k, "Columns": [{"ColumnName": "I", "Value": k}]} for k in keys]
        response = api.put(
            f"custom-tables/{everything}/rows",
            json={"OperationType": "UpsertMany", "UpsertManyModel": rows},
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert upsert([1, 2, 3, 4, 5])["Inserted"] == 5
    deleted = api.delete(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "DeleteMany", "DeleteManyModel": {"KeyValues": [4, 5]}},
    )
    assert deleted.json() == {"Deleted": 2}
    result = upsert([3, 4, 5, 6, 2, 3])
    assert (result["Inserted"], result["Updated"]) == (3, 2)
    assert result["KeyValues"] == [3, 4, 5, 6, 2, 3]
    result = upsert([6, 7])
    assert (result["Inserted"], result["Updated"]) == (1, 1)


# --- the typed path converts whole columns; every edge must land where the general path does --

EDGES = [  # (column, canonical JSON value, the same value in a form only the general path takes)
    ("M", 0, "0"),
    ("M", -0.5, "-0.5"),
    ("M", -0.00001, "-0.00001"),  # rounds to zero: never a negative zero
    ("M", 123456789012345.1234, "123456789012345.1234"),
    ("M", -12345678901234.5, "-12345678901234.5"),
    ("M", 1e3, "1000"),
    ("M", 0.12345, "0.12345"),  # five places round half away from zero
    ("D", "2024-02-29T10:00:00Z", "2024-02-29T12:00:00+02:00"),  # leap day
    ("D", "2026-12-31T23:59:59Z", "2026-12-31T23:59:59+00:00"),
    ("D", "2026-01-15T10:00:00.250Z", "2026-01-15T10:00:00.250+00:00"),
    ("D", "2024-02-29T10:00:00", "2024-02-29T12:00:00+02:00"),  # no offset: taken as UTC
    ("D", "0001-01-01T00:00:00", "0001-01-01T00:00:00+00:00"),
    ("U", "A1B2C3D4-0000-0000-0000-00000000000A", "{a1b2c3d4-0000-0000-0000-00000000000a}"),
    ("U", "a1b2c3d400000000000000000000000a", "a1b2c3d4-0000-0000-0000-00000000000a"),
]


def _rows(api: Api, table: str) -> list[dict[str, object]]:
    response = api.get(f"custom-tables/{table}/rows/values", params={"Format": "flat"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("column", "canonical", "lenient"), EDGES)
def test_edges_of_the_column_conversions_match_the_general_path(
    api: Api, everything: str, column: str, canonical: object, lenient: object
) -> None:
    rows = [
        {"KeyValue": key, "Columns": [{"ColumnName": column, "Value": canonical}]}
        for key in (1, 2, 3)
    ]
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": rows},
    )
    assert response.status_code == 200, response.text
    general = {"KeyValue": "4", "Columns": [{"ColumnName": column, "Value": lenient}]}
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": [general]},
    )
    assert response.status_code == 200, response.text
    stored = [row[column] for row in _rows(api, everything)]
    assert len(stored) == 4
    assert len(set(map(str, stored))) == 1, stored


@pytest.mark.parametrize(
    ("column", "values", "fragment"),
    [
        ("D", ["2026-01-15T10:00:00Z", "2026-02-29T10:00:00Z"], "Row 1, column 'D'"),
        ("D", ["2026-01-15T10:00:00Z", "2026-04-31T10:00:00Z"], "Row 1, column 'D'"),
        ("D", ["2026-01-15T10:00:00", "2026-02-29T10:00:00"], "Row 1, column 'D'"),
        ("M", [1, 1e15], "Row 1, column 'M': expected a Money value below 10^15"),
        ("U", ["a1b2c3d4-0000-0000-0000-00000000000a", "a1b2c3d4-0000-0000-0000-00000000000g"],
         "Row 1, column 'U': expected a UUID string"),
    ],
)  # fmt: skip
def test_a_bad_value_in_a_canonical_column_is_named(
    api: Api, everything: str, column: str, values: list[object], fragment: str
) -> None:
    rows = [
        {"KeyValue": key, "Columns": [{"ColumnName": column, "Value": value}]}
        for key, value in enumerate(values)
    ]
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": rows},
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["Message"]
    assert _rows(api, everything) == []


def test_a_key_repeated_with_a_space_before_its_colon_is_refused(
    api: Api, everything: str
) -> None:
    """The typed path counts keys in the raw text; whitespace before a colon must not hide a
    repeated key (msgspec keeps the last one)."""
    body = (
        b'{"OperationType":"UpsertMany","UpsertManyModel":[{"KeyValue":1,"KeyValue" :2,'
        b'"Columns":[{"ColumnName":"I","Value":1}]}]}'
    )
    response = api.put(
        f"custom-tables/{everything}/rows",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "repeats a key" in response.json()["Message"]
    assert _rows(api, everything) == []


def test_a_money_string_over_the_value_limit_is_refused_as_before(
    api: Api, everything: str
) -> None:
    """Money arrives raw on the typed path: a numeric string longer than the JSON policy's
    value limit (leading zeros make it a small number) still gets the policy's answer."""
    rows = [{"KeyValue": 1, "Columns": [{"ColumnName": "M", "Value": "0" * 1_100_000 + "1"}]}]
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": rows},
    )
    assert response.status_code == 400, response.text
    assert "larger than 1048576 bytes" in response.json()["Message"]
    assert _rows(api, everything) == []


def test_a_uuid_with_a_final_newline_is_stored_as_the_general_path_stores_it(
    api: Api, everything: str
) -> None:
    """msgspec patterns are searched: `$` also matched before a final newline, so the typed path
    once stored 'uuid\\n' on SQLite while the general path stored the UUID."""
    value = "a1b2c3d4-0000-0000-0000-00000000000a\n"
    rows = [{"KeyValue": key, "Columns": [{"ColumnName": "U", "Value": value}]} for key in (1, 2)]
    response = api.put(
        f"custom-tables/{everything}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": rows},
    )
    assert response.status_code == 200, response.text
    assert {row["U"] for row in _rows(api, everything)} == {value.strip()}


@pytest.mark.parametrize("depth", [40, 5000])
def test_a_deeply_nested_money_value_gets_the_depth_answer(
    api: Api, everything: str, depth: int
) -> None:
    """Money is read raw on the typed path, so nesting inside its value is the JSON policy's to
    refuse (msgspec itself stops past its recursion limit): 400 naming the place, never 500."""
    value = b"[" * depth + b"]" * depth
    body = (
        b'{"OperationType":"UpsertMany","UpsertManyModel":[{"KeyValue":1,'
        b'"Columns":[{"ColumnName":"M","Value":' + value + b"}]}]}"
    )
    response = api.put(
        f"custom-tables/{everything}/rows",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "row 0 (rows are numbered from 0), column 'M'" in response.json()["Message"]
    assert _rows(api, everything) == []
