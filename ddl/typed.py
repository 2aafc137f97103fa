"""Typed rows: per table version, msgspec types that validate and convert a write's values in C
when they come in their canonical JSON forms (names spelled as defined, values of the exact JSON
type, keys present and distinct). Anything else is left to the general path of ddl/rows.py,
which accepts the lenient forms (0/1 booleans, 3.0 integers, braces around UUIDs, any-case
names) and explains every error; both paths bind the same database values."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec

from ddl.backends import Backend
from ddl.prepared import PreparedColumn, PreparedTable
from ddl.rows import Batch, ParamRows
from ddl.types import INT64_MAX, INT64_MIN, BadValue, TypeId

_LOWER_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_POST_CONVERTED = frozenset({TypeId.DATE, TypeId.MONEY})  # exact JSON type, still converted


def _value_type(column: PreparedColumn, backend: Backend) -> Any:
    match column.type_id:
        case TypeId.BOOLEAN:
            return bool
        case TypeId.FLOAT:
            return float
        case TypeId.INTEGER:
            return Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
        case TypeId.MONEY:
            return Decimal
        case TypeId.UNIQUEIDENTIFIER if backend.native_uuid:
            return uuid.UUID
        case TypeId.UNIQUEIDENTIFIER:
            return Annotated[str, msgspec.Meta(pattern=_LOWER_UUID)]
        case TypeId.VARBINARY:
            return bytes
        case TypeId.DATE:
            return str
    if column.length is None and column.type_id in (TypeId.VARCHARMAX, TypeId.TEXT):
        return str
    return Annotated[str, msgspec.Meta(max_length=column.length or _fixed(column.type_id))]


def _fixed(type_id: TypeId) -> int:
    return {TypeId.VARCHAR50: 50, TypeId.VARCHAR100: 100, TypeId.VARCHAR200: 200}[type_id]


class TypedRows:
    """The typed row struct of one table version, and how its column structs map back."""

    def __init__(self, table: PreparedTable) -> None:
        backend = table.space.backend
        self.column_of: dict[type, PreparedColumn] = {}
        self.convert: dict[type, Any] = {}
        for index, column in enumerate(table.ordered[1:]):
            struct = msgspec.defstruct(
                f"Column{index}",
                [("Value", _value_type(column, backend) | None, None)],
                tag_field="ColumnName",
                tag=column.name,
                gc=False,
            )
            self.column_of[struct] = column
            if column.type_id in _POST_CONVERTED:
                self.convert[struct] = column.to_db
        item = Any if not self.column_of else _union(tuple(self.column_of))
        key = table.key
        self.row_type = msgspec.defstruct(
            "TypedRow",
            [
                ("KeyValue", _value_type(key, backend)),
                ("KeyColumnName", Literal[key.name] | None, None),
                ("KeyDataTypeId", Literal[int(key.type_id)] | None, None),
                ("Columns", list[item], msgspec.field(default_factory=list)),  # type: ignore[valid-type]
            ],
            gc=False,
        )
        self._signatures: dict[tuple[type, ...], Signature | None] = {}

    def signature(self, kinds: tuple[type, ...]) -> Signature | None:
        """What a row listing these column structs sets, and which of its values still need
        converting; None when a column is listed twice (the general path says so)."""
        if kinds not in self._signatures:
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


def _union(types: tuple[type, ...]) -> Any:
    result: Any = types[0]
    for kind in types[1:]:
        result = result | kind
    return result


def typed_rows(table: PreparedTable) -> TypedRows:
    """Built once per table version (cached with its compiled statements)."""
    cached = table.extras.get("typed_rows")
    if cached is None:
        cached = table.extras["typed_rows"] = TypedRows(table)
    return cached


def typed_batch(table: PreparedTable, rows: Sequence[Any]) -> Batch | None:
    """A batch from rows of `typed_rows(table).row_type`, or None when the general path must
    decide (a key repeated in the batch, a column listed twice in a row)."""
    typed = typed_rows(table)
    keys: list[Any] = []
    seen: set[Any] = set()
    groups: dict[tuple[PreparedColumn, ...], ParamRows] = {}
    for row in rows:
        key = row.KeyValue
        if key in seen:
            return None
        seen.add(key)
        keys.append(key)
        items = row.Columns
        signature = typed.signature(tuple(map(type, items)))
        if signature is None:
            return None
        values = [key, *map(_value, items)]
        for position, convert in signature.post:
            value = values[position]
            if value is not None:
                try:
                    values[position] = convert(value)
                except BadValue:
                    return None
        groups.setdefault(signature.columns, []).append(tuple(values))
    return Batch(keys, keys, groups)


_value = attrgetter("Value")
