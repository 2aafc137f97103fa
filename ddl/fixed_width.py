"""Whole columns of fixed-width texts (UUIDs, ISO timestamps) checked at C speed: one join,
slices, counts and one translate over the column instead of a parse per value. Used where
values are written (ddl/types.py) and read (ddl/json_columns.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DIGITS = b"0123456789"


def fixed_form(
    values: Sequence[Any], width: int, marks: dict[int, str], rest: bytes, fold: bool = False
) -> str | None:
    """The values joined by newlines when each is exactly `width` characters: `marks` at
    their positions (and nowhere else), characters of `rest` everywhere else. Checked with
    slices, counts and one translate over the whole column; the caller splits the result and
    compares the count (a value holding a newline is never vouched for)."""
    count = len(values)
    if not count or None in values:
        return None
    joined = "\n".join(values)
    if len(joined) != (width + 1) * count - 1 or not joined.isascii():
        return None
    if fold:
        joined = joined.lower()  # ASCII: the length stays
    if joined[width :: width + 1] != "\n" * (count - 1):
        return None
    for position, mark in marks.items():
        if joined[position :: width + 1] != mark * count:
            return None
    marked = "".join(marks.values())
    if any(joined.count(mark) != count * marked.count(mark) for mark in set(marked)):
        return None  # a mark character somewhere else
    allowed = rest + marked.encode() + b"\n"
    return None if joined.encode().translate(None, allowed) else joined
