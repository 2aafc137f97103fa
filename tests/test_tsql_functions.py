"""SPEC §5: "A function that can be saved can be run on that backend, and one that can't run is
refused at save time", with messages naming functions as written. Every function of §5.1 (and
the common T-SQL functions next to them) is saved and run here over a table's rows, on SQLite
and PostgreSQL through HTTP: a §5.1 function must save and run; any other either saves and
runs, or is refused when saved with its name as the user wrote it. Never a 500, never a
refusal first seen at run time.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.support import create_table, upsert_rows
from tests.tsql_support import save

# §5.1, one call each over the row's columns (Name text, Amount money, Qty int, SoldOn date).
SPEC_FUNCTIONS = {
    "CAST": "CAST(Qty AS VARCHAR(10))",
    "CONVERT": "CONVERT(VARCHAR(10), SoldOn, 103)",
    "TRY_CAST": "TRY_CAST(Name AS INT)",
    "TRY_CONVERT": "TRY_CONVERT(DATETIME, Name)",
    "ROUND": "ROUND(Amount, 1, 1)",
    "DATEDIFF": "DATEDIFF(YEAR, SoldOn, '2030-01-01')",
    "DATEADD": "DATEADD(month, 1, SoldOn)",
    "DATEPART": "DATEPART(week, SoldOn)",
    "DATENAME": "DATENAME(weekday, SoldOn)",
    "YEAR": "YEAR(SoldOn)",
    "MONTH": "MONTH(SoldOn)",
    "DAY": "DAY(SoldOn)",
    "EOMONTH": "EOMONTH(SoldOn)",
    "GETDATE": "GETDATE()",
    "SYSDATETIME": "SYSDATETIME()",
    "FORMAT": "FORMAT(Amount, 'N2')",
    "CONCAT": "CONCAT(Name, Qty, Amount)",
    "CONCAT_WS": "CONCAT_WS('-', Name, Qty)",
    "LEN": "LEN(Name)",
    "LEFT": "LEFT(Name, 2)",
    "RIGHT": "RIGHT(Name, 2)",
    "SUBSTRING": "SUBSTRING(Name, 2, 2)",
    "CHARINDEX": "CHARINDEX('b', Name)",
    "PATINDEX": "PATINDEX('%[b-c]%', Name)",
    "REPLACE": "REPLACE(Name, 'B', 'x')",
    "REPLICATE": "REPLICATE(Name, 2)",
    "STUFF": "STUFF(Name, 1, 1, 'z')",
    "TRIM": "TRIM(Name)",
    "LTRIM": "LTRIM(Name)",
    "RTRIM": "RTRIM(Name)",
    "UPPER": "UPPER(Name)",
    "LOWER": "LOWER(Name)",
    "IIF": "IIF(Qty > 2, 'big', 'small')",
    "CHOOSE": "CHOOSE(Qty, 'a', 'b', 'c')",
    "ISNULL": "ISNULL(Name, 'none')",
    "COALESCE": "COALESCE(Name, 'none')",
    "NULLIF": "NULLIF(Qty, 3)",
    "NEWID": "LEN(CAST(NEWID() AS VARCHAR(36)))",
    "STR": "STR(Amount, 8, 2)",
}
# Aggregates and window functions of §5.1 (a grouped query).
SPEC_AGGREGATES = {
    "STRING_AGG": "STRING_AGG(Name, ',') WITHIN GROUP (ORDER BY Name)",
    "COUNT": "COUNT(DISTINCT Name)",
    "SUM": "SUM(Amount)",
    "AVG": "AVG(Amount)",
    "MIN": "MIN(Name)",
    "MAX": "MAX(SoldOn)",
}
# Common T-SQL functions outside §5.1: either they run, or they are refused when saved.
OTHER_FUNCTIONS = {
    "ABS": "ABS(Amount)", "CEILING": "CEILING(Amount)", "FLOOR": "FLOOR(Amount)",
    "POWER": "POWER(Qty, 2)", "SQRT": "SQRT(Qty)", "SQUARE": "SQUARE(Qty)", "SIGN": "SIGN(Qty)",
    "LOG": "LOG(Qty)", "LOG10": "LOG10(Qty)", "EXP": "EXP(Qty)", "PI": "PI()",
    "SIN": "SIN(Qty)", "COT": "COT(Qty)", "CHAR": "CHAR(65)", "NCHAR": "NCHAR(65)",
    "UNICODE": "UNICODE(Name)", "ASCII": "ASCII(Name)", "SPACE": "SPACE(Qty)",
    "REVERSE": "REVERSE(Name)", "TRANSLATE": "TRANSLATE(Name, 'ab', 'xy')",
    "QUOTENAME": "QUOTENAME(Name)", "ISNUMERIC": "ISNUMERIC(Name)", "ISDATE": "ISDATE(Name)",
    "SOUNDEX": "SOUNDEX(Name)", "DIFFERENCE": "DIFFERENCE(Name, 'abc')",
    "DATALENGTH": "DATALENGTH(Name)", "DATETRUNC": "DATETRUNC(month, SoldOn)",
    "DATEFROMPARTS": "DATEFROMPARTS(2020, Qty, 1)",
    "DATETIMEFROMPARTS": "DATETIMEFROMPARTS(2020, 1, 2, 3, 4, 5, 0)",
    "TIMEFROMPARTS": "TIMEFROMPARTS(1, 2, 3, 0, 0)", "GETUTCDATE": "GETUTCDATE()",
    "SYSUTCDATETIME": "SYSUTCDATETIME()", "SYSDATETIMEOFFSET": "SYSDATETIMEOFFSET()",
    "STRING_ESCAPE": "STRING_ESCAPE(Name, 'json')", "FORMATMESSAGE": "FORMATMESSAGE('%s', Name)",
    "RAND": "RAND(1)", "DEGREES": "DEGREES(Qty)", "RADIANS": "RADIANS(Qty)",
    "ATAN": "ATAN(Qty)", "JSON_VALUE": "JSON_VALUE('{\"a\": 1}', '$.a')", "ISJSON": "ISJSON(Name)",
    "LAG": "LAG(Qty) OVER (ORDER BY Qty)", "NTILE": "NTILE(2) OVER (ORDER BY Qty)",
}  # fmt: skip


@pytest.fixture
def table(api: Api) -> Api:
    create_table(api, "Items", columns=[
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Amount", "ColumnDataTypeId": 4},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "SoldOn", "ColumnDataTypeId": 1},
    ])  # fmt: skip
    upsert_rows(api, "Items", [
        {"Id": 1, "Name": "abc", "Amount": "10.25", "Qty": 3, "SoldOn": "2020-02-29T10:00:00Z"},
        {"Id": 2, "Name": " Bcd ", "Amount": "0.5", "Qty": 1, "SoldOn": "2021-12-31T00:00:00Z"},
        {"Id": 3, "Name": None, "Amount": None, "Qty": 2, "SoldOn": None},
    ], key="Id")  # fmt: skip
    return api


def _saved_then_run(api: Api, sql: str) -> tuple[int, int, str]:
    """(save status, run status or 0, the refusal's text)."""
    name, saved = save(api, sql)
    if saved.status_code != 201:
        return saved.status_code, 0, saved.text
    ran = api.post(f"queries/{name}/execute", json={})
    return saved.status_code, ran.status_code, ran.text


@pytest.mark.parametrize("function", list(SPEC_FUNCTIONS))
def test_spec_function_saves_and_runs(table: Api, function: str) -> None:
    sql = f"SELECT Id, {SPEC_FUNCTIONS[function]} AS v FROM Items ORDER BY Id"
    saved, ran, text = _saved_then_run(table, sql)
    assert (saved, ran) == (201, 200), text


@pytest.mark.parametrize("function", list(SPEC_AGGREGATES))
def test_spec_aggregate_saves_and_runs(table: Api, function: str) -> None:
    sql = f"SELECT Qty % 2 AS g, {SPEC_AGGREGATES[function]} AS v FROM Items GROUP BY Qty % 2"
    saved, ran, text = _saved_then_run(table, sql)
    assert (saved, ran) == (201, 200), text


@pytest.mark.parametrize("function", list(OTHER_FUNCTIONS))
def test_other_function_runs_or_is_refused_by_name(table: Api, function: str) -> None:
    call = OTHER_FUNCTIONS[function]
    sql = f"SELECT Id, {call} AS v FROM Items ORDER BY Id"
    saved, ran, text = _saved_then_run(table, sql)
    if saved == 201:
        assert ran == 200, text  # saved, so it runs
    else:
        assert saved == 400, text
        assert function in text, text
    written = call.replace(function, function.lower(), 1)  # as the user wrote it: lower case
    lowered = _saved_then_run(table, f"SELECT Id, {written} AS v FROM Items ORDER BY Id")
    assert lowered[:2] == (saved, ran), lowered[2]
