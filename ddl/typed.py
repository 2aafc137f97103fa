"""Typed rows: per table version, msgspec types that validate and convert a write's values in C
when they come in their canonical JSON forms (names spelled as defined, values of the exact JSON
type, keys present and distinct, no unknown field). Anything else is left to the general path of
ddl/rows.py, which accepts the lenient forms (0/1 booleans, 3.0 integers, braces around UUIDs,
any-case names) and explains every error; both paths bind the same database values.

Each column type's canonical form is its record's `wire` (ddl/types.py). Optional fields default
to UNSET rather than None, so the batch also knows how many object keys the body held: the web
layer compares that with the keys in the raw text to see a repeated key without a second,
generic decode of the body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, countOf
from typing import Any, Literal

import msgspec

from ddl.backends import Backend
from ddl.prepared import PreparedColumn, PreparedTable
from ddl.rows import Batch, ParamRows
from ddl.types import COLUMN_TYPES, BadValue, column_or_each

UNSET = msgspec.UNSET
DEFAULT_LONGEST = 1 << 16  # characters of the longest string value taken in C


class TypedRows:
    """The typed row struct of one table version, and how its column structs map back.
    `longest` bounds every string value (longer ones take the general path)."""

    def __init__(self, table: PreparedTable, longest: int = DEFAULT_LONGEST) -> None:
        backend = table.space.backend
        self.longest = longest
        self.column_of: dict[type, PreparedColumn] = {}
        self.convert: dict[type, Any] = {}
        for index, column in enumerate(table.ordered[1:]):
            record = COLUMN_TYPES[column.type_id]
            struct = msgspec.defstruct(
                f"Column{index}",
                [("Value", _nullable(record.wire(backend, column.length, longest)))],
                tag_field="ColumnName",
                tag=column.name,
                forbid_unknown_fields=True,
                gc=False,
            )
            self.column_of[struct] = column
            convert = _wire_converter(column, backend)
            if convert is not None:
                self.convert[struct] = convert
        # a table with its key alone takes no column here: any listed is the general path's
        listed: Any = tuple[()]
        if self.column_of:
            listed = list[_union(tuple(self.column_of))]  # type: ignore[misc]
        key = table.key
        key_wire = COLUMN_TYPES[key.type_id].wire(backend, key.length, longest)
        self.convert_key = _wire_converter(key, backend)
        key_type = int(key.type_id)
        self.row_type = msgspec.defstruct(
            "TypedRow",
            [
                ("KeyValue", key_wire),
                ("KeyColumnName", Literal[key.name] | None | msgspec.UnsetType, UNSET),
                ("KeyDataTypeId", Literal[key_type] | None | msgspec.UnsetType, UNSET),
                ("Columns", listed | msgspec.UnsetType, UNSET),
            ],
            forbid_unknown_fields=True,
            gc=False,
        )
        self._signatures: dict[tuple[type, ...], Signature | None] = {}

    def signature(self, kinds: tuple[type, ...]) -> Signature | None:
        """What a row listing these column structs sets, and which of its values still need
        converting; None when a column is listed twice (the general path says so)."""
        if kinds not in self._signatures:
            if not all(struct in self.column_of for struct in kinds):
                return None  # cannot be decoded here; the general path explains it
            columns = tuple(self.column_of[struct] for struct in kinds)
            post = tuple(
                (position, self.convert[struct])
                for position, struct in enumerate(kinds, start=1)
                if struct in self.convert
            )
            unique = len(set(columns)) == len(columns)
            self._signatures[kinds] = Signature(columns, post) if unique else None
        return self._signatures[kinds]


@dataclass(frozen=True, slots=True)
class Signature:
    columns: tuple[PreparedColumn, ...]
    post: tuple[tuple[int, Any], ...]  # (position in the parameter row, converter)


@dataclass(frozen=True, slots=True)
class TypedBatch:
    batch: Batch
    keys_seen: int  # object keys of the rows as decoded (a repeated key counts once)


def _nullable(kind: Any) -> Any:
    return kind if kind is msgspec.Raw else kind | None  # Raw holds null as it is


ColumnConverter = Callable[[Sequence[Any]], list[Any]]


def _wire_converter(column: PreparedColumn, backend: Backend) -> ColumnConverter | None:
    """What still turns a column of typed values into bound ones (None when they already are):
    the type's whole-column conversion where it vouches for every value, else one at a time
    (raising BadValue for a value the general path must explain)."""
    record = COLUMN_TYPES[column.type_id]
    if not record.wire_converts:
        return None
    one = (record.wire_to_db or record.to_db)(backend, column.length)
    if one is None:
        return None
    whole = record.wire_column(backend, column.length) if record.wire_column else None
    return column_or_each(whole, one)


def _union(types: tuple[type, ...]) -> Any:
    result: Any = types[0]
    for kind in types[1:]:
        result = result | kind
    return result


def typed_rows(table: PreparedTable, longest: int = DEFAULT_LONGEST) -> TypedRows:
    """Built once per table version (kept with its compiled statements)."""
    cached = table.typed_rows
    if not isinstance(cached, TypedRows) or cached.longest != longest:
        cached = table.typed_rows = TypedRows(table, longest)
    return cached


def typed_batch(table: PreparedTable, rows: Sequence[Any]) -> TypedBatch | None:
    """A batch from rows of `typed_rows(table).row_type`, or None when the general path must
    decide (a key repeated in the batch, a column listed twice in a row, a value its type's
    converter refuses). Works a column at a time: the loops run in C (map, zip, join)."""
    typed = table.typed_rows
    assert isinstance(typed, TypedRows)
    keys = list(map(_key_of, rows))
    try:
        if typed.convert_key is not None:
            keys = typed.convert_key(keys)
        if len(set(keys)) != len(keys):
            return None
        items = list(map(_columns_of, rows))
        absent = items.count(UNSET)
        if absent:
            items = [[] if listed is UNSET else listed for listed in items]
        given = 2 * len(rows) - countOf(map(_key_name_of, rows), UNSET)
        given -= countOf(map(_key_type_of, rows), UNSET)
        keys_seen = 2 * len(rows) - absent + given + 2 * sum(map(len, items))
        groups: dict[tuple[PreparedColumn, ...], ParamRows] = {}
        for kinds, (group_keys, listed) in _by_kinds(keys, items).items():
            signature = typed.signature(kinds)
            if signature is None:
                return None
            columns: list[Any] = [group_keys, *(list(map(_value, structs)) for structs in listed)]
            for position, convert in signature.post:
                columns[position] = convert(columns[position])
            groups[signature.columns] = list(zip(*columns, strict=True))
    except BadValue:
        return None
    return TypedBatch(Batch(keys, keys, groups), keys_seen)


Group = tuple[list[Any], Sequence[Sequence[Any]]]  # keys, and per listed column its structs


def _by_kinds(keys: list[Any], items: list[list[Any]]) -> dict[tuple[type, ...], Group]:
    """Rows grouped by the column structs they list, each group's structs a column at a time;
    most bodies list the same ones in every row, which a set per column shows in C."""
    if len(set(map(len, items))) == 1:
        columns = list(zip(*items, strict=True))  # one C pass: a tuple of structs per listed column
        kinds = [set(map(type, structs)) for structs in columns]
        if all(len(kind) == 1 for kind in kinds):
            return {tuple(kind.pop() for kind in kinds): (keys, columns)}
    rows: dict[tuple[type, ...], tuple[list[Any], list[list[Any]]]] = {}
    for key, listed in zip(keys, items, strict=True):
        group = rows.setdefault(tuple(map(type, listed)), ([], []))
        group[0].append(key)
        group[1].append(listed)
    return {
        kinds: (group_keys, [list(column) for column in zip(*listed, strict=True)])
        for kinds, (group_keys, listed) in rows.items()
    }


_key_of = attrgetter("KeyValue")
_columns_of = attrgetter("Columns")
_key_name_of = attrgetter("KeyColumnName")
_key_type_of = attrgetter("KeyDataTypeId")
_value = attrgetter("Value")
