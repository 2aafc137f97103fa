"""SQL Server's string and number functions in plain Python, for SQLite's saved-query
functions: comparisons inside CHARINDEX / PATINDEX / REPLACE follow the default collation
(case-insensitive), UPPER/LOWER cover all of Unicode one character for one, LEN ignores
trailing spaces, ROUND rounds half away from zero or truncates."""

from __future__ import annotations

import functools
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


Token = Matcher | None  # None: '%'


def class_items(items: str) -> str:
    """A set's characters for a regex class: each escaped, ranges kept; a reversed range
    ('z-a') matches nothing (as SQLite's GLOB has it) instead of being an invalid regex."""
    out: list[str] = []
    index = 0
    while index < len(items):
        if index + 2 < len(items) and items[index + 1] == "-":
            low, high = items[index], items[index + 2]
            if low <= high:
                out.append(f"{re.escape(low)}-{re.escape(high)}")
            index += 3
            continue
        out.append(re.escape(items[index]))
        index += 1
    return "".join(out)


def _class_rule(body: str, case_sensitive: bool) -> Matcher:
    """`[a-c]`, `[^a]`, `[%]`: one character in (or not in) the set."""
    negate = body.startswith("^") and len(body) > 1
    chars = class_items(body[1:] if negate else body)
    if not chars:
        return (lambda c: True) if negate else (lambda c: False)
    rule = re.compile(f"[{'^' if negate else ''}{chars}]", 0 if case_sensitive else re.IGNORECASE)
    return lambda c: rule.fullmatch(c) is not None


def _tokens(pattern: str, escape: str | None = None, case_sensitive: bool = False) -> list[Token]:
    """A LIKE pattern as one test per character, None for '%'; `escape` makes the next
    character literal (LIKE ... ESCAPE '!')."""
    tokens: list[Token] = []
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if escape is not None and ch == escape and index + 1 < len(pattern):
            index += 1
            tokens.append(_same_letter(pattern[index], case_sensitive))
        elif ch == "%":
            tokens.append(None)
        elif ch == "_":
            tokens.append(lambda c: True)
        elif ch == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)  # '[]]' is a set holding ']'
            tokens.append(_class_rule(pattern[index + 1 : end], case_sensitive))
            index = end
        else:
            tokens.append(_same_letter(ch, case_sensitive))
        index += 1
    return tokens


def _runs(tokens: list[Token]) -> list[list[Matcher]]:
    runs: list[list[Matcher]] = [[]]
    for token in tokens:
        if token is None:
            runs.append([])
        else:
            runs[-1].append(token)
    return [run for run in runs if run]


def _same_letter(expected: str, case_sensitive: bool = False) -> Matcher:
    if case_sensitive:
        return lambda c: c == expected
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


def _first_match(tokens: list[Token], text: str) -> int:
    """Where the pattern first matches (1-based), 0 if nowhere. Greedy and linear in the text
    per pattern character (no regex backtracking: a Python function is outside SQLite's time
    limit): the earliest fit of each '%'-separated run leaves the most room for the next."""
    leading = bool(tokens) and tokens[0] is None
    trailing = bool(tokens) and tokens[-1] is None
    runs = _runs(tokens)
    if not runs:
        return 1 if tokens else 0
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


def patindex(pattern: str, text: str) -> int:
    """Where PATINDEX's pattern first matches, 0 if nowhere (case-insensitive)."""
    return _first_match(_tokens(pattern), text)


_cached_tokens = functools.lru_cache(maxsize=256)(_tokens)


def like(text: str, pattern: str, escape: str | None = None, case_sensitive: bool = False) -> bool:
    """T-SQL LIKE: '%', '_', '[a-c]', '[^a]', '[%]' and an ESCAPE character; case-insensitive
    as the default collation unless a binary or _CS_ collation was asked for."""
    tokens = _cached_tokens(pattern, escape, case_sensitive)
    if not tokens:
        return text == ""
    return _first_match(tokens, text) > 0 if tokens[0] is None else _first_match(tokens, text) == 1


_GLOB_SPECIAL = frozenset("*?[]")


def _glob_class(body: str) -> str:
    """A LIKE set for GLOB, without reversed ranges (GLOB's '[z-a]' would take 'z'); a set
    left empty matches no character ('[^\x01-\U0010ffff]' takes only NUL), negated any."""
    negate = body.startswith("^") and len(body) > 1
    items = body[1:] if negate else body
    kept: list[str] = []
    index = 0
    while index < len(items):
        if index + 2 < len(items) and items[index + 1] == "-":
            if items[index] <= items[index + 2]:
                kept.append(items[index : index + 3])
            index += 3
            continue
        kept.append(items[index])
        index += 1
    if not kept:
        return "?" if negate else "[^\x01-\U0010ffff]"
    return f"[{'^' if negate else ''}{''.join(kept)}]"


def like_glob(pattern: str, escape: str | None = None) -> str:
    """A LIKE pattern as SQLite's GLOB pattern (case-sensitive, '*', '?', '[...]', '[^...]'):
    GLOB's own special characters and escaped ones become one-character sets."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if escape is not None and ch == escape and index + 1 < len(pattern):
            index += 1
            literal = pattern[index]
            out.append(f"[{literal}]" if literal in _GLOB_SPECIAL else literal)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            out.append(_glob_class(pattern[index + 1 : end]))
            index = end
        else:
            out.append(f"[{ch}]" if ch in _GLOB_SPECIAL else ch)
        index += 1
    return "".join(out)


def like_regex_escaped(pattern: str, escape: str | None = None) -> str:
    """A LIKE pattern (with its ESCAPE character) as an anchored regular expression (ARE)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if escape is not None and ch == escape and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            negate = body.startswith("^") and len(body) > 1
            chars = class_items(body[1:] if negate else body)
            if chars:
                out.append(f"[{'^' if negate else ''}{chars}]")
            else:  # an empty set: nothing, or (negated) any character
                out.append("." if negate else "[^\\x00-\\U0010ffff]")
            index = end
        else:
            out.append(re.escape(ch))
        index += 1
    return "^" + "".join(out) + "$"


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
