"""SQL Server's types for numeric expressions: DECIMAL(p, s) per its precision and scale rules,
FLOAT where a float takes part (SPEC §5.1 "FLOAT vs DECIMAL arithmetic as T-SQL").

sqlglot types `1.0 / 3` as DOUBLE and `Price * Qty` as unknown; SQL Server computes both in
DECIMAL with a scale of its own rules (`1.0 / 3` is 0.333333). This pass, run on the qualified
tree, sets each arithmetic node's type to what SQL Server gives it. The backend dialects then
render a DECIMAL node at its scale (a division cut to it, as SQL Server cuts), and the answer
shows a DECIMAL column at its scale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlglot import exp

from queries.dialects import common
from queries.dialects import tsql_numbers as rules

_log = logging.getLogger("customtables")
T = exp.DataType.Type
_INTEGER_PRECISION = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 19, T.BIT: 1}
_FLOAT_TYPES = frozenset({T.DOUBLE, T.FLOAT})
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_RULES: dict[type[exp.Expr], Callable[[tuple[int, int], tuple[int, int]], tuple[int, int]]]
_RULES = {exp.Add: rules.add, exp.Sub: rules.add, exp.Mul: rules.multiply,
          exp.Div: rules.divide, exp.Mod: rules.modulo}  # fmt: skip
_INT_MAX = 2**31 - 1

# A node's numeric class: ("int", precision), ("decimal", (p, s)), ("float", None), or None.
Numeric = tuple[str, object] | None


def float_literal(node: exp.Expr) -> bool:
    """`1e0`, `1.5E3`: a float constant in T-SQL (PostgreSQL would read it as numeric)."""
    return isinstance(node, exp.Literal) and not node.is_string and "e" in node.this.lower()


# Functions whose answer is a FLOAT in T-SQL whatever their argument.
_FLOAT_FUNCTIONS = (
    exp.Sqrt, exp.Pow, exp.Exp, exp.Ln, exp.Log, exp.Rand, exp.Cot,
    exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop,
)  # fmt: skip


def is_float(node: exp.Expr) -> bool:
    """A FLOAT value in T-SQL. sqlglot types a decimal constant (`1.50`) as DOUBLE too, and
    everything built from it, so DOUBLE counts only where a FLOAT comes in: a float constant,
    a FLOAT column or cast, a float function, or an operand that is one of these."""
    if isinstance(node, exp.Literal):
        return float_literal(node)
    if common.type_of(node) not in _FLOAT_TYPES:
        return False
    if isinstance(node, (exp.Column, exp.Cast, exp.Convert, *_FLOAT_FUNCTIONS)):
        return True
    return any(is_float(child) for child in node.iter_expressions())


def precision_of(node: exp.Expr | None) -> tuple[int, int] | None:
    """(p, s) of a node this pass typed DECIMAL (or a DECIMAL(p, s) column or cast)."""
    if node is None or node.type is None or node.type.this != T.DECIMAL:
        return None
    params = node.type.expressions
    if len(params) == 2:
        p, s = (common.literal_int(param.this) for param in params)
        if p is not None and s is not None:
            return p, s
    if not params:
        return 18, 0
    size = common.literal_int(params[0].this)
    return (size, 0) if size is not None else None


def _classify(node: exp.Expr) -> Numeric:
    if isinstance(node, exp.Paren):
        return _classify(node.this)
    if isinstance(node, exp.Neg):
        return _classify(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return None
        if float_literal(node):
            return ("float", None)
        if "." in node.this:
            return ("decimal", rules.literal(node.this))
        digits = rules.literal(node.this)
        # An integer constant is int (as a decimal: its own digits); past int, numeric.
        return ("int", digits[0]) if int(node.this) <= _INT_MAX else ("decimal", digits)
    found = common.type_of(node)
    if found in _FLOAT_TYPES:
        return ("float", None) if is_float(node) else None
    if found in _INTEGER_PRECISION:
        return ("int", _INTEGER_PRECISION[found])
    decimal = precision_of(node)
    if decimal is not None:
        return ("decimal", decimal)
    return None


def _as_decimal(numeric: Numeric) -> tuple[int, int]:
    assert numeric is not None
    kind, value = numeric
    if kind == "int":
        assert isinstance(value, int)
        return (value, 0)
    assert isinstance(value, tuple)
    return (value[0], value[1])


def _combine(node: exp.Expr, left: Numeric, right: Numeric) -> Numeric:
    if left is None or right is None:
        return None
    if "float" in (left[0], right[0]):
        return ("float", None)
    if left[0] == "int" and right[0] == "int":
        return ("int", max(int(left[1]), int(right[1])))  # type: ignore[call-overload]
    rule = _RULES[type(node)]
    return ("decimal", rule(_as_decimal(left), _as_decimal(right)))


def _set(node: exp.Expr, numeric: Numeric) -> None:
    if numeric is None or numeric[0] == "int":
        return
    if numeric[0] == "float":
        data_type = exp.DataType.build("DOUBLE")
    else:
        p, s = _as_decimal(numeric)
        data_type = exp.DataType.build(f"DECIMAL({p}, {s})")
    node.type = data_type
    if isinstance(node.parent, exp.Alias | exp.Paren):
        node.parent.type = data_type


def _aggregate(node: exp.Expr) -> None:
    """SUM of DECIMAL(p, s) is DECIMAL(38, s); AVG is DECIMAL(38, max(s, 6))."""
    inner = _classify(node.this)
    if inner is None or inner[0] != "decimal":
        return
    _, scale = _as_decimal(inner)
    if isinstance(node, exp.Avg):
        scale = max(scale, rules.MIN_DIVISION_SCALE)
    _set(node, ("decimal", (rules.MAX_PRECISION, scale)))


def annotate(tree: exp.Expr) -> None:
    """Type every arithmetic node (innermost first) and SUM / AVG over decimals. A shape this
    pass did not foresee keeps sqlglot's types (the backend's arithmetic), never a 500."""
    try:
        _annotate(tree)
    except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError):
        _log.exception("decimal typing skipped")


def _annotate(tree: exp.Expr) -> None:
    nodes = [n for n in tree.walk() if isinstance(n, (*_ARITHMETIC, exp.Sum, exp.Avg))]
    for node in reversed(nodes):  # a pre-order walk reversed: children before parents
        if isinstance(node, exp.Sum | exp.Avg):
            _aggregate(node)
            continue
        if isinstance(node, exp.Add | exp.Sub) and not _numeric_operands(node):
            continue  # string + string is concatenation (translated later)
        _set(node, _combine(node, _classify(node.this), _classify(node.expression)))


def _numeric_operands(node: exp.Expr) -> bool:
    return all(common.kind(side) in ("number", "unknown") for side in (node.this, node.expression))
