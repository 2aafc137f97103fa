"""SQL Server's number rules in plain Python: the precision and scale of DECIMAL arithmetic,
reading text as a number (CAST / TRY_CAST), dividing decimals, and STR().

Used by the typing pass (queries/dialects/decimals.py) at plan time and by SQLite's Python
functions (queries/dialects/sqlite_functions.py) at run time, so both follow one rule set.
Sources: learn.microsoft.com/sql/t-sql/data-types/precision-scale-and-length-transact-sql,
functions/cast-and-convert-transact-sql, functions/str-transact-sql.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

MAX_PRECISION = 38
MIN_DIVISION_SCALE = 6
_CONTEXT = Context(prec=120)  # wide enough for any DECIMAL(38, s) result, exactly
_DIVISION = Context(prec=60)  # a quotient's digits: 38 and some to cut from

Precision = tuple[int, int]  # (precision, scale)


class ConversionFailed(ValueError):
    """Text that SQL Server cannot read as the number type asked for; the message is its own."""


def _capped(precision: int, scale: int, integral: int) -> Precision:
    """SQL Server's reduction of a result wider than 38 digits (multiplication and division):
    the scale gives way to the integral part, keeping at least 6 places when it had them."""
    if precision <= MAX_PRECISION:
        return precision, scale
    if integral < 32:
        return MAX_PRECISION, min(scale, MAX_PRECISION - integral)
    return MAX_PRECISION, min(scale, MIN_DIVISION_SCALE)


def add(left: Precision, right: Precision) -> Precision:
    """e1 + e2 and e1 - e2: scale max(s1, s2), integral part max(p1 - s1, p2 - s2) + 1."""
    (p1, s1), (p2, s2) = left, right
    scale = max(s1, s2)
    integral = max(p1 - s1, p2 - s2)
    precision = scale + integral + 1
    if precision <= MAX_PRECISION:
        return precision, scale
    return MAX_PRECISION, max(0, min(scale, MAX_PRECISION - integral - 1))


def multiply(left: Precision, right: Precision) -> Precision:
    (p1, s1), (p2, s2) = left, right
    precision, scale = p1 + p2 + 1, s1 + s2
    return _capped(precision, scale, precision - scale)


def divide(left: Precision, right: Precision) -> Precision:
    (p1, s1), (p2, s2) = left, right
    scale = max(MIN_DIVISION_SCALE, s1 + p2 + 1)
    precision = p1 - s1 + s2 + scale
    return _capped(precision, scale, precision - scale)


def modulo(left: Precision, right: Precision) -> Precision:
    (p1, s1), (p2, s2) = left, right
    scale = max(s1, s2)
    return min(MAX_PRECISION, min(p1 - s1, p2 - s2) + scale), scale


def literal(text: str) -> Precision:
    """A numeric constant's type: the fewest digits that hold it ('12.345' → (5, 3))."""
    whole, _, fraction = text.lstrip("+-").partition(".")
    digits = len(whole.lstrip("0")) + len(fraction)
    return max(digits, len(fraction), 1), len(fraction)


# --- exact arithmetic on SQLite's REAL values ----------------------------------------------


def _exact(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _back(number: Decimal) -> float | int:
    return int(number) if number == number.to_integral_value() and abs(number) < 2**63 else float(
        number
    )


def rounded(value: Any, scale: int) -> Any:
    """A decimal result at its scale (half away from zero, as SQL Server rounds a wider value),
    which also drops the binary noise of SQLite's REAL arithmetic (0.1 + 0.2 → 0.3)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    number = _exact(value).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP, _CONTEXT)
    return _back(number)


def decimal_text(value: Any, scale: int) -> str:
    """A DECIMAL(p, s) value as text: always s places ('10.5000', '0.333333')."""
    number = _exact(value).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP, _CONTEXT)
    return f"{number:f}"


MONEY_STYLES = (0, 1, 2)


def money_text(value: Any, style: int) -> str:
    """A MONEY value as CONVERT(VARCHAR, value, style) writes it: style 0 with two places
    ('5200.50'), 1 with thousands separators ('5,200.50'), 2 with four places ('5200.5000')."""
    places = 4 if style == 2 else 2
    number = _exact(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, _CONTEXT)
    return f"{number:,f}" if style == 1 else f"{number:f}"


def decimal_divide(dividend: Any, divisor: Any, scale: int) -> Any:
    """e1 / e2 for decimals: exact on the operands' digits, cut (not rounded) to the result's
    scale, as SQL Server does (1.67574 / 10000 as DECIMAL(38, 6) is 0.000167)."""
    top, bottom = _exact(_number(dividend)), _exact(_number(divisor))
    if bottom == 0:
        raise ZeroDivisionError("division by zero")
    quotient = _DIVISION.divide(top, bottom)
    return _back(quotient.quantize(Decimal(1).scaleb(-scale), ROUND_DOWN, _CONTEXT))


def nonzero(divisor: Any) -> Any:
    """The divisor, or SQL Server's error when it is zero (SQLite would answer NULL)."""
    if divisor == 0:
        raise ZeroDivisionError("division by zero")
    return divisor


def _number(value: Any) -> Any:
    if isinstance(value, str):
        return read_float(value, "varchar")
    return value


# --- text read as a number (CAST / CONVERT / TRY_CAST) ---------------------------------------

_INTEGER = re.compile(r"\s*[-+]?\d+\s*")
_DECIMAL = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*")
_FLOAT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
INTEGER_RANGES = {
    "tinyint": (0, 255),
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def read_integer(text: str, target: str, source: str) -> int:
    """CAST('…' AS INT): spaces and a sign allowed, '' is 0, anything else fails."""
    if not text.strip():
        return 0
    if not _INTEGER.fullmatch(text):
        raise ConversionFailed(
            f"Conversion failed when converting the {source} value '{text[:40]}' to data type "
            f"{target}"
        )
    value = int(text)
    low, high = INTEGER_RANGES.get(target, INTEGER_RANGES["bigint"])
    if not low <= value <= high:
        raise ConversionFailed(
            f"The conversion of the {source} value '{text[:40]}' overflowed an {target} column"
        )
    return value


def read_decimal(text: str, source: str) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise ConversionFailed(f"Error converting data type {source} to numeric")
    return Decimal(text.strip())


def read_float(text: str, source: str) -> float:
    if not text.strip():
        return 0.0
    if not _FLOAT.fullmatch(text):
        raise ConversionFailed(f"Error converting data type {source} to float")
    return float(text)


def read_number(value: Any, target: str, source: str) -> Any:
    """`value` as the number type `target` ('int', 'bigint', 'decimal', 'float', …); text is
    read by SQL Server's rules, numbers pass (the cast that follows sizes them)."""
    if not isinstance(value, str):
        return value
    if target in INTEGER_RANGES:
        return read_integer(value, target, source)
    if target == "decimal":
        return float(read_decimal(value, source))
    return read_float(value, source)


def try_number(value: Any, target: str, source: str) -> Any:
    """TRY_CAST / TRY_CONVERT: NULL where CAST would fail."""
    try:
        return read_number(value, target, source)
    except (ConversionFailed, InvalidOperation):
        return None


# --- STR(float[, length[, decimal]]) --------------------------------------------------------


def str_(value: Any, length: Any = 10, places: Any = 0) -> str | None:
    """STR: the number rounded to `places` (at most 16) and right-aligned in `length`
    characters; '*' * length when the integral part does not fit (docs: str-transact-sql)."""
    if value is None or length is None or places is None:
        return None
    width, digits = int(length), max(0, min(int(places), 16))
    if width <= 0 or width > 8000:
        return None
    number = _exact(float(value))
    for places_shown in range(digits, -1, -1):  # fewer places first, then stars
        text = f"{number.quantize(Decimal(1).scaleb(-places_shown), ROUND_HALF_UP, _CONTEXT):f}"
        if len(text) <= width:
            return text.rjust(width)
    return "*" * width
