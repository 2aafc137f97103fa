"""The T-SQL functions SQLite lacks, registered as Python functions on every SQLite connection
(queries/__init__.py adds `register` to the connect hooks of ddl/backends/sqlite.py): the
saved-query translation for SQLite (queries/dialects/sqlite.py) calls them by `ct_` names.

A function that fails (a date SQL Server could not read, a division by zero) raises; SQLite
then reports only "user-defined function raised exception", so the reason is kept per thread
and the SQLite backend's `query_error` returns it (ddl/backends/sqlite.py `function_failure`).
"""

from __future__ import annotations

import functools
import math
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ddl import collation
from ddl.backends.common import MAXRECURSION_MESSAGE
from ddl.backends.sqlite import note_function_failure
from ddl.errors import CustomTablesError
from queries.dialects import tsql_dates as dates
from queries.dialects import tsql_format as fmt
from queries.dialects import tsql_numbers as numbers
from queries.dialects import tsql_strings as text


class FunctionFailed(Exception):
    """Raised inside a function; its message is ours and safe to show."""


def _guarded(function: Callable[..., Any], nulls: bool = True) -> Callable[..., Any]:
    """NULL in → NULL out (as SQL Server's functions), and failures kept for the error message."""

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        if nulls and any(arg is None for arg in args):
            return None
        try:
            return function(*args)
        except FunctionFailed as error:
            note_function_failure(str(error))
            raise
        except (ValueError, ArithmeticError, OverflowError, CustomTablesError) as error:
            note_function_failure(_reason(error))
            raise

    return call


def _reason(error: Exception) -> str:
    if isinstance(error, ZeroDivisionError | ArithmeticError) and "zero" in str(error).lower():
        return "Divide by zero error encountered"
    if isinstance(error, CustomTablesError):
        return str(error)
    message = str(error)
    ours = message.startswith(
        ("Conversion failed", "The result of", "Error converting", "The conversion of")
    )
    return message if ours else "A value does not fit"


def _date(value: Any) -> datetime:
    parsed = dates.to_datetime(value)
    assert parsed is not None
    return parsed


def _datediff(part: str, start: Any, end: Any) -> int:
    return dates.datediff(part, _date(start), _date(end))


def _dateadd(part: str, number: Any, value: Any) -> str:
    return dates.stored(dates.dateadd(part, int(float(number)), _date(value)))


def _datepart(part: str, value: Any) -> int:
    return dates.datepart(part, _date(value))


def _datename(part: str, value: Any) -> str:
    return dates.datename(part, _date(value))


def _eomonth(value: Any, months: Any = 0) -> str:
    return dates.eomonth(_date(value), int(months)).isoformat()


def _to_date(value: Any) -> str:
    parsed = _date(value)
    return date(parsed.year, parsed.month, parsed.day).isoformat()


def _to_datetime(value: Any) -> str:
    return dates.stored(_date(value))


def _convert(value: Any, style: int, length: int, kind: str) -> str:
    if kind in ("datetime", "datetime2", "date"):
        result = fmt.date_style(_date(value), int(style), kind)
    else:
        result = fmt.plain_text(value)
    return result[: int(length)]


def _format(value: Any, pattern: str, kind: str) -> str:
    if kind == "date":
        return fmt.format_date(_date(value), pattern)
    return fmt.format_number(value, pattern)


def _maxrecursion(level: int, limit: int) -> int:
    if level > limit:
        raise FunctionFailed(MAXRECURSION_MESSAGE.format(limit=limit))
    return level


def _choose(index: Any, *values: Any) -> Any:
    position = int(index) if index is not None else 0
    return values[position - 1] if 1 <= position <= len(values) else None


def _trim_text(value: Any) -> str:
    return fmt.plain_text(value)


def _translate(value: Any, source: Any, target: Any) -> str:
    if len(str(source)) != len(str(target)):
        raise FunctionFailed(
            "The second and third arguments of the TRANSLATE built-in function must contain an "
            "equal number of characters"
        )
    return _trim_text(value).translate(str.maketrans(str(source), str(target)))


def _like(value: Any, pattern: Any, escape: Any, case_sensitive: Any) -> int | None:
    if value is None or pattern is None:
        return None
    return int(text.like(fmt.plain_text(value), str(pattern), escape, bool(case_sensitive)))


def _try_date(value: Any, kind: str) -> str | None:
    """TRY_CAST / TRY_CONVERT to a date type: NULL for text SQL Server cannot read."""
    try:
        return _to_date(value) if kind == "date" else _to_datetime(value)
    except (ValueError, OverflowError, CustomTablesError):
        return None


def _floor(value: Any) -> float | int:
    """FLOOR, NULL-safe (the floor() SQLAlchemy registers on SQLite fails on NULL)."""
    return float(math.floor(value)) if isinstance(value, float) else math.floor(value)


def _sortkey_cs(value: Any) -> bytes:
    """A case-sensitive dictionary order (a query's own _CS_AS collation): the default
    collation's key, then per character lower case before upper case."""
    text_value = fmt.plain_text(value)
    key = collation.sort_key(text_value) or b""
    return key + b"\x00" + bytes(2 if ch.isupper() else 1 for ch in text_value)


def _parse_styled(value: Any, style: Any, kind: str) -> str:
    parsed = dates.parse_styled(str(value), int(style))
    return parsed.date().isoformat() if kind == "date" else dates.stored(parsed)


def _datefromparts(year: Any, month: Any, day: Any) -> str:
    return date(int(year), int(month), int(day)).isoformat()


_SCALARS: dict[str, tuple[int, Callable[..., Any], bool]] = {
    "ct_datediff": (3, _datediff, True),
    "ct_dateadd": (3, _dateadd, True),
    "ct_datepart": (2, _datepart, True),
    "ct_datename": (2, _datename, True),
    "ct_eomonth": (2, _eomonth, True),
    "ct_to_date": (1, _to_date, True),
    "ct_to_datetime": (1, _to_datetime, True),
    "ct_convert": (4, _convert, True),
    "ct_format": (3, _format, True),
    "ct_len": (1, lambda v: len(_trim_text(v).rstrip(" ")), True),
    "ct_charindex": (3, lambda f, s, p: text.charindex(str(f), str(s), p), True),
    "ct_patindex": (2, lambda p, s: text.patindex(str(p), str(s)), True),
    "ct_replace": (3, lambda s, f, r: text.replace(str(s), str(f), str(r)), True),
    "ct_upper": (1, lambda s: text.upper(_trim_text(s)), True),
    "ct_lower": (1, lambda s: text.lower(_trim_text(s)), True),
    "ct_stuff": (4, lambda s, a, n, r: text.stuff(str(s), int(a), int(n), r), False),
    "ct_replicate": (2, lambda s, n: text.replicate(_trim_text(s), int(n)), True),
    "ct_left": (2, lambda s, n: text.left(_trim_text(s), int(n)), True),
    "ct_right": (2, lambda s, n: text.right(_trim_text(s), int(n)), True),
    "ct_round": (3, text.round_, True),
    "ct_mod": (2, text.mod, True),
    "ct_maxrecursion": (2, _maxrecursion, True),
    "ct_concat": (-1, text.concat, False),
    "ct_concat_ws": (-1, text.concat_ws, False),
    "ct_choose": (-1, _choose, False),
    "ct_reverse": (1, lambda v: _trim_text(v)[::-1], True),
    "ct_ascii": (1, lambda v: ord(_trim_text(v)[0]) if _trim_text(v) else None, True),
    "ct_translate": (3, _translate, True),
    "ct_cot": (1, lambda v: 1 / math.tan(float(v)), True),
    "ct_datefromparts": (3, _datefromparts, True),
    "ct_parse_styled": (3, _parse_styled, True),
    "ct_decimal": (2, lambda v, s: numbers.rounded(v, int(s)), True),
    "ct_decimal_div": (3, lambda a, b, s: numbers.decimal_divide(a, b, int(s)), True),
    "ct_like": (4, _like, False),
    "ct_floor": (1, _floor, True),
    "ct_try_date": (2, _try_date, True),
    "ct_sortkey_cs": (1, _sortkey_cs, True),
    "ct_decimal_text": (2, lambda v, s: numbers.decimal_text(v, int(s)), True),
    "ct_money_text": (2, lambda v, s: numbers.money_text(v, int(s)), True),
    "ct_nonzero": (1, numbers.nonzero, True),
    "ct_to_number": (3, numbers.read_number, True),
    "ct_try_number": (3, numbers.try_number, True),
    "ct_str": (-1, numbers.str_, False),
    "ct_float_text": (1, lambda v: fmt.float_text(float(v)), True),
}


class _Spread:
    """STDEV / STDEVP / VAR / VARP: SQLite has none; NULLs are skipped, too few values: NULL.
    Registered as window functions, so they also work with OVER (...)."""

    sample = True
    root = True

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(float(value))

    def inverse(self, value: Any) -> None:  # a row leaves the window frame
        if value is not None:
            self.values.remove(float(value))

    def value(self) -> float | None:
        return self.finalize()

    def finalize(self) -> float | None:
        count = len(self.values) - (1 if self.sample else 0)
        if count <= 0:
            return None
        mean = math.fsum(self.values) / len(self.values)
        variance = math.fsum((v - mean) ** 2 for v in self.values) / count
        return math.sqrt(variance) if self.root else variance


class _StdevP(_Spread):
    sample = False


class _Var(_Spread):
    root = False


class _VarP(_Spread):
    sample = False
    root = False


class _StringAgg:
    """STRING_AGG(value, separator) WITHIN GROUP (ORDER BY k1 [DESC], ...): SQLite 3.40 has no
    ORDER BY inside an aggregate, so the keys come along and are sorted here. Arguments:
    value, separator, then for each key its direction (1 = DESC) and the key."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[Any, ...], str]] = []
        self.separator = ""
        self.directions: tuple[int, ...] = ()
        self.size = 0

    def step(self, value: Any, separator: Any, *keys: Any) -> None:
        try:
            self._step(value, separator, *keys)
        except FunctionFailed as error:
            note_function_failure(str(error))
            raise

    def _step(self, value: Any, separator: Any, *keys: Any) -> None:
        if value is None:
            return
        self.separator = "" if separator is None else str(separator)
        self.directions = tuple(int(d) for d in keys[0::2])
        self.items.append((tuple(keys[1::2]), fmt.plain_text(value)))
        self.size += len(self.items[-1][1]) + len(self.separator)
        if self.size > text.TEXT_LIMIT:
            limit = f"{text.TEXT_LIMIT:,}"
            raise FunctionFailed(f"STRING_AGG aggregation result exceeded {limit} characters")

    def finalize(self) -> str | None:
        if not self.items:
            return None
        for position in reversed(range(len(self.directions))):
            descending = bool(self.directions[position])
            self.items.sort(key=lambda item: _sort_key(item[0][position]), reverse=descending)
        return self.separator.join(value for _, value in self.items)


def _sort_key(value: Any) -> tuple[int, Any]:
    """NULLs first ascending (SQL Server), numbers before text, text by its own order."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def register(conn: sqlite3.Connection) -> None:
    """Every ct_ function on `conn`; deterministic ones so SQLite may use them in indexes."""
    for name, (arity, function, nulls) in _SCALARS.items():
        conn.create_function(name, arity, _guarded(function, nulls), deterministic=True)
    conn.create_function("ct_newid", 0, lambda: str(uuid.uuid4()))
    conn.create_aggregate("ct_string_agg", -1, _StringAgg)  # type: ignore[arg-type]
    for name, spread in (("ct_stdev", _Spread), ("ct_stdevp", _StdevP), ("ct_var", _Var),
                         ("ct_varp", _VarP)):  # fmt: skip
        conn.create_window_function(name, 1, spread)  # an aggregate, and OVER (...) too
