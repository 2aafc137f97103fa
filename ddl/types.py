"""Column types of SPEC §3: id ↔ SQL type ↔ JSON coercion, as precomputed per-column converters.

Input converters turn a decoded JSON value into the value bound for one dialect, raising
`BadValue(expected)`; output converters turn what the driver returns into JSON-ready Python.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.types import UserDefinedType

if TYPE_CHECKING:
    from ddl.backends import Backend

Converter = Callable[[Any], Any]


class TypeId(IntEnum):
    BOOLEAN = 0
    DATE = 1
    FLOAT = 2
    INTEGER = 3
    MONEY = 4
    VARCHAR50 = 5
    VARCHAR100 = 6
    VARCHARMAX = 7
    TEXT = 8
    UNIQUEIDENTIFIER = 9
    VARCHAR200 = 10
    VARCHAROTHER = 11
    VARBINARY = 12


KEY_TYPES = frozenset(
    {
        TypeId.INTEGER,
        TypeId.VARCHAR50,
        TypeId.VARCHAR100,
        TypeId.UNIQUEIDENTIFIER,
        TypeId.VARCHAR200,
        TypeId.VARCHAROTHER,
    }
)
FIXED_LENGTHS = {TypeId.VARCHAR50: 50, TypeId.VARCHAR100: 100, TypeId.VARCHAR200: 200}
STRING_TYPES = frozenset(
    {
        TypeId.VARCHAR50,
        TypeId.VARCHAR100,
        TypeId.VARCHAR200,
        TypeId.VARCHAROTHER,
        TypeId.VARCHARMAX,
        TypeId.TEXT,
    }
)
MAX_COLUMN_LENGTH = 4000
MAX_KEY_LENGTH = 450
MONEY_QUANTUM = Decimal("0.0001")
MONEY_ZERO = Decimal("0.0000")
MONEY_DIGITS = 15  # DECIMAL(19,4): 15 digits before the point
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class BadValue(Exception):
    """A value that does not fit its column; `expected` says what would."""

    def __init__(self, expected: str, detail: str = "") -> None:
        super().__init__(expected)
        self.expected = expected
        self.detail = detail


def type_name(type_id: int) -> str:
    return TypeId(type_id).name.title().replace("Varcharmax", "VarcharMax")


def string_length(type_id: TypeId, length: int | None) -> int | None:
    """The character limit of a string column, or None for unlimited text."""
    if type_id in FIXED_LENGTHS:
        return FIXED_LENGTHS[type_id]
    if type_id is TypeId.VARCHAROTHER:
        return length
    return None


# --- SQL types -------------------------------------------------------------------------------


class SqliteDecimalText(UserDefinedType[str]):
    """Money on SQLite: the exact decimal text (TEXT affinity, by the name). SQLite's NUMERIC
    affinity would keep only 15 significant digits of a DECIMAL(19,4)."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "DECIMAL_TEXT(19,4)"


def sql_type(type_id: TypeId, length: int | None = None) -> sa.types.TypeEngine[Any]:
    """The SQL type; one definition renders per dialect (bit, datetime2, ... on mssql)."""
    match type_id:
        case TypeId.BOOLEAN:
            return sa.Boolean(create_constraint=False)
        case TypeId.DATE:
            return sa.DateTime().with_variant(mssql.DATETIME2(), "mssql")  # type: ignore[no-untyped-call]
        case TypeId.FLOAT:
            return sa.Double().with_variant(mssql.FLOAT(53), "mssql")
        case TypeId.INTEGER:
            return sa.BigInteger()
        case TypeId.MONEY:
            return (
                sa.Numeric(19, 4, asdecimal=True)
                .with_variant(SqliteDecimalText(), "sqlite")
                .with_variant(mssql.DECIMAL(19, 4, asdecimal=True), "mssql")
            )
        case TypeId.VARCHARMAX | TypeId.TEXT:
            return sa.UnicodeText().with_variant(mssql.NVARCHAR(None), "mssql")
        case TypeId.UNIQUEIDENTIFIER:
            return sa.Uuid().with_variant(sa.String(36), "sqlite")
        case TypeId.VARBINARY:
            return sa.LargeBinary().with_variant(mssql.VARBINARY(None), "mssql")  # type: ignore[no-untyped-call]
        case _:
            return sa.Unicode(string_length(type_id, length))


# --- input ------------------------------------------------------------------------------------


def _boolean_in(backend: Backend) -> Converter:
    as_int = backend.booleans_as_int

    def convert(value: Any) -> Any:
        if value is True or value is False:
            result = value
        elif type(value) is int and value in (0, 1):
            result = bool(value)
        elif isinstance(value, str) and value.lower() in ("true", "false"):
            result = value.lower() == "true"
        else:
            raise BadValue('a boolean (true/false, 0/1 or "true"/"false")')
        return int(result) if as_int else result

    return convert


def parse_datetime(value: Any) -> datetime:
    """ISO-8601 date or date-time; an offset is converted to UTC and dropped (stored naive UTC)."""
    if not isinstance(value, str):
        raise BadValue("an ISO-8601 date or date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadValue("an ISO-8601 date or date-time string") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:30:00+01:00 is before year 1 in UTC
            raise BadValue("an ISO-8601 date or date-time string", "out of range") from None
    return parsed


def _date_in(backend: Backend) -> Converter:
    if backend.dates_as_text:
        return lambda value: parse_datetime(value).isoformat(sep=" ")
    return parse_datetime


def _float_in(_backend: Backend) -> Converter:
    def convert(value: Any) -> float:
        if type(value) is bool or not isinstance(value, int | float | Decimal):
            raise BadValue("a number")
        result = float(value)
        if not math.isfinite(result):
            raise BadValue("a finite number")
        return result

    return convert


def integer_value(value: Any) -> int:
    if type(value) is bool:
        raise BadValue("an integer")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadValue("an integer", f"got {value}")
        if isinstance(value, Decimal) and not value.is_finite():
            raise BadValue("an integer", f"got {value}")
        # range first: int() of a JSON number like 1e10000000 would build a huge integer
        if not INT64_MIN <= value <= INT64_MAX:
            raise BadValue("a 64-bit integer", "out of range")
        if value != int(value):
            raise BadValue("an integer", f"got {value}")
        result = int(value)
    else:
        raise BadValue("an integer")
    if not INT64_MIN <= result <= INT64_MAX:
        raise BadValue("a 64-bit integer", "out of range")
    return result


def _integer_in(_backend: Backend) -> Converter:
    return integer_value


def money_value(value: Any) -> Decimal:
    """Exact DECIMAL(19,4); more than 4 places round half away from zero, as SQL Server does."""
    kind = type(value)
    number: Decimal
    if kind is Decimal:
        number = value
    elif kind is int:
        number = Decimal(value)
    elif kind is float:
        number = Decimal(repr(value))
    elif kind is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise BadValue("a number or numeric string") from None
    else:
        raise BadValue("a number or numeric string")
    if not number.is_finite():
        raise BadValue("a finite number")
    if number.adjusted() >= MONEY_DIGITS:  # before quantize, which fails past 28 digits
        raise BadValue("a Money value below 10^15", "out of range")
    number = number.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)
    if number.is_zero():
        number = MONEY_ZERO  # no negative zero: -0.00001 rounds to 0, as on SQL Server
    if number.adjusted() >= MONEY_DIGITS:
        raise BadValue("a Money value below 10^15", "out of range")
    return number


def money_text(value: Any) -> str:
    """Money as the exact text SQLite stores, always with 4 places as DECIMAL(19,4) prints
    (so CAST(Price AS VARCHAR) in a saved query reads '120.5000', as on SQL Server). A Decimal
    that already fits (at most 4 places, below 10^15, not zero: the common case) is padded
    instead of rounded; everything else goes through money_value."""
    if type(value) is Decimal and value.is_finite() and not value.is_zero():
        text = str(value)
        if "E" not in text and value.adjusted() < MONEY_DIGITS:
            dot = text.find(".")
            if dot == -1:
                return text + ".0000"
            places = len(text) - dot - 1
            if places <= 4:
                return text + "0" * (4 - places)
    return str(money_value(value))


def _money_in(backend: Backend) -> Converter:
    return money_text if backend.money_as_text else money_value


def _string_in(limit: int | None) -> Converter:
    expected = f"a string of at most {limit} characters" if limit else "a string"

    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise BadValue(expected)
        if limit is not None and len(value) > limit:
            raise BadValue(expected, f"got {len(value)} characters")
        if "\x00" in value:
            raise BadValue(expected, "NUL characters are not allowed")
        return value

    return convert


_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def uuid_text(value: Any) -> str:
    """Lower-case hyphenated UUID text; the common canonical form skips uuid.UUID (5x slower)."""
    if not isinstance(value, str):
        raise BadValue("a UUID string")
    if _CANONICAL_UUID.fullmatch(value):
        return value.lower()
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise BadValue("a UUID string") from None


def _uuid_in(backend: Backend) -> Converter:
    if backend.native_uuid:
        return lambda value: uuid.UUID(uuid_text(value))
    return uuid_text


def _binary_in(_backend: Backend) -> Converter:
    def convert(value: Any) -> bytes:
        if not isinstance(value, str):
            raise BadValue("a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise BadValue("a base64 string") from None

    return convert


def input_converter(type_id: TypeId, length: int | None, backend: Backend) -> Converter:
    """Converter from decoded JSON to the value bound for `backend`; callers handle null."""
    match type_id:
        case TypeId.BOOLEAN:
            return _boolean_in(backend)
        case TypeId.DATE:
            return _date_in(backend)
        case TypeId.FLOAT:
            return _float_in(backend)
        case TypeId.INTEGER:
            return _integer_in(backend)
        case TypeId.MONEY:
            return _money_in(backend)
        case TypeId.UNIQUEIDENTIFIER:
            return _uuid_in(backend)
        case TypeId.VARBINARY:
            return _binary_in(backend)
        case _:
            return _string_in(string_length(type_id, length))


def key_from_text(type_id: TypeId, text: str) -> Any:
    """A key given in a query string: integers arrive as text there."""
    if type_id is TypeId.INTEGER:
        try:
            return int(text.strip())
        except ValueError:
            raise BadValue("an integer") from None
    return text


# --- output -----------------------------------------------------------------------------------


def money_out(value: Any) -> Decimal | None:
    """Exact Decimal without trailing zeros: 39.99 stays 39.99 (never 39.990000000000002)."""
    if value is None:
        return None
    if type(value) is str and "." in value:  # SQLite keeps the exact text we wrote
        return Decimal(value.rstrip("0").rstrip("."))
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    number = number.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def format_datetime(value: datetime) -> str:
    return value.isoformat() + "Z"


def _date_out(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime) and isinstance(value, date):
        value = datetime(value.year, value.month, value.day)
    return format_datetime(value)


def _boolean_out(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _uuid_out(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def _binary_out(value: Any) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _float_out(value: Any) -> float | None:
    return None if value is None else float(value)


def _integer_out(value: Any) -> int | None:
    return None if value is None else int(value)


def output_converter(type_id: TypeId) -> Converter | None:
    """Converter from the driver's value to JSON-ready Python, or None where it is already so."""
    return {
        TypeId.BOOLEAN: _boolean_out,
        TypeId.DATE: _date_out,
        TypeId.FLOAT: _float_out,
        TypeId.INTEGER: _integer_out,
        TypeId.MONEY: money_out,
        TypeId.UNIQUEIDENTIFIER: _uuid_out,
        TypeId.VARBINARY: _binary_out,
    }.get(type_id)


__all__ = [
    "KEY_TYPES",
    "BadValue",
    "TypeId",
    "input_converter",
    "key_from_text",
    "output_converter",
    "sql_type",
]
