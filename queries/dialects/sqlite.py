"""Our SQLite dialect: T-SQL meaning on SQLite (SPEC §5.1), one TRANSFORMS entry per function.

SQLite lacks most of T-SQL's functions (and its UPPER/LOWER are ASCII-only), so they are
rendered as calls to the Python functions of queries/dialects/sqlite_functions.py, which
implement SQL Server's rules once, in Python, for every connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.generators.sqlite import SQLiteGenerator

from ddl.errors import ValidationError
from queries.dialects import common, decimals
from queries.dialects.reader import TsqlDateName, TsqlFormat
from queries.dialects.tsql_dates import ISO_STYLES, STYLE_ORDERS, SUPPORTED_PARTS, part_name
from queries.dialects.tsql_format import DATE_STYLES, check_culture

Transform = Callable[[Any, Any], str]


def _lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


_NUMBER_TARGETS = {
    common.T.TINYINT: "tinyint", common.T.SMALLINT: "smallint", common.T.INT: "int",
    common.T.BIGINT: "bigint", common.T.DECIMAL: "decimal", common.T.MONEY: "decimal",
    common.T.SMALLMONEY: "decimal", common.T.FLOAT: "float", common.T.DOUBLE: "float",
}  # fmt: skip


def source_name(value: exp.Expr) -> str:
    """How SQL Server names the text type of `value` in a conversion message."""
    national = isinstance(value, exp.National) or common.type_of(value) in (
        common.T.NVARCHAR,
        common.T.NCHAR,
    )
    return "nvarchar" if national else "varchar"


def _read_text(value: exp.Expr, target: str, safe: bool) -> exp.Expr:
    """Text becoming a number is read by SQL Server's rules (SQLite's CAST reads 'x' as 0):
    CAST fails with SQL Server's message, TRY_CAST gives NULL."""
    function = "ct_try_number" if safe else "ct_to_number"
    return exp.Anonymous(
        this=function, expressions=[value, _lit(target), _lit(source_name(value))]
    )


def _text_of_number(self: SQLiteGenerator, value: exp.Expr) -> str | None:
    """A FLOAT as SQL Server writes it (6 significant digits), a DECIMAL at its scale."""
    if decimals.is_float(value) and not isinstance(value, exp.Literal):
        return self.func("ct_float_text", value)
    decimal = decimals.precision_of(value)
    if decimal is not None and not isinstance(value, exp.Literal):
        return self.func("ct_decimal_text", value, exp.Literal.number(decimal[1]))
    return None


def _cast(self: SQLiteGenerator, node: exp.Cast) -> str:
    target = node.to
    value = node.this
    length = common.text_length(target)
    source = common.kind(value)
    number = _NUMBER_TARGETS.get(target.this)
    if number is not None and source in ("text", "unknown"):
        value = _read_text(value, number, bool(node.args.get("safe")))
    if target.this in common.TEXTS:
        if source in ("datetime", "datetime2", "date"):
            style = exp.Literal.number(0 if source == "datetime" else 121)
            width = exp.Literal.number(length or 8000)
            return self.func("ct_convert", value, style, width, _lit(source))
        if common.is_money(value):
            text = self.func("ct_money_text", value, exp.Literal.number(0))
        else:
            text = _text_of_number(self, value) or f"CAST({self.sql(value)} AS TEXT)"
        return f"SUBSTR({text}, 1, {length})" if length else text
    if node.args.get("safe") and target.this in common.DATE_KINDS and source in ("text", "unknown"):
        kind = "date" if target.this == common.T.DATE else "datetime"
        return self.func("ct_try_date", value, _lit(kind))  # TRY_CAST: NULL, not an error
    if target.this == common.T.DATE:
        return self.func("ct_to_date", value)
    if target.this == common.T.DECIMAL:  # DECIMAL(p, s) rounds to s places (s = 0 if unsaid)
        scale = target.expressions[1].this if len(target.expressions) > 1 else None
        places = common.literal_int(scale, 0) if scale is not None else 0
        real = f"CAST({self.sql(value)} AS REAL)"
        return self.func("ct_round", real, exp.Literal.number(places), exp.Literal.number(0))
    if target.this in common.DATE_KINDS:
        return self.func("ct_to_datetime", value)
    return SQLiteGenerator.cast_sql(self, exp.Cast(this=value, to=target))


def _convert(self: SQLiteGenerator, node: exp.Convert) -> str:
    target, value, style = node.this, node.expression, node.args.get("style")
    if style is not None and target.this in common.DATE_KINDS:  # reading text in that style
        number = common.literal_int(style)
        if number is None or not (number in STYLE_ORDERS or number in ISO_STYLES):
            raise ValidationError(f"CONVERT style {self.sql(style)} is not supported")
        kind = "date" if target.this == common.T.DATE else "datetime"
        return self.func("ct_parse_styled", value, style, _lit(kind))
    if style is None or target.this not in common.TEXTS:
        return _cast(self, exp.Cast(this=value, to=target, safe=node.args.get("safe")))
    if common.is_money(value):
        money = exp.Literal.number(common.money_style(self, style))
        text = self.func("ct_money_text", value, money)
        length = common.text_length(target) or 30
        return f"SUBSTR({text}, 1, {length})"
    number = common.literal_int(style)
    if number is None or number not in DATE_STYLES:
        raise ValidationError(f"CONVERT style {self.sql(style)} is not supported")
    length = common.text_length(target) or 8000
    return self.func(
        "ct_convert", value, style, exp.Literal.number(length), _lit(common.kind(value))
    )


def _format(self: SQLiteGenerator, node: TsqlFormat) -> str:
    culture = node.args.get("culture")
    check_culture(culture.name if isinstance(culture, exp.Literal) else None)
    kind = "date" if common.kind(node.this) in ("date", "datetime", "datetime2") else "number"
    return self.func("ct_format", node.this, node.args["format"], _lit(kind))


def _datediff(self: SQLiteGenerator, node: exp.DateDiff) -> str:
    start, end = common.bare(node.expression), common.bare(node.this)
    return self.func("ct_datediff", _part_literal("DATEDIFF", common.unit(node)), start, end)


def _dateadd(self: SQLiteGenerator, node: exp.DateAdd) -> str:
    value = common.bare(node.this)
    part = _part_literal("DATEADD", common.unit(node))
    return self.func("ct_dateadd", part, node.expression, value)


def _extract(self: SQLiteGenerator, node: exp.Extract) -> str:
    part = _part_literal("DATEPART", node.this.name)
    return self.func("ct_datepart", part, common.bare(node.expression))


def _part_literal(function: str, part: str) -> exp.Literal:
    """The date part, checked now so that a query that saves also runs."""
    if part_name(part) not in SUPPORTED_PARTS[function]:
        raise ValidationError(f"{function} does not support the date part {part}")
    return _lit(part)


def _part(name: str) -> Transform:
    def render(self: SQLiteGenerator, node: exp.Func) -> str:
        return self.func("ct_datepart", _lit(name), common.bare(node.this))

    return render


def _eomonth(self: SQLiteGenerator, node: exp.LastDay) -> str:
    inner = node.this
    months: exp.Expr = exp.Literal.number(0)
    if isinstance(inner, exp.DateAdd):
        inner, months = inner.this, inner.expression
    return self.func("ct_eomonth", common.bare(inner), months)


def _string_agg(self: SQLiteGenerator, node: exp.GroupConcat) -> str:
    value, separator = node.this, node.args.get("separator") or _lit(",")
    if not isinstance(value, exp.Order):
        return self.func("GROUP_CONCAT", value, separator)
    keys: list[exp.Expr] = []
    for ordered in value.expressions:
        keys += [exp.Literal.number(1 if ordered.args.get("desc") else 0), ordered.this]
    return self.func("ct_string_agg", value.this, separator, *keys)


def _round(self: SQLiteGenerator, node: exp.Round) -> str:
    places = node.args.get("decimals")
    if places is None:
        return self.func("ROUND", node.this)
    truncate = node.args.get("truncate") or exp.Literal.number(0)
    return self.func("ct_round", node.this, places, truncate)


def _anonymous(self: SQLiteGenerator, node: exp.Anonymous) -> str:
    name = str(node.this).upper()
    if name == "PATINDEX":
        return self.func("ct_patindex", *node.expressions)
    if name == "CHOOSE":
        return self.func("ct_choose", *node.expressions)
    if name == "STR":
        return self.func("ct_str", *node.expressions)
    if name in ("GETUTCDATE", "SYSUTCDATETIME"):
        return "ct_to_datetime(CURRENT_TIMESTAMP)"  # SQLite's clock is UTC
    if name in ("STDEVP", "VAR", "VARP"):
        return self.func(f"ct_{name.lower()}", *node.expressions)
    return SQLiteGenerator.anonymous_sql(self, node)


def _avg(self: SQLiteGenerator, node: exp.Avg) -> str:
    """AVG of integers is an integer in SQL Server (the sum divided, truncated); over a window
    the cast goes around the whole window expression (see _window)."""
    average = self.func("AVG", node.this)
    if not common.is_integer(node.this) or isinstance(node.parent, exp.Window):
        return average
    return f"CAST({average} AS INTEGER)"


def _window(self: SQLiteGenerator, node: exp.Window) -> str:
    rendered = SQLiteGenerator.window_sql(self, node)
    average = node.this
    if isinstance(average, exp.Avg) and common.is_integer(average.this):
        return f"CAST({rendered} AS INTEGER)"
    return rendered


def _xor(self: SQLiteGenerator, node: exp.BitwiseXor) -> str:
    left, right = self.sql(node.this), self.sql(node.expression)
    return f"(({left} | {right}) - ({left} & {right}))"


def _rename(name: str, *keys: str) -> Transform:
    def render(self: SQLiteGenerator, node: exp.Expr) -> str:
        args = [common.untext(node.args[key]) if key == "this" else node.args.get(key)
                for key in keys]  # fmt: skip
        return self.func(name, *args)

    return render


_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_SIMPLE = (exp.Column, exp.Literal, exp.Placeholder, exp.Parameter)


def _in_decimal_arithmetic(node: exp.Expr) -> bool:
    """Inside a larger DECIMAL + - * (through parentheses), which rounds the whole at its end."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.Add | exp.Sub | exp.Mul) and (
        decimals.precision_of(parent) is not None
    )


def _divisor(self: SQLiteGenerator, node: exp.Expr) -> str:
    """The divisor, failing as SQL Server does when it is zero (SQLite answers NULL): a
    non-zero constant as it is, a column or parameter checked in SQL, anything else once."""
    value = node.unnest()
    if isinstance(value, exp.Literal) and not value.is_string and float(value.this) != 0:
        return self.sql(node)
    if isinstance(value, _SIMPLE):
        text = self.sql(value)
        return f"(CASE WHEN {text} = 0 THEN ct_nonzero(0) ELSE {text} END)"
    return self.func("ct_nonzero", node)


def _is_simple(node: exp.Expr) -> bool:
    value = node.unnest()
    if isinstance(value, exp.Cast):
        value = value.this
    return isinstance(value, _SIMPLE)


def _decimal_division(self: SQLiteGenerator, node: exp.Div, scale: int) -> str:
    """A DECIMAL division cut (not rounded) to its scale, as SQL Server cuts it (from 15
    places on a double has no digits left to cut: the REAL quotient). Exact in a Python
    function (decimal arithmetic on the operands' digits); but where a double holds
    the quotient's digits to spare (at most 11 in all) over columns and constants, in SQL at
    C speed: the REAL quotient in units of the last place, nudged away from zero past its
    float noise, cut by CAST to INTEGER (0.3 / 0.1 gives 3, not 2.999999; 60,000 random
    quotients checked against exact decimal division)."""
    quotient = f"({self.sql(node.this)} * 1.0 / {_divisor(self, node.expression)})"
    if scale >= _DOUBLE_DIGITS:
        return quotient  # a double has no digits left to cut: the answer shows it at its scale
    exact = self.func("ct_decimal_div", node.this, node.expression, exp.Literal.number(scale))
    if scale >= _FAST_DIGITS or not (_is_simple(node.this) and _is_simple(node.expression)):
        return exact
    # below 1e11 units of the last place here: CAST to INTEGER cuts exactly, once the float
    # noise (2.2e-16 relative) is pushed away from zero by 1e-15 relative
    fast = f"CAST({quotient} * 1e{scale} * 1.000000000000001 AS INTEGER) / 1e{scale}"
    return f"(CASE WHEN ABS({quotient}) < 1e{_FAST_DIGITS - scale} THEN {fast} ELSE {exact} END)"


_FAST_DIGITS = 11  # measured: 40,000 random quotients cut right in SQL up to 11 digits
_DOUBLE_DIGITS = 15


def _arithmetic(operator: str) -> Any:
    """T-SQL arithmetic: DECIMAL results at SQL Server's scale (queries/dialects/decimals.py;
    SQLite computes in REAL, so `0.1 + 0.2` is rounded back to 0.3 at the outermost decimal
    operation and a decimal division is done exactly and cut to its scale); a zero divisor
    fails."""

    def render(self: SQLiteGenerator, node: exp.Binary) -> str:
        decimal = decimals.precision_of(node)
        if isinstance(node, exp.Div) and decimal is not None:
            return _decimal_division(self, node, decimal[1])
        if isinstance(node, exp.Div | exp.Mod):
            divisor = _divisor(self, node.expression)
            if isinstance(node, exp.Mod) and not (
                common.is_integer(node.this) and common.is_integer(node.expression)
            ):
                text = f"ct_mod({self.sql(node.this)}, {divisor})"
            else:
                text = f"{self.sql(node.this)} {operator} {divisor}"
        else:
            text = self.binary(node, operator)
        if decimal is None or _in_decimal_arithmetic(node) or isinstance(node.parent, exp.AggFunc):
            return text  # inside SUM / AVG the answer is rounded to its scale when shown
        return f"ROUND({text}, {decimal[1]})"  # SQLite's own, half away from zero: no Python

    return render


def _as_written(values: list[exp.Expr]) -> list[exp.Expr]:
    """CONCAT's arguments: a decimal literal as written ('1.50'), not as SQLite's REAL would
    print it; a DECIMAL expression at its scale ('10.5000'); a float is written by ct_concat."""
    written: list[exp.Expr] = []
    for value in values:
        decimal = decimals.precision_of(value)
        if isinstance(value, exp.Literal) and not value.is_string:
            written.append(_lit(value.this))
        elif decimal is not None:
            written.append(
                exp.Anonymous(
                    this="ct_decimal_text", expressions=[value, exp.Literal.number(decimal[1])]
                )
            )
        else:
            written.append(value)
    return written


def _charindex(self: SQLiteGenerator, node: exp.StrPosition) -> str:
    start = node.args.get("position") or exp.Literal.number(1)
    return self.func("ct_charindex", node.args["substr"], node.this, start)


class CtSqliteGenerator(SQLiteGenerator):
    VALUES_AS_TABLE = False  # (VALUES ...) AS t(x): SELECT ... AS x UNION ALL ..., names kept
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Any]] = {
        **SQLiteGenerator.TRANSFORMS,
        exp.Cast: _cast,
        exp.TryCast: _cast,
        exp.Convert: _convert,
        TsqlFormat: _format,
        TsqlDateName: lambda self, node: self.func(
            "ct_datename", _part_literal("DATENAME", node.this.name), common.bare(node.expression)
        ),
        exp.National: lambda self, node: self.sql(exp.Literal.string(node.this)),
        exp.DateDiff: _datediff,
        exp.DateAdd: _dateadd,
        exp.Extract: _extract,
        exp.Year: _part("year"),
        exp.Month: _part("month"),
        exp.Day: _part("day"),
        exp.LastDay: _eomonth,
        exp.Upper: _rename("ct_upper", "this"),
        exp.Lower: _rename("ct_lower", "this"),
        exp.Length: _rename("ct_len", "this"),
        exp.Left: _rename("ct_left", "this", "expression"),
        exp.Right: _rename("ct_right", "this", "expression"),
        exp.Replace: _rename("ct_replace", "this", "expression", "replacement"),
        exp.Stuff: _rename("ct_stuff", "this", "start", "length", "expression"),
        exp.Repeat: _rename("ct_replicate", "this", "times"),
        exp.StrPosition: _charindex,
        exp.Concat: lambda self, node: self.func("ct_concat", *_as_written(node.expressions)),
        exp.ConcatWs: lambda self, node: self.func("ct_concat_ws", *_as_written(node.expressions)),
        exp.GroupConcat: _string_agg,
        exp.Uuid: lambda self, node: "ct_newid()",
        exp.Round: _round,
        exp.Floor: _rename("ct_floor", "this"),  # SQLAlchemy's floor() fails on NULL
        exp.Mod: _arithmetic("%"),
        exp.Add: _arithmetic("+"),
        exp.Sub: _arithmetic("-"),
        exp.Mul: _arithmetic("*"),
        exp.Div: _arithmetic("/"),
        exp.Anonymous: _anonymous,
        exp.Avg: _avg,
        exp.Window: _window,
        exp.BitwiseXor: _xor,
        exp.Reverse: _rename("ct_reverse", "this"),
        exp.Ascii: _rename("ct_ascii", "this"),
        exp.Translate: _rename("ct_translate", "this", "from_", "to"),
        exp.Cot: _rename("ct_cot", "this"),
        exp.Stddev: _rename("ct_stdev", "this"),
        exp.StddevSamp: _rename("ct_stdev", "this"),
        exp.StddevPop: _rename("ct_stdevp", "this"),
        exp.Variance: _rename("ct_var", "this"),
        exp.VariancePop: _rename("ct_varp", "this"),
        exp.DateFromParts: _rename("ct_datefromparts", "year", "month", "day"),
    }


class CtSqlite(SQLite):
    """Registered with sqlglot as 'ctsqlite'."""

    Generator = CtSqliteGenerator
