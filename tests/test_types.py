"""Every column type of SPEC §3 (ids 0..12) through HTTP: the JSON it accepts, what it returns,
and the values it refuses (400 naming row and column, nothing written, never truncated)."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Api
from tests.support import assert_error, column, create_table, row, upsert, upsert_ok

UUID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
EVERY_BYTE = base64.b64encode(bytes(range(256))).decode()
MAX_MONEY = "999999999999999.9999"


def _table(api: Api, type_id: int) -> str:
    length = 10 if type_id == 11 else None
    create_table(api, "Typed", columns=[column("V", type_id, length)])
    return "Typed"


def _read_exact(api: Api, table: str) -> list[dict[str, Any]]:
    """Flat rows with JSON numbers decoded exactly (Decimal), to see what went over the wire."""
    response = api.get(f"custom-tables/{table}/rows/values", params={"Format": "flat"})
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def _write(api: Api, table: str, rows: list[dict[str, Any]], expect: int | None = 200) -> Any:
    """Upsert; a value written "@<number>" goes out as that JSON number literally (1e400 etc.,
    which Python's JSON encoder cannot write)."""
    body = json.dumps({"OperationType": 2, "UpsertManyModel": rows})
    body = re.sub(r'"@([^"]*)"', r"\1", body)
    response = api.put(
        f"custom-tables/{table}/rows", content=body, headers={"content-type": "application/json"}
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


GOOD: list[tuple[int, Any, Any]] = [
    # Boolean
    (0, True, True),
    (0, False, False),
    (0, 1, True),
    (0, 0, False),
    (0, "true", True),
    (0, "false", False),
    (0, "True", True),
    # Date
    (1, "2026-01-15", "2026-01-15T00:00:00Z"),
    (1, "2026-01-15T10:00:00", "2026-01-15T10:00:00Z"),
    (1, "2026-01-15T10:00:00Z", "2026-01-15T10:00:00Z"),
    (1, "2026-01-15T12:30:00+02:00", "2026-01-15T10:30:00Z"),
    (1, "2026-01-15T00:30:00-05:00", "2026-01-15T05:30:00Z"),
    (1, "2026-01-01T01:00:00+03:00", "2025-12-31T22:00:00Z"),
    (1, "2026-01-15T10:00:00.250000Z", "2026-01-15T10:00:00.250000Z"),
    (1, "1900-02-28T23:59:59", "1900-02-28T23:59:59Z"),
    (1, "0001-01-01", "0001-01-01T00:00:00Z"),
    (1, "9999-12-31T23:59:59", "9999-12-31T23:59:59Z"),
    (1, "9999-12-31T23:00:00+05:00", "9999-12-31T18:00:00Z"),
    # Float
    (2, 1.5, Decimal("1.5")),
    (2, 3, Decimal("3.0")),
    (2, 0.1, Decimal("0.1")),
    (2, -2.25e10, Decimal("-22500000000.0")),
    (2, 1.7976931348623157e308, Decimal("1.7976931348623157e308")),
    # Integer
    (3, 3, 3),
    (3, 3.0, 3),
    (3, 0, 0),
    (3, -(2**63), -(2**63)),
    (3, 2**63 - 1, 2**63 - 1),
    (3, "@-9223372036854775808.0", -(2**63)),
    (3, "@1e3", 1000),
    # Money
    (4, 39.99, Decimal("39.99")),
    (4, "39.99", Decimal("39.99")),
    (4, 100, 100),
    (4, "100.10", Decimal("100.1")),
    (4, 12.34565, Decimal("12.3457")),
    (4, -12.34565, Decimal("-12.3457")),
    (4, 1.23444, Decimal("1.2344")),
    (4, 0.00005, Decimal("0.0001")),
    (4, -0.00005, Decimal("-0.0001")),
    (4, "0.00004", 0),
    (4, "123456789012345.6789", Decimal("123456789012345.6789")),
    (4, MAX_MONEY, Decimal(MAX_MONEY)),
    (4, "-" + MAX_MONEY, Decimal("-" + MAX_MONEY)),
    (4, " 7.5 ", Decimal("7.5")),
    (4, "@1e-10000000", 0),
    (4, "1E+2", 100),
    # Varchar50, Varchar100, Varchar200, VarcharOther(10): at the limit, in characters
    (5, "x" * 50, "x" * 50),
    (5, "é" * 50, "é" * 50),
    (5, "", ""),
    (6, "y" * 100, "y" * 100),
    (10, "z" * 200, "z" * 200),
    (11, "ü" * 10, "ü" * 10),
    # VarcharMax, Text
    (7, "m" * 100_000, "m" * 100_000),
    (
        8,
        "multi\nline\tünïcode 😀 'quoted' \"double\"",
        "multi\nline\tünïcode 😀 'quoted' \"double\"",
    ),
    (8, "t" * 100_000, "t" * 100_000),
    # UniqueIdentifier
    (9, UUID, UUID),
    (9, UUID.upper(), UUID),
    (9, "{" + UUID.upper() + "}", UUID),
    (9, UUID.replace("-", ""), UUID),
    # VarBinary
    (12, "AAECAwQ=", "AAECAwQ="),
    (12, EVERY_BYTE, EVERY_BYTE),
    (12, "", ""),
]


@pytest.mark.parametrize(("type_id", "given", "expected"), GOOD)
def test_good_values_round_trip(api: Api, type_id: int, given: Any, expected: Any) -> None:
    table = _table(api, type_id)
    _write(api, table, [row(1, V=given)])
    got = _read_exact(api, table)[0]["V"]
    assert got == expected
    assert type(got) is type(expected) or {type(got), type(expected)} <= {int, Decimal}
    single = api.get(f"custom-tables/{table}/rows/columnValue?KeyValue=1&ColumnName=v")
    assert json.loads(single.text, parse_float=Decimal)["Value"] == expected


def test_money_is_exact_on_the_wire(api: Api) -> None:
    table = _table(api, 4)
    upsert_ok(api, table, [row(1, V=39.99), row(2, V=MAX_MONEY), row(3, V=0.1), row(4, V=2.5)])
    text = api.get(f"custom-tables/{table}/rows/values", params={"Format": "flat"}).text
    assert text == (
        '[{"Id":1,"V":39.99},{"Id":2,"V":999999999999999.9999},{"Id":3,"V":0.1},{"Id":4,"V":2.5}]'
    )
    one = api.get(f"custom-tables/{table}/row", params={"KeyValue": 1}).text
    assert '"Value":39.99}' in one
    value = api.get(f"custom-tables/{table}/rows/columnValue?KeyValue=2&ColumnName=V").text
    assert '"Value":999999999999999.9999}' in value


def test_money_sums_stay_exact_in_the_database(api: Api) -> None:
    """Ten times 0.1 written and read back is ten times exactly 0.1 (no float drift)."""
    table = _table(api, 4)
    upsert_ok(api, table, [row(i, V=0.1) for i in range(10)])
    assert sum(r["V"] for r in _read_exact(api, table)) == Decimal("1.0")


@pytest.mark.parametrize("type_id", range(13))
def test_null_is_accepted_for_every_non_key_column(api: Api, type_id: int) -> None:
    table = _table(api, type_id)
    upsert_ok(api, table, [row(1, V=None)])
    assert _read_exact(api, table) == [{"Id": 1, "V": None}]


BAD: list[tuple[int, Any, str]] = [
    (0, 2, "a boolean"),
    (0, -1, "a boolean"),
    (0, "yes", "a boolean"),
    (0, "1", "a boolean"),
    (0, 1.5, "a boolean"),
    (0, [], "a boolean"),
    (1, "2026-13-01", "ISO-8601"),
    (1, "2026-02-30", "ISO-8601"),
    (1, "tomorrow", "ISO-8601"),
    (1, "", "ISO-8601"),
    (1, 20260115, "ISO-8601"),
    (1, "0001-01-01T00:30:00+01:00", "out of range"),
    (1, "9999-12-31T23:00:00-05:00", "out of range"),
    (1, "2026-01-15T10:00:00+25:00", "ISO-8601"),
    (2, "1.5", "a number"),
    (2, True, "a number"),
    (2, {}, "a number"),
    (2, "@1e400", "finite"),
    (3, 3.5, "an integer"),
    (3, "3", "an integer"),
    (3, True, "an integer"),
    (3, 2**63, "64-bit"),
    (3, -(2**63) - 1, "64-bit"),
    (3, "@1e400", "64-bit integer"),
    (3, "@1e10000000", "64-bit integer"),
    (3, "@-1e10000000", "64-bit integer"),
    (4, "abc", "a number or numeric string"),
    (4, True, "a number or numeric string"),
    (4, [], "a number or numeric string"),
    (4, "NaN", "finite"),
    (4, "Infinity", "finite"),
    (4, 1_000_000_000_000_000, "out of range"),
    (4, "-1000000000000000", "out of range"),
    (4, "999999999999999.99995", "out of range"),
    (4, "1e30", "out of range"),
    (4, "@1e30", "out of range"),
    (4, "@-1e10000000", "out of range"),
    (5, "x" * 51, "at most 50 characters"),
    (5, "é" * 51, "got 51 characters"),
    (5, 5, "a string"),
    (5, "a\x00b", "NUL"),
    (6, "y" * 101, "at most 100 characters"),
    (10, "z" * 201, "at most 200 characters"),
    (11, "w" * 11, "at most 10 characters"),
    (7, 12, "a string"),
    (8, False, "a string"),
    (8, "nul\x00", "NUL"),
    (9, "not-a-uuid", "a UUID"),
    (9, 5, "a UUID"),
    (9, UUID + "0", "a UUID"),
    (12, "not base64!", "base64"),
    (12, "AAE", "base64"),
    (12, 5, "base64"),
]


@pytest.mark.parametrize(("type_id", "given", "expected"), BAD)
def test_bad_values_are_400_and_write_nothing(
    api: Api, type_id: int, given: Any, expected: str
) -> None:
    table = _table(api, type_id)
    response = _write(api, table, [row(1, V=None), row(2, V=given)], expect=None)
    assert_error(response, 400, "Row 1, column 'V'", expected)
    assert _read_exact(api, table) == []


@pytest.mark.parametrize("type_id", [5, 6, 10, 11])
def test_long_strings_are_never_truncated_on_update(api: Api, type_id: int) -> None:
    table = _table(api, type_id)
    upsert_ok(api, table, [row(1, V="short")])
    limit = {5: 50, 6: 100, 10: 200, 11: 10}[type_id]
    response = api.put(
        f"custom-tables/{table}/rows",
        json={"OperationType": "Update", "UpdateModel": row(1, V="x" * (limit + 1))},
    )
    assert_error(response, 400, "column 'V'", f"at most {limit} characters")
    assert _read_exact(api, table) == [{"Id": 1, "V": "short"}]


@pytest.mark.parametrize(
    ("key_type", "length", "good", "bad", "expected"),
    [
        (5, None, "k" * 50, "k" * 51, "at most 50 characters"),
        (6, None, "k" * 100, "k" * 101, "at most 100 characters"),
        (10, None, "k" * 200, "k" * 201, "at most 200 characters"),
        (11, 12, "k" * 12, "k" * 13, "at most 12 characters"),
        (9, None, "{" + UUID.upper() + "}", "nope", "a UUID"),
        (3, None, 2**63 - 1, 2**63, "64-bit"),
        (3, None, -5, 1.5, "an integer"),
    ],
)
def test_key_values_are_checked_like_columns(
    api: Api, key_type: int, length: int | None, good: Any, bad: Any, expected: str
) -> None:
    extra = {"KeyColumnLength": length} if length else {}
    create_table(api, "Keys", key="K", key_type=key_type, **extra)
    result = upsert_ok(api, "Keys", [row(good)])
    stored = UUID if key_type == 9 else good
    assert result["KeyValues"] == [stored]
    assert_error(upsert(api, "Keys", [row(bad)]), 400, "Row 0, column 'K'", expected)
    assert [r["K"] for r in _read_exact(api, "Keys")] == [stored]


def test_string_keys_are_case_sensitive(api: Api) -> None:
    """On SQLite and PostgreSQL keys compare as the backend compares them (docs/decisions.md)."""
    create_table(api, "Codes", key="Code", key_type=5)
    result = upsert_ok(api, "Codes", [row("abc"), row("ABC")])
    assert result["Inserted"] == 2
    assert sorted(r["Code"] for r in _read_exact(api, "Codes")) == ["ABC", "abc"]


def test_every_type_in_one_row(api: Api) -> None:
    columns = [column(f"C{t}", t, 10 if t == 11 else None) for t in range(13)]
    create_table(api, "AllTypes", key="Oid", key_type=9, columns=columns)
    given = [
        True,
        "2026-01-15T10:00:00+01:00",
        2.5,
        42,
        39.99,
        "v50",
        "v100",
        "max",
        "text",
        UUID.upper(),
        "v200",
        "other",
        "AAEC",
    ]
    result = upsert_ok(api, "AllTypes", [row(UUID, **{f"C{t}": v for t, v in enumerate(given)})])
    assert result == {"Inserted": 1, "Updated": 0, "KeyValues": [UUID]}
    response = api.get("custom-tables/AllTypes/row", params={"KeyValue": UUID})
    body = json.loads(response.text, parse_float=Decimal)
    assert [(c["ColumnName"], c["ColumnDataTypeId"]) for c in body["Columns"]] == [
        (f"C{t}", t) for t in range(13)
    ]
    assert [c["Value"] for c in body["Columns"]] == [
        True,
        "2026-01-15T09:00:00Z",
        Decimal("2.5"),
        42,
        Decimal("39.99"),
        "v50",
        "v100",
        "max",
        "text",
        UUID,
        "v200",
        "other",
        "AAEC",
    ]
