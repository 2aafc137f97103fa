"""Column values between the server's JSON and Python, by type id (SPEC §3): Money ↔ Decimal,
Date ↔ datetime (UTC), UniqueIdentifier ↔ UUID, VarBinary ↔ bytes. Writes need no type
information (the Python type says how to send it); reads use the table's definition, so a
Money 39.99 comes back as Decimal('39.99'), never as a float."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

Row = dict[str, Any]
Decode = Callable[[Any], Any]

# Decimal as a JSON number (exact), datetime as ISO-8601, UUID as text, bytes as base64.
_encoder = msgspec.json.Encoder(decimal_format="number")
_exact = msgspec.json.Decoder(float_hook=Decimal)


def encode(value: object) -> bytes:
    """A JSON body; every value type a row may hold is sent as its column type expects."""
    return _encoder.encode(value)


def decode_exact(content: bytes) -> Any:
    """JSON with every fractional number as Decimal, so Money loses no digit on the way."""
    return _exact.decode(content)


def _date(value: Any) -> Any:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _money(value: Any) -> Any:
    return (
        Decimal(value)
        if isinstance(value, int | Decimal) and not isinstance(value, bool)
        else value
    )


def _float(value: Any) -> Any:
    return (
        float(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else value
    )


def _uuid(value: Any) -> Any:
    return uuid.UUID(value) if isinstance(value, str) else value


def _binary(value: Any) -> Any:
    return base64.b64decode(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    """No declared type (e.g. a computed query column): a fractional number as a float."""
    return float(value) if isinstance(value, Decimal) else value


_BY_TYPE: dict[int, Decode] = {1: _date, 2: _float, 4: _money, 9: _uuid, 12: _binary}
_PASS_THROUGH = frozenset({0, 3, 5, 6, 7, 8, 10, 11})  # JSON already has the Python type


def decoder_for(type_id: int | None) -> Decode | None:
    """How one column's JSON value becomes Python; None when it needs nothing done."""
    if type_id is None:
        return _plain
    if type_id in _PASS_THROUGH:
        return None
    step: Decode = _BY_TYPE.get(type_id, _plain)
    return step


def row_decoder(columns: Iterable[tuple[str, int | None]]) -> Callable[[Row], Row]:
    """Converts a flat row in place: only the columns whose JSON is not yet the Python value."""
    steps = [(name, step) for name, type_id in columns if (step := decoder_for(type_id))]

    def decode_row(row: Row) -> Row:
        for name, step in steps:
            value = row.get(name)
            if value is not None:
                row[name] = step(value)
        return row

    return decode_row


def key_text(value: object) -> str:
    """A key as the `KeyValue` query parameter wants it (UUID, int or text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def definition_columns(definition: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    """(name, type id) of every column of a v3 table definition, key first."""
    columns: list[tuple[str, int | None]] = [
        (definition["KeyColumnName"], definition["KeyDataTypeId"])
    ]
    columns.extend((c["ColumnName"], c["ColumnDataTypeId"]) for c in definition["Columns"])
    return columns
