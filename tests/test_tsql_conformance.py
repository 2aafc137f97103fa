"""SPEC §5.1, function by function: saved T-SQL answers as SQL Server documents, on SQLite and
PostgreSQL, through HTTP. Every expected value comes from Microsoft's T-SQL reference (the page
is named next to each case; "docs:" below means learn.microsoft.com/sql/t-sql/...), or, where
the page gives a rule rather than an example, from applying that rule by hand (said so).
Text ordering and comparison belong to the collation work and are not tested here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.support import assert_error, create_table, upsert_rows
from tests.tsql_support import answer, run_error, save

ISO = "2007-10-30 12:15:32.1234567"  # the datetime2 of DATEPART's and DATENAME's tables

CASES = [
    # --- numbers ------------------------------------------------------------------------------
    pytest.param(  # docs: functions/cast-and-convert "Truncating and rounding results"
        "SELECT CAST(10.6496 AS INT) AS trunc1, CAST(-10.6496 AS INT) AS trunc2, "
        "CAST(10.6496 AS NUMERIC) AS round1, CAST(-10.6496 AS NUMERIC) AS round2",
        {"trunc1": 10, "trunc2": -10, "round1": 11, "round2": -11},
        id="cast-int-truncates",
    ),
    pytest.param(  # docs: language-elements/divide-transact-sql (integer / integer truncates),
        # language-elements/modulo-transact-sql ("SELECT 38 / 5 AS Integer, 38 % 5 AS Remainder"
        # → 7, 3; the result takes the sign of the dividend)
        "SELECT 38 / 5 AS [Integer], 38 % 5 AS Remainder, -38 / 5 AS NegDiv, -38 % 5 AS NegMod, "
        "38 % -5 AS ModNeg, 7.5 % 2 AS DecMod, 7.0 / 2 AS DecDiv",
        {
            "Integer": 7,
            "Remainder": 3,
            "NegDiv": -7,
            "NegMod": -3,
            "ModNeg": 3,
            "DecMod": 1.5,
            "DecDiv": 3.5,
        },
        id="division-modulo",
    ),
    pytest.param(  # docs: functions/round-transact-sql examples A, B, C
        "SELECT ROUND(123.9994, 3) AS a, ROUND(123.9995, 3) AS b, ROUND(123.4545, 2) AS c, "
        "ROUND(123.45, -2) AS d, ROUND(150.75, 0) AS e, ROUND(150.75, 0, 1) AS f, "
        "ROUND(748.58, -1) AS g, ROUND(748.58, -2) AS h",
        {"a": 123.999, "b": 124, "c": 123.45, "d": 100, "e": 151, "f": 150, "g": 750, "h": 700},
        id="round",
    ),
    pytest.param(  # docs: data-types/float-and-real (approximate) vs decimal-and-numeric (exact)
        "SELECT CAST(0.1 AS DECIMAL(10, 2)) + CAST(0.2 AS DECIMAL(10, 2)) AS Exact, "
        "CAST(0.1 AS FLOAT) + CAST(0.2 AS FLOAT) AS Approximate, 0.1 + 0.2 AS Literals, "
        "3 * 0.15 AS Tax, (1.1 + 2.2) * 3 AS Nested",
        {"Exact": 0.3, "Approximate": 0.1 + 0.2, "Literals": 0.3, "Tax": 0.45, "Nested": 9.9},
        id="decimal-vs-float",
    ),
    pytest.param(  # docs: functions/avg-transact-sql "Return types": int → int (the average
        # of 1 and 2 is 1); stdev-, stdevp-, var-, varp- (sample and population, by the
        # definitions on those pages: values 2,4,4,4,5,5,7,9 have population variance 4)
        "WITH v AS (SELECT x FROM (VALUES (2), (4), (4), (4), (5), (5), (7), (9)) AS t(x)), "
        "w AS (SELECT 1 AS y UNION ALL SELECT 2) "
        "SELECT (SELECT AVG(y) FROM w) AS AvgInt, (SELECT AVG(CAST(y AS FLOAT)) FROM w) AS AvgF, "
        "STDEVP(x) AS Sp, VARP(x) AS Vp, VAR(x) * 7 AS V7, 5 ^ 3 AS Xor FROM v",
        {"AvgInt": 1, "AvgF": 1.5, "Sp": 2.0, "Vp": 4.0, "V7": 32.0, "Xor": 6},
        id="avg-int-stdev-var-xor",
    ),
    # --- dates --------------------------------------------------------------------------------
    pytest.param(  # docs: functions/datediff-transact-sql: the startdate and enddate differ by
        # 100 ns and each statement crosses one boundary of its datepart: "Each returns 1"
        "SELECT "
        + ", ".join(
            f"DATEDIFF({part}, '2005-12-31 23:59:59.9999999', '2006-01-01 00:00:00.0000000') "
            f"AS {part}"
            for part in (
                "year",
                "quarter",
                "month",
                "dayofyear",
                "day",
                "week",
                "hour",
                "minute",
                "second",
                "millisecond",
            )
        ),
        dict.fromkeys(
            (
                "year",
                "quarter",
                "month",
                "dayofyear",
                "day",
                "week",
                "hour",
                "minute",
                "second",
                "millisecond",
            ),
            1,
        ),
        id="datediff-boundaries",
    ),
    pytest.param(  # SPEC §5.1 and docs: datediff "Remarks" (boundaries crossed, not elapsed);
        # the day example is docs' "SELECT DATEDIFF(day, '2007-05-07 09:53:01.0376635', ...)"
        "SELECT DATEDIFF(YEAR, '2009-12-31', '2010-01-01') AS a, "
        "DATEDIFF(year, '2020-01-01', '2020-12-31') AS b, "
        "DATEDIFF(month, '2020-01-31', '2020-02-01') AS c, "
        "DATEDIFF(day, '2007-05-07 09:53:01.0376635', '2007-05-08 09:53:01.0376635') AS d, "
        "DATEDIFF(week, '2024-01-06', '2024-01-07') AS e, "
        "DATEDIFF(day, '2010-01-01', '2009-12-31') AS f",
        {"a": 1, "b": 0, "c": 1, "d": 1, "e": 1, "f": -1},
        id="datediff-counts-boundaries",  # 2024-01-07 is a Sunday: a week boundary
    ),
    pytest.param(  # docs: functions/dateadd-transact-sql "If datepart is month and the date month
        # has more days than the return month ... the last day of the return month is returned"
        "SELECT DATEADD(month, 1, '20060830') AS a, DATEADD(month, 1, '20060831') AS b, "
        "DATEADD(year, 1, '2024-02-29') AS c, DATEADD(day, -1, '2006-01-01') AS d, "
        "DATEADD(hour, 36, '2006-01-01') AS e, DATEADD(quarter, 1, '2006-11-30') AS f",
        {
            "a": "2006-09-30T00:00:00Z",
            "b": "2006-09-30T00:00:00Z",
            "c": "2025-02-28T00:00:00Z",
            "d": "2005-12-31T00:00:00Z",
            "e": "2006-01-02T12:00:00Z",
            "f": "2007-02-28T00:00:00Z",
        },
        id="dateadd",
    ),
    pytest.param(  # docs: functions/datepart-transact-sql, the table of return values for
        # SELECT DATEPART(datepart, '2007-10-30 12:15:32.1234567')
        "SELECT "
        + ", ".join(
            f"DATEPART({part}, '{ISO}') AS [{part}]"
            for part in (
                "year",
                "quarter",
                "month",
                "dayofyear",
                "day",
                "week",
                "weekday",
                "hour",
                "minute",
                "second",
                "millisecond",
                "microsecond",
                "iso_week",
            )
        ),
        {
            "year": 2007,
            "quarter": 4,
            "month": 10,
            "dayofyear": 303,
            "day": 30,
            "week": 44,
            "weekday": 3,
            "hour": 12,
            "minute": 15,
            "second": 32,
            "millisecond": 123,
            "microsecond": 123456,
            "iso_week": 44,
        },
        id="datepart-table",
    ),
    pytest.param(  # docs: functions/datename-transact-sql, the same table for DATENAME
        "SELECT "
        + ", ".join(
            f"DATENAME({part}, '{ISO}') AS [{part}]"
            for part in (
                "year",
                "quarter",
                "month",
                "dayofyear",
                "day",
                "week",
                "weekday",
                "hour",
                "minute",
                "second",
            )
        ),
        {
            "year": "2007",
            "quarter": "4",
            "month": "October",
            "dayofyear": "303",
            "day": "30",
            "week": "44",
            "weekday": "Tuesday",
            "hour": "12",
            "minute": "15",
            "second": "32",
        },
        id="datename-table",
    ),
    pytest.param(  # docs: functions/cast-and-convert, styles 103 / 101 / 104 read a string
        # (dd/mm/yyyy, mm/dd/yyyy, dd.mm.yyyy); datename- results concatenated with +
        "SELECT CONVERT(DATETIME, '17/03/2024', 103) AS a, CONVERT(DATE, '03/17/2024', 101) AS b, "
        "CONVERT(DATETIME, '17.03.2024 10:11:12', 104) AS c, "
        "DATENAME(month, '2024-03-17') + ' ' + DATENAME(year, '2024-03-17') AS d, "
        "FORMAT(5, '00') + ':' + FORMAT(7, '00') AS e",
        {
            "a": "2024-03-17T00:00:00Z",
            "b": "2024-03-17T00:00:00Z",
            "c": "2024-03-17T10:11:12Z",
            "d": "March 2024",
            "e": "05:07",
        },
        id="convert-read-styles-datename-concat",
    ),
    pytest.param(  # docs: functions/year-transact-sql, month-, day- ("returns 2007, 4, 30")
        "SELECT YEAR('2007-04-30T01:01:01.1234567') AS y, MONTH('2007-04-30T01:01:01.1234567') "
        "AS m, DAY('2007-04-30T01:01:01.1234567') AS d, "
        "YEAR(0) AS y0, MONTH(0) AS m0, DAY(0) AS d0",
        {"y": 2007, "m": 4, "d": 30, "y0": 1900, "m0": 1, "d0": 1},
        id="year-month-day",
    ),
    pytest.param(  # docs: functions/eomonth-transact-sql examples A and C ('12/1/2011', ±1)
        "SELECT EOMONTH('12/1/2011') AS [This Month], EOMONTH('12/1/2011', 1) AS [Next Month], "
        "EOMONTH('12/1/2011', -1) AS [Last Month]",
        {
            "This Month": "2011-12-31T00:00:00Z",
            "Next Month": "2012-01-31T00:00:00Z",
            "Last Month": "2011-11-30T00:00:00Z",
        },
        id="eomonth",
    ),
    pytest.param(  # docs: data-types/datetime-transact-sql "Supported string literal formats":
        # ISO 8601 'yyyy-mm-ddThh:mi:ss', unseparated 'yyyymmdd', numeric 'mm/dd/yyyy' (mdy)
        "SELECT DATEDIFF(day, '2020-01-15', '20200116') AS a, "
        "DATEDIFF(day, '01/15/2020', '2020-01-17T10:30:00') AS b, "
        "MONTH('02/03/2020') AS c, DAY('02/03/2020') AS d",
        {"a": 1, "b": 2, "c": 2, "d": 3},
        id="date-literals",
    ),
    pytest.param(  # docs: functions/getdate-transact-sql, sysdatetime-: both are the current time
        "SELECT IIF(GETDATE() > '2020-01-01', 1, 0) AS a, "
        "IIF(SYSDATETIME() > '2020-01-01', 1, 0) AS b, DATEDIFF(year, GETDATE(), "
        "DATEADD(year, 1, SYSDATETIME())) AS c",
        {"a": 1, "b": 1, "c": 1},
        id="getdate-sysdatetime",
    ),
    # --- strings ------------------------------------------------------------------------------
    pytest.param(  # docs: functions/cast-and-convert "Date and time styles" table applied to the
        # docs' own example value 2022-04-18 09:58:04.570 (its example F shows styles 0 and 126)
        "WITH d AS (SELECT CAST('2022-04-18 09:58:04.570' AS DATETIME) AS v) SELECT "
        + ", ".join(
            f"CONVERT(VARCHAR(30), v, {s}) AS s{s}"
            for s in (0, 1, 3, 100, 101, 103, 104, 105, 110, 111, 112, 120, 121, 126)
        )
        + ", CAST(v AS NVARCHAR(30)) AS UsingCast, CONVERT(VARCHAR(10), v, 120) AS cut120, "
        "CONVERT(VARCHAR(5), v, 101) AS cut101, CONVERT(VARCHAR, v, 112) AS nolength FROM d",
        {
            "s0": "Apr 18 2022  9:58AM",
            "s1": "04/18/22",
            "s3": "18/04/22",
            "s100": "Apr 18 2022  9:58AM",
            "s101": "04/18/2022",
            "s103": "18/04/2022",
            "s104": "18.04.2022",
            "s105": "18-04-2022",
            "s110": "04-18-2022",
            "s111": "2022/04/18",
            "s112": "20220418",
            "s120": "2022-04-18 09:58:04",
            "s121": "2022-04-18 09:58:04.570",
            "s126": "2022-04-18T09:58:04.570",
            "UsingCast": "Apr 18 2022  9:58AM",
            "cut120": "2022-04-18",
            "cut101": "04/18",
            "nolength": "20220418",
        },
        id="convert-styles",
    ),
    pytest.param(  # docs: functions/format-transact-sql example C (EndOfDayRate 'N' / 'C'),
        # the custom '###-##-####' example; 'N2', '#,##0.00' and 'P' from .NET's numeric format
        # strings pages (en-US)
        "SELECT FORMAT(1.0002, 'N', 'en-us') AS n1, FORMAT(1.0002, 'C', 'en-us') AS c1, "
        "FORMAT(1.9419, 'N', 'en-us') AS n2, FORMAT(8.2784, 'C', 'en-us') AS c2, "
        "FORMAT(123456789, '###-##-####') AS custom, FORMAT(1234.567, 'N2') AS n3, "
        "FORMAT(1234567.891, '#,##0.00') AS grouped, FORMAT(0.1234, 'P') AS p, "
        "FORMAT(1234, 'D6') AS d6, FORMAT(-1234.5, 'N1') AS neg, FORMAT(0.5, '0.0%') AS pct",
        {
            "n1": "1.00",
            "c1": "$1.00",
            "n2": "1.94",
            "c2": "$8.28",
            "custom": "123-45-6789",
            "n3": "1,234.57",
            "grouped": "1,234,567.89",
            "p": "12.34%",
            "d6": "001234",
            "neg": "-1,234.5",
            "pct": "50.0%",
        },
        id="format-numbers",
    ),
    pytest.param(  # docs: functions/format-transact-sql example A ('11/22/2020', 'd' and 'D'
        # en-US), custom date formats ('dd/MM/yyyy', 'yyyy-MM', 'MMMM yyyy', 'hh:mm tt')
        "WITH d AS (SELECT CAST('11/22/2020 14:05:09' AS DATETIME) AS v) SELECT "
        "FORMAT(v, 'd', 'en-US') AS d, FORMAT(v, 'D', 'en-US') AS long, "
        "FORMAT(v, 'dd/MM/yyyy') AS dmy, FORMAT(v, 'yyyy-MM') AS ym, "
        "FORMAT(v, 'MMMM yyyy') AS my, FORMAT(v, 'hh:mm tt') AS t, "
        "FORMAT(v, 'ddd d MMM HH:mm:ss') AS mix FROM d",
        {
            "d": "11/22/2020",
            "long": "Sunday, November 22, 2020",
            "dmy": "22/11/2020",
            "ym": "2020-11",
            "my": "November 2020",
            "t": "02:05 PM",
            "mix": "Sun 22 Nov 14:05:09",
        },
        id="format-dates",
    ),
    pytest.param(  # docs: functions/concat-transact-sql ("Happy Birthday 11/25"; NULL is ''),
        # concat-ws-transact-sql "Skipping NULL values", string-concatenation-transact-sql (+)
        "SELECT CONCAT('Happy ', 'Birthday ', 11, '/', '25') AS Result, "
        "CONCAT('Name', NULL, 'Last') AS WithNull, CONCAT('Price: ', 1.50) AS Dec, "
        "CONCAT_WS(',', '1 Microsoft Way', NULL, NULL, 'Redmond', 'WA', 98052) AS Address, "
        "'abc' + 'def' AS Plus, 'abc' + NULL AS PlusNull",
        {
            "Result": "Happy Birthday 11/25",
            "WithNull": "NameLast",
            "Dec": "Price: 1.50",
            "Address": "1 Microsoft Way,Redmond,WA,98052",
            "Plus": "abcdef",
            "PlusNull": None,
        },
        id="concat",
    ),
    pytest.param(  # docs: functions/len-transact-sql (trailing spaces excluded), left-, right-,
        # substring- ("SELECT x = SUBSTRING('abcdef', 2, 3)" → 'bcd'), replicate-, stuff-
        # ("STUFF('abcdef', 2, 3, 'ijklmn')" → 'aijklmnef')
        "SELECT LEN('abc   ') AS l1, LEN('   abc') AS l2, LEFT('abcdefg', 2) AS lft, "
        "RIGHT('abcdefg', 2) AS rgt, x = SUBSTRING('abcdef', 2, 3), "
        "REPLICATE('0', 4) + '7' AS rep, STUFF('abcdef', 2, 3, 'ijklmn') AS stf, "
        "STUFF('abc', 5, 1, 'x') AS stfnull",
        {
            "l1": 3,
            "l2": 6,
            "lft": "ab",
            "rgt": "fg",
            "x": "bcd",
            "rep": "00007",
            "stf": "aijklmnef",
            "stfnull": None,
        },
        id="len-left-right-substring",
    ),
    pytest.param(  # docs: functions/charindex-transact-sql ('is' in 'This is a string' → 3;
        # from position 4 → 6; case-insensitive under a CI collation → 11), patindex- ('%ter%'
        # → 3, '%en_ure%' → 8), replace- ('abcdefghicde' → 'abxxxfghixxx'; the default
        # collation is case-insensitive, so 'b' also replaces 'B'); replicate- ("If
        # string_expression isn't of type varchar(max) ... truncates the return value at 8,000")
        "SELECT CHARINDEX('is', 'This is a string') AS c1, "
        "CHARINDEX('is', 'This is a string', 4) AS c2, CHARINDEX('TEST', 'This is a Test') AS c3, "
        "CHARINDEX('z', 'abc') AS c4, PATINDEX('%ter%', 'interesting data') AS p1, "
        "PATINDEX('%en_ure%', 'Please ensure the door is locked!') AS p2, "
        "REPLACE('abcdefghicde', 'cde', 'xxx') AS r1, REPLACE('ABCabc', 'b', 'x') AS r2, "
        "PATINDEX('%[0-9]%', 'ab3c') AS p3, PATINDEX('%c', 'abcd') AS p4, "
        "PATINDEX('a%', 'abc') AS p5, LEN(REPLICATE('ab', 100000)) AS rep",
        {
            "c1": 3,
            "c2": 6,
            "c3": 11,
            "c4": 0,
            "p1": 3,
            "p2": 8,
            "r1": "abxxxfghixxx",
            "r2": "AxCaxc",
            "p3": 3,
            "p4": 0,
            "p5": 1,
            "rep": 8000,
        },
        id="charindex-patindex-replace",
    ),
    pytest.param(  # docs: functions/trim-, ltrim-, rtrim-transact-sql examples; upper-/lower-
        # work on all of Unicode (nvarchar); 'ß' has no single upper-case letter and stays
        "SELECT TRIM('     test    ') AS t, LTRIM('     Five spaces') AS l, "
        "RTRIM('Removes trailing spaces.   ') AS r, UPPER(N'Luís') AS u1, LOWER(N'ÉCOLE') AS l1, "
        "UPPER(N'straße') AS u2, LOWER(N'ΑΘΗΝΑ') AS l2",
        {
            "t": "test",
            "l": "Five spaces",
            "r": "Removes trailing spaces.",
            "u1": "LUÍS",
            "l1": "école",
            "u2": "STRAßE",
            "l2": "αθηνα",
        },
        id="trim-upper-lower",
    ),
    pytest.param(  # docs: functions/translate-transact-sql example ('2*[3+4]/{7-2}'),
        # reverse-, ascii-, datefromparts- ("DATEFROMPARTS(2010, 12, 31)" → 2010-12-31)
        "SELECT TRANSLATE('2*[3+4]/{7-2}', '[]{}', '()()') AS tr, REVERSE('abc') AS rv, "
        "ASCII('A') AS asc1, DATEFROMPARTS(2010, 12, 31) AS dfp, "
        "IIF(GETUTCDATE() > '2020-01-01', 1, 0) AS utc",
        {"tr": "2*(3+4)/(7-2)", "rv": "cba", "asc1": 65, "dfp": "2010-12-31T00:00:00Z", "utc": 1},
        id="translate-reverse-ascii-datefromparts",
    ),
    # --- forms without tables -------------------------------------------------------------------
    pytest.param(  # docs: functions/logical-functions-iif, -choose ("CHOOSE(3, 'Manager',
        # 'Director', 'Developer', 'Tester')" → 'Developer'), isnull-, coalesce-, nullif-
        "SELECT IIF(45 > 30, 'TRUE', 'FALSE') AS iif1, "
        "CHOOSE(3, 'Manager', 'Director', 'Developer', 'Tester') AS ch, "
        "CHOOSE(5, 'a', 'b') AS ch0, "
        "ISNULL(NULL, 'x') AS isn, COALESCE(NULL, NULL, 3) AS coa, NULLIF(4, 4) AS nul, "
        "NULLIF(4, 5) AS nul2, LEN(CAST(NEWID() AS VARCHAR(36))) AS idlen",
        {
            "iif1": "TRUE",
            "ch": "Developer",
            "ch0": None,
            "isn": "x",
            "coa": 3,
            "nul": None,
            "nul2": 4,
            "idlen": 36,
        },
        id="iif-choose-isnull-nullif-newid",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), CASES)
def test_documented_answer(api: Api, sql: str, expected: dict[str, Any]) -> None:
    assert answer(api, sql) == [expected]


# --- recursion (docs: queries/with-common-table-expression, "Guidelines for defining and using
# recursive common table expressions": 100 levels by default, MAXRECURSION 0 = no limit) -------

COUNT_TO = (
    "WITH n AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM n WHERE x < {top}) "
    "SELECT COUNT(*) AS c, MAX(x) AS m FROM n"
)


@pytest.mark.parametrize(
    ("top", "option", "count"),
    [
        (101, "", 101),
        (150, " OPTION (MAXRECURSION 200)", 150),
        (500, " OPTION (MAXRECURSION 0)", 500),
    ],
)
def test_recursion_within_limit(api: Api, top: int, option: str, count: int) -> None:
    assert answer(api, COUNT_TO.format(top=top) + option) == [{"c": count, "m": count}]


@pytest.mark.parametrize(
    ("top", "option", "limit"), [(102, "", 100), (20, " OPTION (MAXRECURSION 10)", 10)]
)
def test_recursion_past_limit_fails(api: Api, top: int, option: str, limit: int) -> None:
    response = run_error(api, COUNT_TO.format(top=top) + option)
    assert_error(response, 400, f"maximum recursion {limit} has been exhausted")


def test_recursion_with_column_list_and_two_anchors(api: Api) -> None:
    """A CTE with a column list and two anchor members: each anchor row starts at level 0, and
    the level limit holds per chain (docs: with-common-table-expression, multiple anchors)."""
    sql = (
        "WITH r (n, tag) AS (SELECT 1, 'a' UNION ALL SELECT 1000, 'b' UNION ALL "
        "SELECT n + 1, tag FROM r WHERE n < 120 OR (tag = 'b' AND n < 1005)) "
        "SELECT tag, COUNT(*) AS c, MAX(n) AS m FROM r GROUP BY tag ORDER BY c "
        "OPTION (MAXRECURSION 150)"
    )
    assert answer(api, sql) == [{"tag": "b", "c": 6, "m": 1005}, {"tag": "a", "c": 120, "m": 120}]


# --- forms over a table ----------------------------------------------------------------------


@pytest.fixture
def scores(api: Api) -> Api:
    """Eight sales: ties on Amount and rows per region and year, for TOP and PIVOT."""
    create_table(api, "Sales", columns=[
        {"ColumnName": "Region", "ColumnDataTypeId": 6},
        {"ColumnName": "SaleYear", "ColumnDataTypeId": 3},
        {"ColumnName": "Amount", "ColumnDataTypeId": 3},
        {"ColumnName": "SoldOn", "ColumnDataTypeId": 1},
    ])  # fmt: skip
    rows = [
        (1, "East", 2020, 50, "2020-03-01T10:00:00Z"),
        (2, "East", 2021, 70, "2021-06-15T00:00:00Z"),
        (3, "West", 2020, 70, "2020-12-31T23:59:59Z"),
        (4, "West", 2021, 90, "2021-01-01T00:00:00Z"),
        (5, "West", 2021, 10, "2021-02-28T08:30:00Z"),
        (6, "North", 2020, 70, "2020-07-04T12:00:00Z"),
        (7, "North", 2021, 30, "2021-11-11T11:11:11Z"),
        (8, "East", 2020, 20, "2020-01-15T00:00:00Z"),
    ]
    upsert_rows(api, "Sales", [
        {"Id": i, "Region": r, "SaleYear": y, "Amount": a, "SoldOn": d} for i, r, y, a, d in rows
    ], key="Id")  # fmt: skip
    return api


FORMS = [
    pytest.param(  # docs: queries/top-transact-sql "WITH TIES": rows tied with the last one
        "SELECT TOP 2 WITH TIES Id, Amount FROM Sales ORDER BY Amount DESC",
        [
            {"Id": 4, "Amount": 90},
            {"Id": 2, "Amount": 70},
            {"Id": 3, "Amount": 70},
            {"Id": 6, "Amount": 70},
        ],
        id="top-with-ties",
    ),
    pytest.param(  # docs: top-transact-sql "PERCENT": the row count is rounded up (8 * 30% →
        # 2.4 → 3 rows)
        "SELECT TOP 30 PERCENT Id FROM Sales ORDER BY Id",
        [{"Id": 1}, {"Id": 2}, {"Id": 3}],
        id="top-percent",
    ),
    pytest.param(  # docs: queries/select-order-by-clause-transact-sql OFFSET / FETCH
        "SELECT Id FROM Sales ORDER BY Id OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY",
        [{"Id": 3}, {"Id": 4}, {"Id": 5}],
        id="offset-fetch",
    ),
    pytest.param(  # docs: queries/select-over-clause-transact-sql (running totals, RANK)
        "SELECT Id, SUM(Amount) OVER (ORDER BY Id ROWS UNBOUNDED PRECEDING) AS Running, "
        "RANK() OVER (ORDER BY Amount DESC) AS Rnk FROM Sales WHERE Id <= 4 ORDER BY Id",
        [
            {"Id": 1, "Running": 50, "Rnk": 4},
            {"Id": 2, "Running": 120, "Rnk": 2},
            {"Id": 3, "Running": 190, "Rnk": 2},
            {"Id": 4, "Running": 280, "Rnk": 1},
        ],
        id="window-functions",
    ),
    pytest.param(  # docs: functions/avg-transact-sql (int → int) also over a window; stdevp-
        # over a window (population deviation of 50, 20 → 15)
        "SELECT Id, AVG(Amount) OVER (PARTITION BY Region) AS RegionAvg, "
        "STDEVP(Amount) OVER (PARTITION BY Region, SaleYear) AS Spread "
        "FROM Sales WHERE Region = 'East' ORDER BY Id",
        [
            {"Id": 1, "RegionAvg": 46, "Spread": 15.0},
            {"Id": 2, "RegionAvg": 46, "Spread": 0.0},
            {"Id": 8, "RegionAvg": 46, "Spread": 15.0},
        ],
        id="avg-int-stdevp-over-window",
    ),
    pytest.param(  # docs: queries/from-using-pivot-and-unpivot ("basic PIVOT example")
        "SELECT SaleYear, [East], [West], [North] "
        "FROM (SELECT Region, SaleYear, Amount FROM Sales) AS src "
        "PIVOT (SUM(Amount) FOR Region IN ([East], [West], [North])) AS pvt ORDER BY SaleYear",
        [
            {"SaleYear": 2020, "East": 70, "West": 70, "North": 70},
            {"SaleYear": 2021, "East": 70, "West": 100, "North": 30},
        ],
        id="pivot",
    ),
    pytest.param(  # docs: from-using-pivot-and-unpivot ("UNPIVOT example"; NULLs are dropped)
        "SELECT Id, Measure, Val FROM (SELECT Id, Amount, SaleYear FROM Sales WHERE Id <= 2) AS s "
        "UNPIVOT (Val FOR Measure IN (Amount, SaleYear)) AS u ORDER BY Id, Val",
        [
            {"Id": 1, "Measure": "Amount", "Val": 50},
            {"Id": 1, "Measure": "SaleYear", "Val": 2020},
            {"Id": 2, "Measure": "Amount", "Val": 70},
            {"Id": 2, "Measure": "SaleYear", "Val": 2021},
        ],
        id="unpivot",
    ),
    pytest.param(  # docs: data-types/datetime-transact-sql literal formats, compared with a date
        "SELECT Id FROM Sales WHERE SoldOn >= '01/01/2021' AND SoldOn < '20210301' "
        "OR SoldOn = '2020-01-15' OR SoldOn = '2020-12-31T23:59:59' ORDER BY Id",
        [{"Id": 3}, {"Id": 4}, {"Id": 5}, {"Id": 8}],
        id="date-literals-vs-column",
    ),
    pytest.param(  # the same literals against a date (CAST(... AS DATE), EOMONTH): no time part
        "SELECT Id FROM Sales WHERE CAST(SoldOn AS DATE) = '03/01/2020' "
        "OR EOMONTH(SoldOn) = '20210228' ORDER BY Id",
        [{"Id": 1}, {"Id": 5}],
        id="date-literals-vs-date",
    ),
    pytest.param(  # docs: functions/string-agg-transact-sql "WITHIN GROUP (ORDER BY ...)"
        "SELECT SaleYear, STRING_AGG(Id, ';') WITHIN GROUP (ORDER BY Amount DESC, Id) AS Ids "
        "FROM Sales GROUP BY SaleYear ORDER BY SaleYear",
        [{"SaleYear": 2020, "Ids": "3;6;1;8"}, {"SaleYear": 2021, "Ids": "4;2;7;5"}],
        id="string-agg-ordered",
    ),
    pytest.param(  # docs: CONVERT styles on a datetime2 column (7 fractional digits for 121)
        "SELECT CONVERT(VARCHAR(30), SoldOn, 121) AS s121, CONVERT(VARCHAR(10), SoldOn, 103) AS "
        "s103, DATENAME(weekday, SoldOn) AS wd, FORMAT(SoldOn, 'yyyy-MM') AS ym FROM Sales "
        "WHERE Id = 5",
        [
            {
                "s121": "2021-02-28 08:30:00.0000000",
                "s103": "28/02/2021",
                "wd": "Sunday",
                "ym": "2021-02",
            }
        ],
        id="convert-datetime2-column",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), FORMS)
def test_documented_form(scores: Api, sql: str, expected: list[dict[str, Any]]) -> None:
    assert answer(scores, sql) == expected


APPLY = [
    pytest.param(  # docs: queries/from-transact-sql "Using CROSS APPLY": the best sale of each
        # sale's region (the region's top amount), rows without a match dropped
        "SELECT s.Id, t.Amount FROM Sales s CROSS APPLY (SELECT TOP 1 x.Amount FROM Sales x "
        "WHERE x.Region = s.Region ORDER BY x.Amount DESC) t WHERE s.Id IN (1, 7) ORDER BY s.Id",
        [{"Id": 1, "Amount": 70}, {"Id": 7, "Amount": 70}],
        id="cross-apply-top",
    ),
    pytest.param(  # docs: from-transact-sql "OUTER APPLY": a row without a match keeps NULLs
        "SELECT s.Id, t.Id AS Bigger FROM Sales s OUTER APPLY (SELECT x.Id FROM Sales x "
        "WHERE x.Region = s.Region AND x.Amount - 20 = s.Amount) t WHERE s.Region = 'West' "
        "ORDER BY s.Id",
        [{"Id": 3, "Bigger": 4}, {"Id": 4, "Bigger": None}, {"Id": 5, "Bigger": None}],
        id="outer-apply-unmatched",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), APPLY)
def test_apply(scores: Api, backend: Any, sql: str, expected: list[dict[str, Any]]) -> None:
    """docs: queries/from-transact-sql "Using APPLY"; on SQLite (no LATERAL) as a join."""
    assert answer(scores, sql) == expected


def test_apply_refused_on_sqlite_when_not_a_join(scores: Api, backend: Any) -> None:
    """An aggregate inside APPLY cannot become a join on SQLite: refused when saved, naming
    the form as written; PostgreSQL runs it (LATERAL)."""
    sql = (
        "SELECT s.Id, t.Total FROM Sales s CROSS APPLY (SELECT SUM(x.Amount) AS Total "
        "FROM Sales x WHERE x.Region = s.Region) t WHERE s.Id = 1"
    )
    if backend.name == "sqlite":
        _, saved = save(scores, sql)
        assert_error(saved, 400, "CROSS APPLY")
        return
    assert answer(scores, sql) == [{"Id": 1, "Total": 140}]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT FORMAT(1, 'N', 'de-DE') AS x", "FORMAT"),
        ("SELECT CONVERT(VARCHAR(20), CAST('2020-01-01' AS DATETIME), 13) AS x", "CONVERT"),
        ("SELECT DATEADD(nanosecond, 1, '2020-01-01') AS x", "DATEADD"),
        ("SELECT TOP 1 WITH TIES 1 AS x", "WITH TIES"),
        ("SELECT DATETRUNC(month, '2020-05-05') AS x", "DATETRUNC"),
    ],
)
def test_refused_at_save_time(api: Api, sql: str, named: str) -> None:
    _, saved = save(api, sql)
    assert_error(saved, 400, named)
