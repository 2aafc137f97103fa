"""SQL Server's string and number functions in plain Python, for SQLite's saved-query
functions: comparisons inside CHARINDEX / PATINDEX / REPLACE follow the default collation
(case-insensitive), UPPER/LOWER cover all of Unicode one character for one, LEN ignores
trailing spaces, ROUND rounds half away from zero or truncates."""

from __future__ import annotations

import re
from collections.abc import Callable
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
    """PATINDEX's pattern as a regex whose first match starts where PATINDEX answers (the
    PostgreSQL translation; its regex engine runs under the statement time limit)."""
    if pattern and not pattern.strip("%"):
        return "^"  # only wildcards: a match at the first position
    leading, trailing = pattern.startswith("%"), pattern.endswith("%") and len(pattern) > 1
    core = pattern[1 if leading else 0 : len(pattern) - (1 if trailing else 0)]
    return ("" if leading else "^") + like_regex(core) + ("" if trailing else "$")


Matcher = Callable[[str], bool]


def _segments(pattern: str) -> list[list[Matcher]]:
    """A LIKE pattern split at '%' into runs of one-character tests (case-insensitive)."""
    segments: list[list[Matcher]] = [[]]
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if ch == "%":
            segments.append([])
        elif ch == "_":
            segments[-1].append(lambda c: True)
        elif ch == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            rule = re.compile(f"[{like_regex(pattern[index : end + 1])[1:-1]}]", re.IGNORECASE)
            segments[-1].append(_in_class(rule))
            index = end
        else:
            segments[-1].append(_same_letter(ch))
        index += 1
    return segments


def _in_class(rule: re.Pattern[str]) -> Matcher:
    return lambda c: rule.fullmatch(c) is not None


def _same_letter(expected: str) -> Matcher:
    low = expected.lower()
    return lambda c: c.lower() == low


def _fits(segment: list[Matcher], text: str, at: int) -> bool:
    return at + len(segment) <= len(text) and all(
        test(text[at + i]) for i, test in enumerate(segment)
    )


def _earliest(segment: list[Matcher], text: str, start: int, last: int) -> int:
    for at in range(start, last + 1):
        if _fits(segment, text, at):
            return at
    return -1


def patindex(pattern: str, text: str) -> int:
    """Where PATINDEX's pattern first matches, 0 if nowhere. Greedy and linear in the text per
    pattern character (no regex backtracking: a Python function is outside SQLite's time
    limit): the earliest fit of each '%'-separated run leaves the most room for the next."""
    leading, trailing = pattern.startswith("%"), pattern.endswith("%")
    runs = [run for run in _segments(pattern) if run]
    if not runs:
        return 1 if pattern else 0
    last = len(runs) - 1

    def place(index: int, lowest: int) -> int:
        run = runs[index]
        if index == last and not trailing:  # the last run must end the text
            at = len(text) - len(run)
            return at if at >= lowest and _fits(run, text, at) else -1
        return _earliest(run, text, lowest, len(text) - len(run))

    if leading:
        start = place(0, 0)
    else:
        alone = last == 0 and not trailing
        fits = _fits(runs[0], text, 0) and (not alone or len(runs[0]) == len(text))
        start = 0 if fits else -1
    if start < 0:
        return 0
    position = start + len(runs[0])
    for index in range(1, len(runs)):
        at = place(index, position)
        if at < 0:
            return 0
        position = at + len(runs[index])
    return start + 1


def charindex(find: str, text: str, start: int | None = None) -> int:
    begin = max(int(start or 1), 1) - 1
    if find == "":
        return 0
    found = re.compile(re.escape(find), re.IGNORECASE).search(text, begin)
    return found.start() + 1 if found else 0


TEXT_LIMIT = 10_000_000  # characters one value may grow to inside a Python function


def replace(text: str, find: str, replacement: str) -> str:
    if find == "":
        return text
    growth = text.lower().count(find.lower()) * max(0, len(replacement) - len(find))
    if len(text) + growth > TEXT_LIMIT:
        raise ValueError(f"The result of REPLACE would be longer than {TEXT_LIMIT:,} characters")
    return re.sub(re.escape(find), lambda _: replacement, text, flags=re.IGNORECASE)


def upper(text: str) -> str:
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in text)


def lower(text: str) -> str:
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def stuff(text: str, start: int, length: int, insert: str | None) -> str | None:
    if start < 1 or start > len(text) or length < 0:
        return None
    return text[: start - 1] + (insert or "") + text[start - 1 + length :]


REPLICATE_LIMIT = 8000  # SQL Server cuts REPLICATE at 8,000 bytes unless given a (max) type


def replicate(text: str, times: int) -> str | None:
    if times < 0:
        return None
    count = min(int(times), REPLICATE_LIMIT // max(len(text), 1) + 1)
    return (text * count)[:REPLICATE_LIMIT]


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
