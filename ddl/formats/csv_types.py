"""Column types of a table made from CSV: `Types=Name:6,Price:4,Code:11(30)` as given by the
client, and for the rest, types inferred from the values in the file.

Inference rules (docs/decisions.md), over every non-NULL value of a column:
- only `true`/`false` (any case) → Boolean (0);
- only integers (`-12`) within 64 bits → Integer (3);
- only numbers with at most 4 decimal places below 10^15 → Money (4); other numbers → Float (2);
- only ISO-8601 dates or date-times (`2026-01-15`, `2026-01-15T10:00:00Z`) → Date (1);
- only hyphenated UUIDs → UniqueIdentifier (9);
- anything else is text by its longest value: ≤ 50 → Varchar50 (5), ≤ 100 → Varchar100 (6),
  ≤ 200 → Varchar200 (10), longer → VarcharMax (7); a column with no value at all → VarcharMax.
A key column must have a key type: Integer and UniqueIdentifier stay, anything else becomes
text by length (≤ 200 as above, ≤ 450 VarcharOther of that length, longer: 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ddl.errors import ValidationError
from ddl.names import check_column_name, fold
from ddl.types import (
    COLUMN_TYPES,
    FIXED_LENGTHS,
    KEY_TYPES,
    MAX_KEY_LENGTH,
    MAX_TYPE_ID,
    TypeId,
)

_TYPE = re.compile(r"\s*(\w+)\s*(?:\(\s*(\d{1,6})\s*\))?\s*")
_BY_NAME = {kind.name.lower(): kind for kind in TypeId}
_TEXT_SIZES = tuple(sorted((size, kind) for kind, size in FIXED_LENGTHS.items()))


@dataclass(frozen=True, slots=True)
class TypeChoice:
    """A column's type as a CSV import decides it (given in `Types` or inferred)."""

    type_id: TypeId
    length: int | None = None


def _one_type(entry: str) -> tuple[str, TypeChoice]:
    name, colon, kind = entry.partition(":")
    match = _TYPE.fullmatch(kind)
    if not colon or match is None:
        raise ValidationError(f"Types entries are Name:TypeId (e.g. Price:4), got {entry!r}")
    word, length = match.group(1), match.group(2)
    if word.isdigit():
        type_id = TypeId(int(word)) if int(word) <= MAX_TYPE_ID else None
    else:
        type_id = _BY_NAME.get(word.lower())
    if type_id is None:
        raise ValidationError(
            f"Types: {word!r} is not a type id from 0 to {MAX_TYPE_ID} or a type name"
        )
    if (length is not None) != (type_id is TypeId.VARCHAROTHER):
        raise ValidationError(
            f"Types: a length in parentheses goes with VarcharOther (11) only: {entry!r}"
        )
    return check_column_name(name.strip()), TypeChoice(type_id, int(length) if length else None)


def parse_types(text: str | None) -> dict[str, TypeChoice]:
    """`Name:6,Price:4,Code:11(30)` (ids or type names) → column name as given → type."""
    types: dict[str, TypeChoice] = {}
    for entry in (text or "").split(","):
        if entry.strip():
            name, kind = _one_type(entry)
            if fold(name) in {fold(known) for known in types}:
                raise ValidationError(f"Types names column '{name}' twice")
            types[name] = kind
    return types


# (type, test) of every type a value can be inferred as, the first match winning
_CHECKS = tuple(
    (type_id, test)
    for _rank, type_id, test in sorted(
        (r.csv_infer[0], r.id, r.csv_infer[1]) for r in COLUMN_TYPES.values() if r.csv_infer
    )
)


@dataclass(slots=True)
class Inference:
    """What the values seen so far of one column allow."""

    possible: set[TypeId] = field(default_factory=lambda: {kind for kind, _ in _CHECKS})
    longest: int = 0
    seen: bool = False

    def add(self, text: str) -> None:
        self.seen = True
        self.longest = max(self.longest, len(text))
        if self.possible:
            self.possible -= {
                kind for kind, check in _CHECKS if kind in self.possible and not check(text)
            }

    def result(self, *, key: bool = False) -> TypeChoice:
        kind = next((k for k, _ in _CHECKS if k in self.possible), None) if self.seen else None
        if key and kind not in KEY_TYPES:
            return _key_text(self.longest)
        if kind is not None:
            return TypeChoice(kind)
        return _text(self.longest) if self.seen else TypeChoice(TypeId.VARCHARMAX)


def _text(longest: int) -> TypeChoice:
    return next(
        (TypeChoice(k) for size, k in _TEXT_SIZES if longest <= size), TypeChoice(TypeId.VARCHARMAX)
    )


def _key_text(longest: int) -> TypeChoice:
    if longest <= 200:
        return _text(max(longest, 1))
    if longest <= MAX_KEY_LENGTH:
        return TypeChoice(TypeId.VARCHAROTHER, longest)
    raise ValidationError(
        f"The key's values are up to {longest} characters; a key holds at most {MAX_KEY_LENGTH}"
    )
