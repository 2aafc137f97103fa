"""Whole columns of driver values → JSON-ready values, in C-speed passes (map of C methods,
join, split, one translate), for the read paths that convert a partition a column at a time.

Each function gives exactly what the column type's one-value `to_json` (ddl/types.py) gives for
every value, or None when it cannot vouch for every value of the column (a NULL among them, an
unusual form): the caller then converts that column one value at a time. Reading a table with a
Date, Money or UUID column cost about twice as much as one without, all of it in these
per-value calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from typing import Any
from uuid import UUID

import msgspec

from ddl.fixed_width import DIGITS, fixed_form

JsonColumn = Callable[[Sequence[Any]], "Sequence[Any] | None"]

_STORED_SECOND_MARKS = {4: "-", 7: "-", 10: " ", 13: ":", 16: ":"}  # 2026-01-15 10:00:00
_STORED_MICRO_MARKS = {**_STORED_SECOND_MARKS, 19: "."}  # 2026-01-15 10:00:00.250000


def _all(values: Sequence[Any], kind: type) -> bool:
    """Every value is exactly of `kind` (no NULL, no subclass): one pass in C."""
    return set(map(type, values)) == {kind}


def as_is(kinds: tuple[type, ...]) -> JsonColumn:
    """A column the driver already gives as `kinds` (SQLite's integers, floats): unchanged,
    NULLs included, which is what int(value) / float(value) would give."""
    allowed = {*kinds, type(None)}

    def convert(values: Sequence[Any]) -> Sequence[Any] | None:
        return values if set(map(type, values)) <= allowed else None

    return convert


def uuid_column(values: Sequence[Any]) -> list[str] | None:
    """str(value).lower() of each: SQLite's text lowered by a C method mapped over it;
    PostgreSQL's uuid.UUID (whose str() is Python code) written by msgspec, whose canonical
    form is that same lower-case hyphenated text, and read back as strings."""
    if values and _all(values, str):
        return list(map(str.lower, values))
    if values and _all(values, UUID):
        return _UUID_TEXTS.decode(_UUID_JSON.encode(values))
    return None


_UUID_JSON = msgspec.json.Encoder(uuid_format="canonical")
_UUID_TEXTS = msgspec.json.Decoder(list[str])


def date_column(values: Sequence[Any]) -> list[str] | None:
    """SQLite's `2026-01-15 10:00:00` → `2026-01-15T10:00:00Z` (the same characters, as the
    one-value path writes them); PostgreSQL's datetimes → isoformat() + `Z`, mapped in C."""
    if values and _all(values, datetime):
        isoformats = "\n".join(map(datetime.isoformat, values))
        return (isoformats.replace("\n", "Z\n") + "Z").split("\n")
    if not values or not _all(values, str) or len(values[0]) not in (19, 26):
        return None
    width = len(values[0])
    marks = _STORED_SECOND_MARKS if width == 19 else _STORED_MICRO_MARKS
    joined = fixed_form(values, width, marks, DIGITS)
    if joined is None or joined.count("\n") != len(values) - 1:  # no value holds a newline
        return None
    return (joined.replace(" ", "T").replace("\n", "Z\n") + "Z").split("\n")


def boolean_column(values: Sequence[Any]) -> list[bool] | None:
    """bool(value) of each (SQLite gives 0 and 1), mapped in C; a NULL among them: None."""
    return list(map(bool, values)) if set(map(type, values)) <= {int, bool} else None


def money_column(values: Sequence[Any]) -> list[Decimal] | None:
    """SQLite's Money text (`39.9900`): Decimal(text.rstrip("0").rstrip(".")) of each, as the
    one-value path does, mapped in C. PostgreSQL's Decimals of exactly 4 places the same way
    from their text: for those, the one-value path's quantize to 4 places changes nothing and
    its normalize (or quantize to units when whole) is exactly that stripping. Other columns
    go one value at a time."""
    if values and _all(values, Decimal):
        texts = list(map(str, values))
        if not _FOUR_PLACES.fullmatch("\n".join(texts)):
            return None
    elif values and _all(values, str):
        texts = list(values)
        if not all(map(str.__contains__, texts, repeat("."))):
            return None
    else:
        return None
    stripped = map(str.rstrip, map(str.rstrip, texts, repeat("0")), repeat("."))
    return list(map(Decimal, stripped))


_FOUR_PLACES = re.compile(r"(?:-?[0-9]+\.[0-9]{4}\n)*-?[0-9]+\.[0-9]{4}")
