"""SQL Server's string and number functions in plain Python, for SQLite's saved-query
functions: comparisons inside CHARINDEX / PATINDEX / REPLACE follow the default collation
(case-insensitive), UPPER/LOWER cover all of Unicode one character for one, LEN ignores
trailing spaces, ROUND rounds half away from zero or truncates."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from queries.dialects.tsql_format import plain_text


def like_regex(pattern: str) -> str:
    """A LIKE pattern ('%', '_', '[a-c]', '[^x]') as a regular expression (Python and ARE)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            inner = pattern[index + 1 : end]
            negate = inner.startswith("^")
            body = "".join(c if c == "-" else re.escape(c) for c in inner[1 if negate else 0 :])
            out.append(f"[{'^' if negate else ''}{body}]")
            index = end
        else:
            out.append(re.escape(ch))
        index += 1
    return "".join(out)


def patindex_regex(pattern: str) -> str:
    """PATINDEX's pattern as a regex whose first match starts where PATINDEX answers."""
    leading, trailing = pattern.startswith("%"), pattern.endswith("%") and len(pattern) > 1
    core = pattern[1 if leading else 0 : len(pattern) - (1 if trailing else 0)]
    return ("" if leading else "^") + like_regex(core) + ("" if trailing else "$")


def patindex(pattern: str, text: str) -> int:
    found = re.search(patindex_regex(pattern), text, re.IGNORECASE | re.DOTALL)
    return found.start() + 1 if found else 0


def charindex(find: str, text: str, start: int | None = None) -> int:
    begin = max(int(start or 1), 1) - 1
    if find == "":
        return 0
    found = re.compile(re.escape(find), re.IGNORECASE).search(text, begin)
    return found.start() + 1 if found else 0


def replace(text: str, find: str, replacement: str) -> str:
    if find == "":
        return text
    return re.sub(re.escape(find), lambda _: replacement, text, flags=re.IGNORECASE)


def upper(text: str) -> str:
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in text)


def lower(text: str) -> str:
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def stuff(text: str, start: int, length: int, insert: str | None) -> str | None:
    if start < 1 or start > len(text) or length < 0:
        return None
    return text[: start - 1] + (insert or "") + text[start - 1 + length :]


def replicate(text: str, times: int) -> str | None:
    return None if times < 0 else text * int(times)


def left(text: str, count: int) -> str:
    return text[: max(int(count), 0)]


def right(text: str, count: int) -> str:
    return text[len(text) - int(count) :] if count > 0 else ""


def concat(*values: Any) -> str:
    return "".join(plain_text(value) for value in values if value is not None)


def concat_ws(separator: Any, *values: Any) -> str | None:
    if separator is None:
        return None
    return plain_text(separator).join(plain_text(v) for v in values if v is not None)


def _number(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _back(result: Decimal, like: Any) -> Any:
    if isinstance(like, int):
        return int(result)
    if isinstance(like, str):  # exact Money text on SQLite
        return format(result, "f")
    return float(result)


def round_(value: Any, places: int, function: int = 0) -> Any:
    """ROUND(x, n[, f]): half away from zero, or truncated when f is not 0; n may be < 0."""
    quantum = Decimal(1).scaleb(-int(places))
    mode = ROUND_DOWN if function else ROUND_HALF_UP
    number = _number(value)
    result = (
        number.quantize(quantum, rounding=mode)
        if places >= 0
        else ((number / quantum).quantize(Decimal(1), rounding=mode) * quantum)
    )
    return _back(result, value)


def mod(dividend: Any, divisor: Any) -> Any:
    """% with the sign of the dividend, exact for decimals (SQLite's % is integer-only)."""
    if isinstance(dividend, int) and isinstance(divisor, int):
        result = abs(dividend) % abs(divisor)
        return -result if dividend < 0 else result
    return _back(_number(dividend) % _number(divisor), 0.0)
