"""Result rows → JSON-ready values and a DataTypeId per column: from the catalog for plain
column references, from sqlglot's type inference for expressions, else from the values."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from ddl.types import TypeId, format_datetime, money_out
from queries.plan import OutputColumn

Shaper = Callable[[Any], Any]
_WIDE = Context(prec=120)  # DECIMAL(38, s) and wider values quantize without overflow


def _datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # text that is not a date (SQLite is untyped): return it as it is
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return format_datetime(value)
    if isinstance(value, date):
        return format_datetime(datetime(value.year, value.month, value.day))
    return _plain(value)


def _money(value: Any) -> Any:
    if type(value) is Decimal:
        return money_out(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return _plain(value)
    try:
        return money_out(value)
    except ArithmeticError:
        return _plain(value)


def _decimal(scale: int) -> Shaper:
    """A DECIMAL(p, s) expression: exact, rounded to its scale (SQLite computes in REAL), shown
    without trailing zeros as Money is."""
    quantum = Decimal(1).scaleb(-scale)

    def shape(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return _plain(value)
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if not number.is_finite():
            return str(number)
        number = number.quantize(quantum, ROUND_HALF_UP, _WIDE)
        return number.quantize(Decimal(1)) if number == number.to_integral_value() else (
            number.normalize(_WIDE)
        )

    return shape


def _boolean(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    return _plain(value)


def _integer(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return _plain(value)


def _float(value: Any) -> Any:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return float(value)
    return _plain(value)


def _plain(value: Any) -> Any:
    """Any driver value as JSON-ready Python, by its own type."""
    if type(value) in _READY:
        return value
    if isinstance(value, datetime | date):
        return _datetime(value)
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return money_out(value) if value.is_finite() else str(value)
    return value


_READY = frozenset({str, int, float, bool})
_TEXT = frozenset({TypeId.VARCHAR50, TypeId.VARCHAR100, TypeId.VARCHAR200, TypeId.VARCHAROTHER,
                   TypeId.VARCHARMAX, TypeId.TEXT})  # fmt: skip


def _text(value: Any) -> Any:
    return value if type(value) is str else _plain(value)


_SHAPERS: dict[TypeId, Shaper] = {
    TypeId.BOOLEAN: _boolean,
    TypeId.DATE: _datetime,
    TypeId.FLOAT: _float,
    TypeId.INTEGER: _integer,
    TypeId.MONEY: _money,
    TypeId.UNIQUEIDENTIFIER: lambda value: str(value).lower(),
    TypeId.VARBINARY: _plain,
}


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
        _decimal(column.scale) if column.scale is not None and t is TypeId.MONEY
        else _text if t in _TEXT else _SHAPERS.get(t, _plain) if t is not None else _plain
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
