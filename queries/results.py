"""Result rows → JSON-ready values and a DataTypeId per column: from the catalog for plain
column references, from sqlglot's type inference for expressions, else from the values."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from ddl.types import COLUMN_TYPES, TypeId, plain_json
from queries.plan import OutputColumn

Shaper = Callable[[Any], Any]
_WIDE = Context(prec=120)  # DECIMAL(38, s) and wider values quantize without overflow


def _decimal(scale: int) -> Shaper:
    """A DECIMAL(p, s) expression: exact, rounded to its scale (SQLite computes in REAL), shown
    without trailing zeros as Money is."""
    quantum = Decimal(1).scaleb(-scale)

    def shape(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return plain_json(value)
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if not number.is_finite():
            return str(number)
        number = number.quantize(quantum, ROUND_HALF_UP, _WIDE)
        if number == number.to_integral_value():
            return number.quantize(Decimal(1))
        return number.normalize(_WIDE)

    return shape


def infer_type(value: Any) -> TypeId | None:
    if isinstance(value, bool):
        return TypeId.BOOLEAN
    if isinstance(value, int):
        return TypeId.INTEGER
    if isinstance(value, float):
        return TypeId.FLOAT
    if isinstance(value, Decimal):
        return TypeId.MONEY
    if isinstance(value, datetime | date):
        return TypeId.DATE
    if isinstance(value, uuid.UUID):
        return TypeId.UNIQUEIDENTIFIER
    if isinstance(value, bytes | bytearray | memoryview):
        return TypeId.VARBINARY
    if isinstance(value, str):
        return TypeId.VARCHARMAX
    return None


def shaper(
    columns: Sequence[OutputColumn], sample: Sequence[Sequence[Any]]
) -> tuple[list[tuple[str, int | None]], Callable[[Sequence[Any]], dict[str, Any]]]:
    """(Columns as (name, type id), a function from a row to its object keyed by column name);
    a column whose type the plan does not know takes it from the first value in `sample`."""
    types = [column.type_id for column in columns]
    for index, type_id in enumerate(types):
        if type_id is None:
            found = next((row[index] for row in sample if row[index] is not None), None)
            types[index] = infer_type(found)
    shapers = [
        plain_json if t is None
        else _decimal(column.scale) if column.scale is not None and t is TypeId.MONEY
        else COLUMN_TYPES[t].shape
        for column, t in zip(columns, types, strict=True)
    ]  # fmt: skip
    names = [column.name for column in columns]

    def shape_row(row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if value is None else convert(value)
            for name, convert, value in zip(names, shapers, row, strict=True)
        }

    described = [
        (name, None if t is None else int(t)) for name, t in zip(names, types, strict=True)
    ]
    return described, shape_row


def shape(
    columns: Sequence[OutputColumn], rows: Sequence[Sequence[Any]]
) -> tuple[list[tuple[str, int | None]], list[dict[str, Any]]]:
    """(Columns as (name, type id), rows as objects keyed by column name)."""
    described, shape_row = shaper(columns, rows)
    return described, [shape_row(row) for row in rows]
