"""What both backend dialects ask of a node: its T-SQL kind, its date part, its bare value."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ddl.errors import ValidationError

T = exp.DataType.Type
DATE_KINDS = {
    T.DATE: "date",
    T.DATETIME: "datetime",
    T.SMALLDATETIME: "datetime",
    T.DATETIME2: "datetime2",
    T.TIMESTAMP: "datetime2",
    T.TIMESTAMPNTZ: "datetime2",
    T.TIMESTAMPTZ: "datetime2",
}
INTEGERS = frozenset({T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.BIT, T.BOOLEAN})
FRACTIONS = frozenset({T.DECIMAL, T.DOUBLE, T.FLOAT, T.MONEY, T.SMALLMONEY, T.BIGDECIMAL})
TEXTS = frozenset({T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.TEXT})
# Functions whose answer is text whatever sqlglot's type inference says of them.
TEXT_FUNCTIONS = (
    exp.DPipe, exp.Left, exp.Right, exp.Substring, exp.Upper, exp.Lower, exp.Trim, exp.Concat,
    exp.ConcatWs, exp.Replace, exp.Stuff, exp.Repeat,
)  # fmt: skip
DEFAULT_VARCHAR = 30  # CAST(x AS VARCHAR) without a length, as SQL Server reads it


def type_of(node: exp.Expr | None) -> exp.DType | None:
    if node is None or node.type is None:
        return None
    found: exp.DType = node.type.this
    return found


def kind(node: exp.Expr | None) -> str:
    """'date' / 'datetime' / 'datetime2' / 'number' / 'text' / 'unknown'."""
    if isinstance(node, exp.Literal):
        return "text" if node.is_string else "number"
    found = type_of(node)
    if found is not None and found in DATE_KINDS:
        return DATE_KINDS[found]
    if found in INTEGERS or found in FRACTIONS:
        return "number"
    if found in TEXTS or isinstance(node, TEXT_FUNCTIONS):
        return "text"
    return "unknown"


def is_money(node: exp.Expr) -> bool:
    """A MONEY or SMALLMONEY value (a CAST to it): written with two places as text."""
    return type_of(node) in (T.MONEY, T.SMALLMONEY)


def money_style(self: Any, style: exp.Expr | None) -> int:
    """The style of CONVERT(VARCHAR, money, style), checked now so that a saved query runs."""
    number = 0 if style is None else literal_int(style)
    if number not in (0, 1, 2):
        raise ValidationError(f"CONVERT style {self.sql(style)} of a MONEY value is not supported")
    return number


def is_integer(node: exp.Expr) -> bool:
    if isinstance(node, exp.Literal):
        return not node.is_string and node.is_int
    return type_of(node) in INTEGERS


def bare(node: exp.Expr) -> exp.Expr:
    """The user's value under the wrappers sqlglot's T-SQL reader adds (TimeStrToTime, ...)."""
    while isinstance(node, exp.TimeStrToTime | exp.TsOrDsToDate):
        node = node.this
    return node


def untext(node: exp.Expr) -> exp.Expr:
    """The value under the CAST(x AS TEXT) sqlglot puts inside LEN / LEFT / RIGHT."""
    if isinstance(node, exp.Cast) and node.to.this == T.TEXT and not node.to.expressions:
        inner: exp.Expr = node.this
        return inner
    return node


def unit(node: exp.Expr, key: str = "unit") -> str:
    part = node.args.get(key)
    return part.name if isinstance(part, exp.Expr) else str(part or "day")


def text_length(data_type: exp.DataType) -> int | None:
    """n of VARCHAR(n) (DEFAULT_VARCHAR if none, None for MAX or a non-text type)."""
    if data_type.this not in TEXTS or data_type.this == T.TEXT:
        return None
    if not data_type.expressions:
        return DEFAULT_VARCHAR
    size = data_type.expressions[0].this
    if isinstance(size, exp.Literal) and size.is_int:
        return int(size.this)
    return None


def literal_int(node: exp.Expr | None, default: int | None = None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.is_int:
        return int(node.this)
    if isinstance(node, exp.Neg):
        inner = literal_int(node.this)
        return None if inner is None else -inner
    return default
