"""SPEC §5.1 numbers as SQL Server documents them, on SQLite and PostgreSQL through HTTP:
DECIMAL precision and scale of + - * / (Money columns too), FLOAT written as text (CAST,
CONCAT, STR), and the errors SQL Server raises (divide by zero, a failed conversion) where
TRY_CAST / TRY_CONVERT give NULL.

"docs:" is learn.microsoft.com/sql/t-sql/...; where a page gives a rule rather than an example
the expected value is that rule applied by hand, shown next to the case.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Api
from tests.support import assert_error, create_table, upsert_rows
from tests.tsql_support import run_error, save


def exact_rows(api: Api, sql: str) -> list[dict[str, Any]]:
    """The answer's rows with JSON numbers read as Decimal, so a scale is seen exactly."""
    name, saved = save(api, sql)
    assert saved.status_code == 201, saved.text
    response = api.post(f"queries/{name}/execute", json={})
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)["Rows"]


@pytest.fixture
def prices(api: Api) -> Api:
    """Money (DECIMAL(19,4) on SQL Server), Integer (bigint) and Float (float) columns."""
    create_table(api, "Prices", columns=[
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "Ratio", "ColumnDataTypeId": 2},
    ])  # fmt: skip
    upsert_rows(api, "Prices", [
        {"Id": 1, "Name": "abc", "Price": "10.5000", "Qty": 3, "Ratio": 0.1},
        {"Id": 2, "Name": "12", "Price": "3.3333", "Qty": 7, "Ratio": 1e20},
        {"Id": 3, "Name": " 7 ", "Price": "0.0100", "Qty": -2, "Ratio": 123456789.0},
    ], key="Id")  # fmt: skip
    return api


# --- DECIMAL precision and scale (docs: data-types/precision-scale-and-length-transact-sql) --

DECIMALS = [
    pytest.param(  # e1 / e2: scale max(6, s1 + p2 + 1); 1.0 is (2,1), 3 is (1,0) → scale 6.
        # The result is cut to the scale (docs' example 1.67574 / 10000 as DECIMAL(38,10) gives
        # 0.000167: precision 87 > 38 with 38 integral digits → DECIMAL(38,6)), so 2.0 / 3 is
        # 0.666666, not 0.666667. integer / integer stays integer (divide-transact-sql).
        "SELECT 1.0 / 3 AS a, 2.0 / 3 AS b, 7 / 2 AS c, 7 / 2.0 AS d, -7 / 2 AS e, "
        "CAST(1.67574 AS DECIMAL(38, 10)) / CAST(10000 AS DECIMAL(38, 10)) AS f, "
        "10.0 / 3.00 AS g, 1 / 3 AS h",
        {"a": "0.333333", "b": "0.666666", "c": 3, "d": "3.5", "e": -3, "f": "0.000167",
         "g": "3.333333", "h": 0},
        id="division-scale",
    ),
    pytest.param(  # e1 * e2: precision p1 + p2 + 1, scale s1 + s2; e1 + e2: scale max(s1, s2).
        # docs' example: CAST(0.0000009000 AS DECIMAL(30,20)) * CAST(1.0000000000 AS
        # DECIMAL(30,20)) is DECIMAL(38,17) (precision 61 → integral 21 < 32 → scale 17).
        "SELECT 2.50 * 1.5 AS a, 0.1 + 0.2 AS b, 123.456 - 0.0001 AS c, "
        "CAST(0.0000009000 AS DECIMAL(30, 20)) * CAST(1.0000000000 AS DECIMAL(30, 20)) AS d, "
        "CAST(1 AS DECIMAL(10, 2)) / CAST(3 AS DECIMAL(10, 2)) AS e, "
        "CAST(2 AS DECIMAL(5, 1)) * CAST(3 AS DECIMAL(5, 3)) AS f",
        # e: (10,2)/(10,2) → scale max(6, 2 + 10 + 1) = 13
        {"a": "3.75", "b": "0.3", "c": "123.4559", "d": "0.0000009", "e": "0.3333333333333",
         "f": 6},
        id="multiplication-addition-scale",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), DECIMALS)
def test_decimal_arithmetic(api: Api, sql: str, expected: dict[str, Any]) -> None:
    want = {k: Decimal(v) if isinstance(v, str) else v for k, v in expected.items()}
    assert exact_rows(api, sql) == [want]


def test_money_column_arithmetic(prices: Api) -> None:
    """Money is DECIMAL(19,4): Price / 3 → scale max(6, 4 + 1 + 1) = 6; Price * Qty (bigint is
    (19,0)) → precision 39 > 38, integral 35 ≥ 32, scale 4 < 6 stays 4; Price + 1.5 → scale 4;
    SUM → DECIMAL(38,4); AVG → DECIMAL(38,6) ((10.5 + 3.3333 + 0.01) / 3 = 4.6144333…)."""
    rows = exact_rows(
        prices,
        "SELECT Id, Price / 3 AS Third, Price * Qty AS Total, Price + 1.5 AS Plus "
        "FROM Prices ORDER BY Id",
    )
    assert rows == [
        {"Id": 1, "Third": Decimal("3.5"), "Total": Decimal("31.5"), "Plus": 12},
        {"Id": 2, "Third": Decimal("1.1111"), "Total": Decimal("23.3331"),
         "Plus": Decimal("4.8333")},
        {"Id": 3, "Third": Decimal("0.003333"), "Total": Decimal("-0.02"),
         "Plus": Decimal("1.51")},
    ]  # fmt: skip
    totals = exact_rows(prices, "SELECT SUM(Price) AS s, AVG(Price) AS a FROM Prices")
    assert totals == [{"s": Decimal("13.8433"), "a": Decimal("4.614433")}]


def test_money_divided_by_an_integer_column(prices: Api) -> None:
    """Price / Qty: (19,4) / (19,0) → scale 24, precision 39 → integral 15 < 32 → scale
    min(24, 38 - 15) = 23: 3.3333 / 7 = 0.47618571428571428571428 (SQLite computes in REAL:
    the same double)."""
    rows = exact_rows(prices, "SELECT Id, Price / Qty AS r FROM Prices ORDER BY Id")
    assert rows[0]["r"] == Decimal("3.5")
    assert float(rows[1]["r"]) == float(Decimal("0.47618571428571428571428"))
    assert rows[2]["r"] == Decimal("-0.005")


# --- FLOAT as text (docs: functions/cast-and-convert-transact-sql "float and real styles":
# style 0, the default, "A maximum of 6 digits. Use in scientific notation, when
# appropriate"; SQL Server writes the exponent with 3 digits, e.g. 1.23457e+008) ------------


def test_float_as_text(prices: Api) -> None:
    rows = exact_rows(
        prices,
        "SELECT CAST(1.0E0 / 3 AS VARCHAR(30)) AS a, CONCAT('x', CAST(2 AS FLOAT) / 3) AS b, "
        "CAST(CAST(123456789 AS FLOAT) AS VARCHAR(30)) AS c, "
        "CAST(CAST(1e20 AS FLOAT) AS VARCHAR(30)) AS d, "
        "CAST(CAST(0.0001 AS FLOAT) AS VARCHAR(30)) AS e, "
        "CONVERT(VARCHAR(30), CAST(0.00001 AS FLOAT)) AS f, "
        "CAST(CAST(-2.5 AS FLOAT) AS VARCHAR(30)) AS g, CAST(CAST(100 AS FLOAT) AS VARCHAR) AS h, "
        "CAST(CAST(999999.5 AS FLOAT) AS VARCHAR(30)) AS i",
    )
    assert rows == [{
        "a": "0.333333", "b": "x0.666667", "c": "1.23457e+008", "d": "1e+020", "e": "0.0001",
        "f": "1e-005", "g": "-2.5", "h": "100", "i": "1e+006",
    }]  # fmt: skip


def test_float_column_as_text(prices: Api) -> None:
    rows = exact_rows(
        prices,
        "SELECT CAST(Ratio AS VARCHAR(30)) AS t, CONCAT(Ratio, '!') AS c, "
        "CONCAT('p', Price) AS m, CAST(Price AS VARCHAR(20)) AS mt FROM Prices ORDER BY Id",
    )
    assert rows == [
        {"t": "0.1", "c": "0.1!", "m": "p10.5000", "mt": "10.5000"},
        {"t": "1e+020", "c": "1e+020!", "m": "p3.3333", "mt": "3.3333"},
        {"t": "1.23457e+008", "c": "1.23457e+008!", "m": "p0.0100", "mt": "0.0100"},
    ]


def test_decimal_as_text_keeps_its_scale(api: Api) -> None:
    """A DECIMAL is written with all its places (docs: cast-and-convert, decimal → character)."""
    rows = exact_rows(
        api,
        "SELECT CAST(CAST(2 AS DECIMAL(10, 3)) AS VARCHAR(20)) AS a, CONCAT(1.0 / 3, '') AS b, "
        "CONCAT('Price: ', 1.50) AS c",
    )
    assert rows == [{"a": "2.000", "b": "0.333333", "c": "Price: 1.50"}]


def test_str(api: Api) -> None:
    """docs: functions/str-transact-sql examples A (' 123.5'), B ('**': too long) and C
    (' 123.000'); length 10 and no decimals by default, rounded half away from zero."""
    rows = exact_rows(
        api,
        "SELECT STR(123.45, 6, 1) AS a, STR(123.45, 2, 2) AS b, STR(FLOOR(123.45), 8, 3) AS c, "
        "STR(1.5) AS d, STR(-1.5) AS e, STR(NULL) AS f, STR(123.456, 5, 2) AS g",
    )
    assert rows == [{
        "a": " 123.5", "b": "**", "c": " 123.000", "d": "         2", "e": "        -2",
        "f": None, "g": "123.5",
    }]  # fmt: skip


# --- errors where SQL Server raises them (a failed run: 400 with its message) ---------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 / 0 AS x",
        "SELECT 1.0 / 0 AS x",
        "SELECT CAST(1 AS FLOAT) / 0 AS x",
        "SELECT 5 % 0 AS x",
        "SELECT Qty / (Qty - Qty) AS x FROM Prices",
        "SELECT Price / (Qty - Qty) AS x FROM Prices",
        "SELECT Id FROM Prices WHERE 10 / (Id - 2) > 0",
    ],
)
def test_divide_by_zero_fails(prices: Api, sql: str) -> None:
    """docs: language-elements/divide-transact-sql; SQLite alone would answer NULL."""
    assert_error(run_error(prices, sql), 400, "Divide by zero error encountered")


def test_failed_conversions(prices: Api) -> None:
    """docs: functions/cast-and-convert-transact-sql: text that is not a number fails the
    query ("Conversion failed when converting the varchar value ... to data type int");
    SQLite alone would read 'x' as 0."""
    response = run_error(prices, "SELECT CAST('x' AS INT) AS x")
    assert_error(response, 400, "Conversion failed when converting the varchar value 'x' to "
                 "data type int")  # fmt: skip
    response = run_error(prices, "SELECT CAST(Name AS INT) AS x FROM Prices")
    assert_error(response, 400, "value 'abc' to data type int")
    response = run_error(prices, "SELECT CAST('1.5x' AS DECIMAL(5, 2)) AS x")
    assert_error(response, 400, "Error converting data type varchar to numeric")
    response = run_error(prices, "SELECT CAST('one' AS FLOAT) AS x")
    assert_error(response, 400, "Error converting data type varchar to float")


def test_text_that_is_a_number_converts(prices: Api) -> None:
    """Spaces around the digits are allowed ('12', ' 7 '); empty text is 0 for int and float
    (docs: cast-and-convert, "an empty string is converted to 0" for int)."""
    rows = exact_rows(prices, "SELECT CAST(Name AS INT) * 2 AS x FROM Prices WHERE Id > 1 "
                      "ORDER BY Id")  # fmt: skip
    assert rows == [{"x": 24}, {"x": 14}]
    empty = exact_rows(
        prices,
        "SELECT CAST(REPLACE(Name, 'abc', '') AS INT) AS i, "
        "CAST(REPLACE(Name, 'abc', ' ') AS FLOAT) AS f FROM Prices WHERE Id = 1",
    )
    assert empty == [{"i": 0, "f": 0}]


def test_try_cast_gives_null(prices: Api) -> None:
    """docs: functions/try-cast-transact-sql ("TRY_CAST('test' AS float) IS NULL" → 'Cast
    failed'), try-convert-transact-sql: NULL where CAST would fail, the value otherwise."""
    rows = exact_rows(
        prices,
        "SELECT CASE WHEN TRY_CAST('test' AS float) IS NULL THEN 'Cast failed' "
        "ELSE 'Cast succeeded' END AS Result, TRY_CAST('x' AS INT) AS a, "
        "TRY_CONVERT(INT, 'y') AS b, TRY_CAST(' 12 ' AS INT) AS c, "
        "TRY_CAST('99999999999' AS INT) AS d, TRY_CAST('1.5' AS DECIMAL(5, 2)) AS e, "
        "TRY_CONVERT(DECIMAL(10, 2), 'abc') AS f, TRY_CAST('1e3' AS FLOAT) AS g",
    )
    assert rows == [{
        "Result": "Cast failed", "a": None, "b": None, "c": 12, "d": None, "e": Decimal("1.5"),
        "f": None, "g": Decimal("1000.0"),
    }]  # fmt: skip
    column = exact_rows(prices, "SELECT TRY_CAST(Name AS INT) AS n FROM Prices ORDER BY Id")
    assert column == [{"n": None}, {"n": 12}, {"n": 7}]
