"""Our PostgreSQL dialect: T-SQL meaning on PostgreSQL (SPEC §5.1), translated to built-ins,
one TRANSFORMS entry per function: CAST to an integer truncates, DATEDIFF counts boundaries,
weeks start on Sunday, CHARINDEX / PATINDEX / REPLACE compare case-insensitively as the default
collation does, FORMAT and CONVERT styles become TO_CHAR patterns, GETDATE is local time.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.postgres import PostgresGenerator

from ddl.errors import ValidationError
from queries.dialects import common, decimals, like, pg_format
from queries.dialects.reader import TsqlDateName, TsqlFormat
from queries.dialects.tsql_dates import (
    ISO_STYLES,
    STYLE_ORDERS,
    parse_styled,
    part_name,
    to_datetime,
)
from queries.dialects.tsql_format import DATE_STYLES, check_culture
from queries.dialects.tsql_strings import REPLICATE_LIMIT, patindex_regex

_INTERVALS = {
    "year": "1 year", "quarter": "3 months", "month": "1 month", "day": "1 day",
    "dayofyear": "1 day", "weekday": "1 day", "week": "7 days", "hour": "1 hour",
    "minute": "1 minute", "second": "1 second", "millisecond": "1 millisecond",
    "microsecond": "1 microsecond",
}  # fmt: skip
_SECONDS = {"hour": 3600, "minute": 60, "second": 1}


def _ts(self: PostgresGenerator, node: exp.Expr) -> str:
    """A date argument as a timestamp; a literal is read as SQL Server reads it, here."""
    value = common.bare(node)
    if isinstance(value, exp.Literal) and value.is_string:
        try:
            parsed = to_datetime(value.this)
        except ValueError:
            raise ValidationError(
                "Conversion failed when converting date and/or time from character string "
                f"'{value.this[:40]}'"
            ) from None
        return f"CAST('{parsed}' AS TIMESTAMP)"
    if isinstance(value, exp.Literal):  # a number of days since 1900-01-01, as SQL Server
        return f"CAST('{to_datetime(float(value.this))}' AS TIMESTAMP)"
    return f"CAST({self.sql(value)} AS TIMESTAMP)"


_NUMBER_SQL = {
    common.T.TINYINT: ("SMALLINT", 0, 255), common.T.SMALLINT: ("SMALLINT", -(2**15), 2**15 - 1),
    common.T.INT: ("INT", -(2**31), 2**31 - 1), common.T.BIGINT: ("BIGINT", -(2**63), 2**63 - 1),
}  # fmt: skip
_DECIMAL_TEXT = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_FLOAT_TEXT = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


_ISO_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$"


def _try_date(self: PostgresGenerator, node: exp.Cast) -> str:
    """TRY_CAST of text to a date type: a literal is read now (NULL if SQL Server could not);
    other text must look like an ISO date first (a day past the month's end still fails)."""
    target, value = node.to, node.this
    kind = "DATE" if target.this == common.T.DATE else "TIMESTAMP"
    if isinstance(value, exp.Literal) and value.is_string:
        try:
            parsed = to_datetime(value.this)
        except ValueError:
            return f"CAST(NULL AS {kind})"
        return f"CAST('{parsed}' AS {kind})"
    text = f"TRIM(CAST({self.sql(value)} AS TEXT))"
    return f"(CASE WHEN {text} ~ '{_ISO_DATE_TEXT}' THEN CAST({text} AS {kind}) END)"


def _try_number(self: PostgresGenerator, node: exp.Cast) -> str | None:
    """TRY_CAST / TRY_CONVERT of text to a number: NULL where CAST would fail (PostgreSQL has
    no TRY_CAST; the text is checked by pattern, and an integer's range, first)."""
    target, value = node.to, node.this
    if not node.args.get("safe") or common.kind(value) not in ("text", "unknown"):
        return None
    if target.this in common.DATE_KINDS:
        return _try_date(self, node)
    text = f"TRIM(CAST({self.sql(value)} AS TEXT))"
    if target.this in _NUMBER_SQL:
        name, low, high = _NUMBER_SQL[target.this]
        return (
            f"(CASE WHEN {text} ~ '^[-+]?[0-9]{{1,40}}$' THEN CASE WHEN CAST({text} AS NUMERIC) "
            f"BETWEEN {low} AND {high} THEN CAST({text} AS {name}) END END)"
        )
    if target.this in (common.T.DECIMAL, common.T.MONEY, common.T.SMALLMONEY):
        name = self.sql(target) if target.expressions else "NUMERIC(18, 0)"
        if target.this != common.T.DECIMAL:
            name = "NUMERIC(19, 4)"
        return f"(CASE WHEN {text} ~ '{_DECIMAL_TEXT}' THEN CAST({text} AS {name}) END)"
    if target.this in (common.T.FLOAT, common.T.DOUBLE):
        return f"(CASE WHEN {text} ~ '{_FLOAT_TEXT}' THEN CAST({text} AS DOUBLE PRECISION) END)"
    return None


def float_text(sql: str) -> str:
    """A FLOAT as SQL Server writes it by default (CAST to VARCHAR, CONCAT): 6 significant
    digits, scientific with a 3-digit exponent outside 1e-4 .. 1e6 ('1.23457e+008'), as
    C's %g. PostgreSQL writes all digits; computed here in NUMERIC so powers of ten are exact."""
    exponent = "CAST(FLOOR(LOG(ABS({0}))) AS INT)"
    first = exponent.format("CAST(NULLIF(v, 0) AS NUMERIC)")
    fixed = "CAST(TRIM_SCALE(ROUND(r, 5 - e)) AS TEXT)"
    scientific = (
        "CAST(TRIM_SCALE(ROUND(r / POWER(CAST(10 AS NUMERIC), e), 5)) AS TEXT) || 'e' || "
        "CASE WHEN e < 0 THEN '-' ELSE '+' END || LPAD(CAST(ABS(e) AS TEXT), 3, '0')"
    )
    return (
        f"(SELECT CASE WHEN v = 0 THEN '0' WHEN e BETWEEN -4 AND 5 THEN {fixed} "
        f"ELSE {scientific} END FROM (SELECT v, r, {exponent.format('r')} AS e FROM "
        f"(SELECT v, ROUND(CAST(v AS NUMERIC), 5 - {first}) AS r FROM "
        f"(SELECT CAST({sql} AS DOUBLE PRECISION) AS v) AS ct_f1) AS ct_f2) AS ct_f3)"
    )


def _is_float(node: exp.Expr) -> bool:
    return decimals.is_float(node)


def _cast(self: PostgresGenerator, node: exp.Cast) -> str:
    tried = _try_number(self, node)
    if tried is not None:
        return tried
    target, value = node.to, node.this
    source = common.kind(value)
    if target.this in common.TEXTS and _is_float(value):
        length = common.text_length(target)
        text = float_text(self.sql(value))
        return f"LEFT({text}, {length})" if length else text
    empty_is_zero = target.this in (*_NUMBER_SQL, common.T.FLOAT, common.T.DOUBLE)
    if empty_is_zero and source == "text" and not isinstance(value, exp.Literal):
        # SQL Server reads '' (or spaces) as 0 for int and float; PostgreSQL refuses it
        text = self.sql(value)
        name = _NUMBER_SQL[target.this][0] if target.this in _NUMBER_SQL else "DOUBLE PRECISION"
        return f"(CASE WHEN TRIM({text}) = '' THEN 0 ELSE CAST({text} AS {name}) END)"
    fraction = common.type_of(value) in common.FRACTIONS or (
        isinstance(value, exp.Literal) and not value.is_string and not value.is_int
    )
    if target.this in common.TEXTS and common.is_money(value):
        return _money_text(self, value, 0, common.text_length(target))
    if target.this in (common.T.MONEY, common.T.SMALLMONEY):  # not PostgreSQL's own money
        return f"CAST({self.sql(value)} AS NUMERIC(19, 4))"
    if target.this == common.T.BIT:  # bit: 1 / 0, which the answer shows as true / false
        return f"CAST({self.sql(value)} AS BOOLEAN)"
    if target.this in common.TEXTS and source not in ("datetime", "datetime2", "date"):
        length = common.text_length(target)  # VARCHAR → VARCHAR(30), VARCHAR(MAX) → TEXT
        return f"CAST({self.sql(value)} AS {f'VARCHAR({length})' if length else 'TEXT'})"
    if target.this == common.T.FLOAT:  # T-SQL FLOAT is FLOAT(53): a double, not a real
        return f"CAST({self.sql(value)} AS DOUBLE PRECISION)"
    if target.this == common.T.DECIMAL and not target.expressions:  # T-SQL: DECIMAL(18, 0)
        return f"CAST({self.sql(value)} AS NUMERIC(18, 0))"
    if target.this in common.INTEGERS - {common.T.BIT, common.T.BOOLEAN} and fraction:
        name = "SMALLINT" if target.this == common.T.TINYINT else self.sql(target)
        return f"CAST(TRUNC({self.sql(value)}) AS {name})"
    if target.this in common.TEXTS and source in ("datetime", "datetime2", "date"):
        style = 0 if source == "datetime" else 121
        return _styled(self, value, style, common.text_length(target), source)
    return PostgresGenerator.cast_sql(self, node)


def _money_text(
    self: PostgresGenerator, value: exp.Expr, style: int, length: int | None
) -> str:
    """MONEY as SQL Server writes it: two places (style 0), with thousands separators (1), four
    places (2); see tsql_numbers.money_text."""
    rounded = f"ROUND(CAST({self.sql(value)} AS NUMERIC), {4 if style == 2 else 2})"
    text = (
        f"TO_CHAR({rounded}, 'FM999,999,999,999,999,990.00')" if style == 1
        else f"CAST({rounded} AS TEXT)"
    )  # fmt: skip
    return f"LEFT({text}, {length or 30})"


def _styled(
    self: PostgresGenerator, value: exp.Expr, style: int, length: int | None, kind: str
) -> str:
    ts = _ts(self, value)
    fraction = "MS" if kind == "datetime" else "US"
    patterns = {
        1: "MM/DD/YY", 101: "MM/DD/YYYY", 3: "DD/MM/YY", 103: "DD/MM/YYYY", 104: "DD.MM.YYYY",
        105: "DD-MM-YYYY", 110: "MM-DD-YYYY", 111: "YYYY/MM/DD", 112: "YYYYMMDD",
        120: "YYYY-MM-DD HH24:MI:SS", 121: f"YYYY-MM-DD HH24:MI:SS.{fraction}",
    }  # fmt: skip
    if kind == "date" and style in (120, 121, 126):
        text = f"TO_CHAR({ts}, 'YYYY-MM-DD')"
    elif style in patterns:
        text = f"TO_CHAR({ts}, '{patterns[style]}')"
        if style == 121 and kind != "datetime":
            text = f"({text} || '0')"  # datetime2 has 7 digits, PostgreSQL keeps 6
    elif style in (0, 100):
        text = (
            f"(TO_CHAR({ts}, 'Mon ') || LPAD(TO_CHAR({ts}, 'FMDD'), 2, ' ') || "
            f"TO_CHAR({ts}, ' YYYY ') || LPAD(TO_CHAR({ts}, 'FMHH12'), 2, ' ') || "
            f"TO_CHAR({ts}, ':MIAM'))"
        )
    elif style == 126:
        digits = "MS" if kind == "datetime" else "US"
        text = (
            f"(TO_CHAR({ts}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"EXTRACT(MICROSECONDS FROM {ts}) % 1000000 = 0 THEN '' "
            f"ELSE TO_CHAR({ts}, '.{digits}') END)"
        )
    else:
        raise ValidationError(f"CONVERT style {style} is not supported")
    return f"LEFT({text}, {length})" if length else text


def _convert(self: PostgresGenerator, node: exp.Convert) -> str:
    target, value, style = node.this, node.expression, node.args.get("style")
    if style is not None and target.this in common.DATE_KINDS:  # reading text in that style
        return _parse_styled(self, value, style, target)
    if style is None or target.this not in common.TEXTS:
        return _cast(self, exp.Cast(this=value, to=target, safe=node.args.get("safe")))
    if common.is_money(value):
        return _money_text(self, value, common.money_style(self, style), common.text_length(target))
    number = common.literal_int(style)
    if number is None or number not in DATE_STYLES:
        raise ValidationError(f"CONVERT style {self.sql(style)} is not supported")
    kind = common.kind(value)
    if kind not in ("datetime", "datetime2", "date"):  # a style changes only dates here
        return _cast(self, exp.Cast(this=value, to=target))
    return _styled(self, value, number, common.text_length(target), kind)


_STYLE_PATTERNS = {"mdy": "MM{0}DD{0}YYYY", "dmy": "DD{0}MM{0}YYYY", "ymd": "YYYY{0}MM{0}DD"}


def _parse_styled(
    self: PostgresGenerator, value: exp.Expr, style: exp.Expr, target: exp.DataType
) -> str:
    """CONVERT(DATETIME, text, style): a literal is read now, a column by TO_TIMESTAMP."""
    number = common.literal_int(style)
    if number is None or not (number in STYLE_ORDERS or number in ISO_STYLES):
        raise ValidationError(f"CONVERT style {self.sql(style)} is not supported")
    kind = "DATE" if target.this == common.T.DATE else "TIMESTAMP"
    if isinstance(value, exp.Literal) and value.is_string:
        try:
            parsed = parse_styled(value.this, number)
        except ValueError:
            raise ValidationError(
                "Conversion failed when converting date and/or time from character string "
                f"'{value.this[:40]}'"
            ) from None
        return f"CAST('{parsed}' AS {kind})"
    if number in ISO_STYLES:
        return f"CAST({self.sql(value)} AS {kind})"
    order, separator = STYLE_ORDERS[number]
    pattern = _STYLE_PATTERNS[order].format(separator)
    if number < 100:
        pattern = pattern.replace("YYYY", "YY")
    return f"CAST(TO_TIMESTAMP({self.sql(value)}, '{pattern} HH24:MI:SS') AS {kind})"


def _format(self: PostgresGenerator, node: TsqlFormat) -> str:
    culture, pattern = node.args.get("culture"), node.args["format"]
    check_culture(culture.name if isinstance(culture, exp.Literal) else None)
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise ValidationError("FORMAT needs a literal format string on PostgreSQL")
    if common.kind(node.this) in ("date", "datetime", "datetime2"):
        to_char = pg_format.date_pattern(pattern.this).replace("'", "''")
        return f"TO_CHAR({_ts(self, node.this)}, '{to_char}')"
    return pg_format.number_sql(self.sql(node.this), pattern.this)


def _datediff(self: PostgresGenerator, node: exp.DateDiff) -> str:
    kind = part_name(common.unit(node))
    start, end = _ts(self, node.expression), _ts(self, node.this)
    if kind == "year":
        return f"CAST(EXTRACT(YEAR FROM {end}) - EXTRACT(YEAR FROM {start}) AS INT)"
    if kind in ("quarter", "month"):
        size = "4" if kind == "quarter" else "12"
        part = "QUARTER" if kind == "quarter" else "MONTH"
        return (
            f"CAST((EXTRACT(YEAR FROM {end}) - EXTRACT(YEAR FROM {start})) * {size} + "
            f"EXTRACT({part} FROM {end}) - EXTRACT({part} FROM {start}) AS INT)"
        )
    if kind in ("day", "dayofyear", "weekday"):
        return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"
    if kind == "week":  # Sundays crossed: days since a Sunday, floored to weeks
        sunday = "DATE '1900-01-07'"
        return (
            f"(CAST(FLOOR((CAST({end} AS DATE) - {sunday}) / 7.0) AS INT) - "
            f"CAST(FLOOR((CAST({start} AS DATE) - {sunday}) / 7.0) AS INT))"
        )
    if kind in _SECONDS:
        unit = kind.upper()
        return (
            f"CAST((EXTRACT(EPOCH FROM DATE_TRUNC('{unit}', {end})) - "
            f"EXTRACT(EPOCH FROM DATE_TRUNC('{unit}', {start}))) / {_SECONDS[kind]} AS BIGINT)"
        )
    if kind == "millisecond":
        return (
            f"CAST(FLOOR(EXTRACT(EPOCH FROM DATE_TRUNC('MILLISECONDS', {end})) * 1000) - "
            f"FLOOR(EXTRACT(EPOCH FROM DATE_TRUNC('MILLISECONDS', {start})) * 1000) AS BIGINT)"
        )
    raise ValidationError(f"DATEDIFF does not support the date part {common.unit(node)}")


def _dateadd(self: PostgresGenerator, node: exp.DateAdd) -> str:
    kind = part_name(common.unit(node))
    if kind not in _INTERVALS:
        raise ValidationError(f"DATEADD does not support the date part {common.unit(node)}")
    number = f"CAST(TRUNC({self.sql(node.expression)}) AS INT)"
    return f"({_ts(self, node.this)} + {number} * INTERVAL '{_INTERVALS[kind]}')"


def _datepart(self: PostgresGenerator, part: str, node: exp.Expr) -> str:
    kind = part_name(part)
    ts = _ts(self, node)
    simple = {
        "year": "YEAR", "quarter": "QUARTER", "month": "MONTH", "day": "DAY",
        "dayofyear": "DOY", "hour": "HOUR", "minute": "MINUTE", "iso_week": "WEEK",
    }  # fmt: skip
    if kind in simple:
        return f"CAST(EXTRACT({simple[kind]} FROM {ts}) AS INT)"
    if kind == "weekday":
        return f"CAST(EXTRACT(DOW FROM {ts}) + 1 AS INT)"
    if kind == "second":
        return f"CAST(FLOOR(EXTRACT(SECOND FROM {ts})) AS INT)"
    if kind == "millisecond":
        return f"CAST(FLOOR(EXTRACT(MILLISECONDS FROM {ts})) AS INT) % 1000"
    if kind == "microsecond":
        return f"CAST(EXTRACT(MICROSECONDS FROM {ts}) AS INT) % 1000000"
    if kind == "week":  # week 1 holds January 1st; weeks start on Sunday
        year = f"CAST(DATE_TRUNC('YEAR', {ts}) AS DATE)"
        return (
            f"CAST(FLOOR((CAST({ts} AS DATE) - {year} + EXTRACT(DOW FROM {year})) / 7) + 1 AS INT)"
        )
    raise ValidationError(f"DATEPART does not support the date part {part}")


def _datename(self: PostgresGenerator, node: TsqlDateName) -> str:
    kind = part_name(node.this.name)
    if kind == "month":
        return f"TO_CHAR({_ts(self, node.expression)}, 'FMMonth')"
    if kind == "weekday":
        return f"TO_CHAR({_ts(self, node.expression)}, 'FMDay')"
    return f"CAST({_datepart(self, kind, node.expression)} AS TEXT)"


def _eomonth(self: PostgresGenerator, node: exp.LastDay) -> str:
    inner, months = node.this, "0"
    if isinstance(inner, exp.DateAdd):
        inner, months = inner.this, self.sql(inner.expression)
    start = f"DATE_TRUNC('MONTH', {_ts(self, inner)})"
    return f"CAST({start} + ({months} + 1) * INTERVAL '1 month' - INTERVAL '1 day' AS DATE)"


def _text(self: PostgresGenerator, node: exp.Expr) -> str:
    return f"CAST({self.sql(common.untext(node))} AS TEXT)"


def _charindex(self: PostgresGenerator, node: exp.StrPosition) -> str:
    find = f"LOWER({_text(self, node.args['substr'])})"
    text = f"LOWER({_text(self, node.this)})"
    start = node.args.get("position")
    if start is None:
        return f"STRPOS({text}, {find})"
    begin = f"GREATEST(CAST({self.sql(start)} AS INT), 1)"
    found = f"STRPOS(SUBSTRING({text} FROM {begin}), {find})"
    return f"(CASE WHEN {found} = 0 THEN 0 ELSE {found} + {begin} - 1 END)"


def _regex(text: str) -> str:
    return re.sub(r"([^\w\s])", r"\\\1", text).replace("'", "''")


def _replace(self: PostgresGenerator, node: exp.Replace) -> str:
    find, replacement = node.args["expression"], node.args["replacement"]
    text = _text(self, node.this)
    if not (isinstance(find, exp.Literal) and find.is_string):
        return f"REPLACE({text}, {_text(self, find)}, {_text(self, replacement)})"
    if find.this == "":
        return text
    escaped = f"REPLACE({_text(self, replacement)}, '\\', '\\\\')"
    return f"REGEXP_REPLACE({text}, '{_regex(find.this)}', {escaped}, 'gi')"


def _stuff(self: PostgresGenerator, node: exp.Stuff) -> str:
    text = _text(self, node.this)
    start, length = self.sql(node.args["start"]), self.sql(node.args["length"])
    insert = f"COALESCE({_text(self, node.args['expression'])}, '')"
    return (
        f"(CASE WHEN {start} < 1 OR {start} > LENGTH({text}) OR {length} < 0 THEN NULL "
        f"ELSE OVERLAY({text} PLACING {insert} FROM {start} FOR {length}) END)"
    )


def _replicate(self: PostgresGenerator, node: exp.Repeat) -> str:
    """REPLICATE, cut at 8,000 characters as SQL Server cuts a non-(max) string."""
    times = f"LEAST(CAST({self.sql(node.args['times'])} AS INT), {REPLICATE_LIMIT})"
    return f"LEFT(REPEAT({_text(self, node.this)}, {times}), {REPLICATE_LIMIT})"


def _anonymous(self: PostgresGenerator, node: exp.Anonymous) -> str:
    name, args = str(node.this).upper(), node.expressions
    if name == "PATINDEX":
        pattern = args[0] if args else None
        if not (isinstance(pattern, exp.Literal) and pattern.is_string) or len(args) != 2:
            raise ValidationError("PATINDEX needs a literal pattern on PostgreSQL")
        regex = patindex_regex(pattern.this).replace("'", "''")
        return f"REGEXP_INSTR({_text(self, args[1])}, '{regex}', 1, 1, 0, 'i')"
    if name in ("GETUTCDATE", "SYSUTCDATETIME"):
        return "(NOW() AT TIME ZONE 'UTC')"
    if name in _AGGREGATES:
        return self.func(_AGGREGATES[name], *args)
    if name == "CHOOSE":
        index = f"CAST({self.sql(args[0])} AS INT)"
        whens = " ".join(f"WHEN {i} THEN {self.sql(arg)}" for i, arg in enumerate(args[1:], 1))
        return f"(CASE {index} {whens} END)"
    if name == "STR":
        return _str(self, args)
    return PostgresGenerator.anonymous_sql(self, node)


_AGGREGATES = {"STDEVP": "STDDEV_POP", "VAR": "VAR_SAMP", "VARP": "VAR_POP"}


def _avg(self: PostgresGenerator, node: exp.Avg) -> str:
    """AVG of integers is an integer in SQL Server (the sum divided, truncated); over a window
    the cast goes around the whole window expression (see _window)."""
    average = self.func("AVG", node.this)
    if not common.is_integer(node.this) or isinstance(node.parent, exp.Window):
        return average
    return f"CAST(TRUNC({average}) AS BIGINT)"


def _sum(self: PostgresGenerator, node: exp.Sum) -> str:
    """SUM of integers is an integer in SQL Server; PostgreSQL's SUM(bigint) is NUMERIC, which
    would make `SUM(Qty) / COUNT(*)` a decimal division. Over a window the cast goes around
    the whole window expression (see _window)."""
    total = self.func("SUM", node.this)
    if not common.is_integer(node.this) or isinstance(node.parent, exp.Window):
        return total
    return f"CAST({total} AS BIGINT)"


def _window(self: PostgresGenerator, node: exp.Window) -> str:
    rendered = PostgresGenerator.window_sql(self, node)
    inner = node.this
    if isinstance(inner, exp.Avg) and common.is_integer(inner.this):
        return f"CAST(TRUNC({rendered}) AS BIGINT)"
    if isinstance(inner, exp.Sum) and common.is_integer(inner.this):
        return f"CAST({rendered} AS BIGINT)"
    return rendered


def _round(self: PostgresGenerator, node: exp.Round) -> str:
    places = node.args.get("decimals")
    value = f"CAST({self.sql(node.this)} AS NUMERIC)"
    if places is None:
        return f"ROUND({value})"
    truncate = node.args.get("truncate")
    function = "ROUND" if truncate is None or common.literal_int(truncate) == 0 else "TRUNC"
    if truncate is not None and common.literal_int(truncate) is None:
        raise ValidationError("ROUND's third argument must be a literal on PostgreSQL")
    rounded = f"{function}({value}, CAST({self.sql(places)} AS INT))"
    if common.type_of(node.this) in (common.T.DOUBLE, common.T.FLOAT):
        return f"CAST({rounded} AS DOUBLE PRECISION)"
    return rounded


def _string_agg(self: PostgresGenerator, node: exp.GroupConcat) -> str:
    value, separator = node.this, self.sql(node.args.get("separator") or exp.Literal.string(","))
    order = ""
    if isinstance(value, exp.Order):
        order = " ORDER BY " + ", ".join(self.sql(key) for key in value.expressions)
        value = value.this
    return f"STRING_AGG({_text(self, value)}, {separator}{order})"


def _length(self: PostgresGenerator, node: exp.Length) -> str:
    return f"LENGTH(RTRIM({_text(self, node.this)}))"


def _scale_of(node: exp.Expr) -> int:
    decimal = decimals.precision_of(node)
    if decimal is not None:
        return decimal[1]
    value = node.unnest()
    if isinstance(value, exp.Literal) and not value.is_string and "." in value.this:
        return len(value.this.partition(".")[2])
    return 0


def _division(self: PostgresGenerator, node: exp.Div) -> str:
    """A DECIMAL division at SQL Server's scale, cut (not rounded) to it: PostgreSQL divides
    with about 16 significant digits, so the dividend is first given 4 more places than the
    result needs."""
    decimal = decimals.precision_of(node)
    if decimal is None:
        return self.binary(node, "/")
    scale = decimal[1]
    places = max(_scale_of(node.this), scale) + 4
    dividend = f"ROUND(CAST({self.sql(node.this)} AS NUMERIC), {places})"
    return f"TRUNC({dividend} / {self.sql(node.expression)}, {scale})"


def _exact(operator: str, natural: Any) -> Any:
    """+ - *: PostgreSQL's NUMERIC is exact; only a result past 38 digits, whose scale SQL
    Server reduces, is rounded to that scale."""

    def render(self: PostgresGenerator, node: exp.Binary) -> str:
        text = self.binary(node, operator)
        decimal = decimals.precision_of(node)
        if decimal is None or natural(_scale_of(node.this), _scale_of(node.expression)) <= (
            decimal[1]
        ):
            return text
        return f"ROUND({text}, {decimal[1]})"

    return render


def _concat(function: str) -> Any:
    def render(self: PostgresGenerator, node: exp.Expr) -> str:
        parts = [
            float_text(self.sql(arg)) if _is_float(arg) else self.sql(arg)
            for arg in node.expressions
        ]
        return f"{function}({', '.join(parts)})"

    return render


def _str(self: PostgresGenerator, args: list[exp.Expr]) -> str:
    """STR(float[, length[, decimal]]): rounded to `decimal` places (at most 16), right-aligned
    in `length` (10) characters, stars when the integer part does not fit (docs: str-
    transact-sql; fewer places are shown when only they do not fit)."""
    if not 1 <= len(args) <= 3 or any(
        common.literal_int(a) is None for a in args[1:]
    ):
        raise ValidationError("STR needs a literal length and number of decimals on PostgreSQL")
    length = common.literal_int(args[1]) if len(args) > 1 else 10
    places = min(common.literal_int(args[2]) or 0, 16) if len(args) > 2 else 0
    value = f"CAST({self.sql(args[0])} AS DOUBLE PRECISION)"
    if length is None or not 0 < length <= 8000:
        return "CAST(NULL AS TEXT)"
    tries = [
        f"CAST(ROUND(CAST(v AS NUMERIC), {digits}) AS TEXT)" for digits in range(places, -1, -1)
    ]
    chosen = " ".join(f"WHEN LENGTH({t}) <= {length} THEN LPAD({t}, {length})" for t in tries)
    return (
        f"(SELECT CASE WHEN v IS NULL THEN NULL {chosen} ELSE REPEAT('*', {length}) END "
        f"FROM (SELECT {value} AS v) AS ct_s)"
    )


class CtPostgresGenerator(PostgresGenerator):
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Any]] = {
        **PostgresGenerator.TRANSFORMS,
        exp.Cast: _cast,
        exp.TryCast: _cast,
        exp.Convert: _convert,
        TsqlFormat: _format,
        TsqlDateName: _datename,
        exp.DateDiff: _datediff,
        exp.DateAdd: _dateadd,
        exp.Extract: lambda self, node: _datepart(self, node.this.name, node.expression),
        exp.Year: lambda self, node: _datepart(self, "year", node.this),
        exp.Month: lambda self, node: _datepart(self, "month", node.this),
        exp.Day: lambda self, node: _datepart(self, "day", node.this),
        exp.LastDay: _eomonth,
        exp.Length: _length,
        exp.StrPosition: _charindex,
        exp.Replace: _replace,
        exp.Stuff: _stuff,
        exp.Repeat: _replicate,
        exp.Anonymous: _anonymous,
        exp.Div: _division,
        like.LikePattern: lambda self, node: like.pattern_regex_sql(self.sql(node.this)),
        exp.Mul: _exact("*", lambda a, b: a + b),
        exp.Add: _exact("+", max),
        exp.Sub: _exact("-", max),
        exp.Concat: _concat("CONCAT"),
        exp.ConcatWs: _concat("CONCAT_WS"),
        exp.Round: _round,
        exp.GroupConcat: _string_agg,
        exp.CurrentTimestamp: lambda self, node: "LOCALTIMESTAMP",
        exp.Uuid: lambda self, node: "GEN_RANDOM_UUID()",
        exp.Avg: _avg,
        exp.Sum: _sum,
        exp.Window: _window,
        exp.DateFromParts: lambda self, node: "MAKE_DATE({})".format(
            ", ".join(f"CAST({self.sql(node.args[k])} AS INT)" for k in ("year", "month", "day"))
        ),
    }


    def literal_sql(self, expression: exp.Literal) -> str:
        """`1e0` is a FLOAT in T-SQL, NUMERIC in PostgreSQL."""
        text = super().literal_sql(expression)
        return f"CAST({text} AS DOUBLE PRECISION)" if decimals.float_literal(expression) else text


class CtPostgres(Postgres):
    """Registered with sqlglot as 'ctpostgres'."""

    Generator = CtPostgresGenerator
