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
from queries.dialects import common
from queries.dialects.reader import TsqlDateName, TsqlFormat
from queries.dialects.tsql_dates import ISO_STYLES, STYLE_ORDERS, SUPPORTED_PARTS, part_name
from queries.dialects.tsql_format import DATE_STYLES, check_culture

Transform = Callable[[Any, Any], str]


def _lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _cast(self: SQLiteGenerator, node: exp.Cast) -> str:
    target = node.to
    value = node.this
    length = common.text_length(target)
    source = common.kind(value)
    if target.this in common.TEXTS:
        if source in ("datetime", "datetime2", "date"):
            style = exp.Literal.number(0 if source == "datetime" else 121)
            width = exp.Literal.number(length or 8000)
            return self.func("ct_convert", value, style, width, _lit(source))
        text = f"CAST({self.sql(value)} AS TEXT)"
        return f"SUBSTR({text}, 1, {length})" if length else text
    if target.this == common.T.DATE:
        return self.func("ct_to_date", value)
    if target.this == common.T.DECIMAL:  # DECIMAL(p, s) rounds to s places (s = 0 if unsaid)
        scale = target.expressions[1].this if len(target.expressions) > 1 else None
        places = common.literal_int(scale, 0) if scale is not None else 0
        real = f"CAST({self.sql(value)} AS REAL)"
        return self.func("ct_round", real, exp.Literal.number(places), exp.Literal.number(0))
    if target.this in common.DATE_KINDS:
        return self.func("ct_to_datetime", value)
    return SQLiteGenerator.cast_sql(self, node)


def _convert(self: SQLiteGenerator, node: exp.Convert) -> str:
    target, value, style = node.this, node.expression, node.args.get("style")
    if style is not None and target.this in common.DATE_KINDS:  # reading text in that style
        number = common.literal_int(style)
        if number is None or not (number in STYLE_ORDERS or number in ISO_STYLES):
            raise ValidationError(f"CONVERT style {self.sql(style)} is not supported")
        kind = "date" if target.this == common.T.DATE else "datetime"
        return self.func("ct_parse_styled", value, style, _lit(kind))
    if style is None or target.this not in common.TEXTS:
        return _cast(self, exp.Cast(this=value, to=target))
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


def _mod(self: SQLiteGenerator, node: exp.Mod) -> str:
    if common.is_integer(node.this) and common.is_integer(node.expression):
        return self.binary(node, "%")
    return self.func("ct_mod", node.this, node.expression)


def _anonymous(self: SQLiteGenerator, node: exp.Anonymous) -> str:
    name = str(node.this).upper()
    if name == "PATINDEX":
        return self.func("ct_patindex", *node.expressions)
    if name == "CHOOSE":
        return self.func("ct_choose", *node.expressions)
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


_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
_FLOATS = {common.T.DOUBLE, common.T.FLOAT}


def _exact(node: exp.Expr) -> bool:
    """Arithmetic that T-SQL does in DECIMAL (decimal literals, integers) but SQLite in REAL."""
    if not isinstance(node, _ARITHMETIC) or common.type_of(node) not in _FLOATS:
        return False
    literal = False
    for inner in node.walk():
        if isinstance(inner, exp.Literal):
            literal = literal or (not inner.is_string and not inner.is_int)
        elif (
            not isinstance(inner, (*_ARITHMETIC, exp.Paren, exp.Neg))
            and common.type_of(inner) in _FLOATS
        ):
            return False  # a FLOAT value: approximate arithmetic, as in SQL Server
    return literal


def _arithmetic(operator: str) -> Any:
    """`0.1 + 0.2` is exactly 0.3 in T-SQL: SQLite's REAL result loses its binary noise (15
    significant digits) at the outermost decimal operation."""

    def render(self: SQLiteGenerator, node: exp.Binary) -> str:
        text = self.binary(node, operator)
        outermost = node.parent is None or not _exact(node.parent)
        if outermost and _exact(node):
            return f"ct_exact({text})"
        return text

    return render


def _as_written(values: list[exp.Expr]) -> list[exp.Expr]:
    """A decimal literal joins text as written ('1.50'), not as SQLite's REAL would print."""
    return [
        _lit(value.this) if isinstance(value, exp.Literal) and not value.is_string else value
        for value in values
    ]


def _charindex(self: SQLiteGenerator, node: exp.StrPosition) -> str:
    start = node.args.get("position") or exp.Literal.number(1)
    return self.func("ct_charindex", node.args["substr"], node.this, start)


class CtSqliteGenerator(SQLiteGenerator):
    VALUES_AS_TABLE = False  # (VALUES ...) AS t(x): SELECT ... AS x UNION ALL ..., names kept
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Any]] = {
        **SQLiteGenerator.TRANSFORMS,
        exp.Cast: _cast,
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
        exp.Mod: _mod,
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
