"""Column types of SPEC §3: one `ColumnType` record per type id holds everything the server
knows about that type, so a new type id is a new record here (and its tests), nowhere else:

- `sql`: the SQL type, one definition that renders per backend (bit, datetime2, … on mssql);
- `to_db`: a JSON value → the value bound for a backend (by its storage capabilities,
  ddl/backends), raising `BadValue(expected)`;
- `wire`: the msgspec type of the value's canonical JSON form (the typed write path checks it in
  C, ddl/typed.py); `wire_converts` when that value still needs converting, `wire_to_db` when
  not by `to_db`, `wire_column` to convert a whole column in C-speed passes;
- `to_json`: a stored value → JSON-ready Python (`shape`: the same, lenient, for a saved
  query's answer, where the driver may hand over anything);
- `from_text`: a value given as text in a query string → its JSON form;
- `csv_parse`, `csv_format`, `csv_column`, `csv_infer`: CSV fields both ways (ddl/formats);
- `planner_sql`, `planner_kinds`: the type the T-SQL planner (sqlglot) sees, and the planner's
  types that read back as this id (queries/plan.py);
- `to_param`: a query parameter's bound value, where it differs from a column's.

Every table built from the records covers every id (checked at import), so no look-up by id can
fail with a KeyError.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.types import UserDefinedType

from ddl import json_columns
from ddl.fixed_width import DIGITS, fixed_form
from ddl.json_columns import JsonColumn

if TYPE_CHECKING:
    from ddl.backends import Backend

Converter = Callable[[Any], Any]
CsvColumn = Callable[[list[Any]], tuple[list[Any], int]]


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


# --- SQL types -------------------------------------------------------------------------------


class SqliteDecimalText(UserDefinedType[str]):
    """Money on SQLite: the exact decimal text (TEXT affinity, by the name). SQLite's NUMERIC
    affinity would keep only 15 significant digits of a DECIMAL(19,4)."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "DECIMAL_TEXT(19,4)"


def _unicode(limit: int | None) -> sa.types.TypeEngine[Any]:
    if limit is None:
        return sa.UnicodeText().with_variant(mssql.NVARCHAR(None), "mssql")
    return sa.Unicode(limit)


_DATETIME2 = mssql.DATETIME2()  # type: ignore[no-untyped-call]
_VARBINARY = mssql.VARBINARY(None)  # type: ignore[no-untyped-call]


def _money_sql(_length: int | None) -> sa.types.TypeEngine[Any]:
    return (
        sa.Numeric(19, 4, asdecimal=True)
        .with_variant(SqliteDecimalText(), "sqlite")
        .with_variant(mssql.DECIMAL(19, 4, asdecimal=True), "mssql")
    )


# --- input ------------------------------------------------------------------------------------


def _boolean_in(backend: Backend, _length: int | None) -> Converter:
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
    if value[-1:] == "Z" and value[10:11] == "T":  # the common UTC form: no offset arithmetic
        try:
            naive = datetime.fromisoformat(value[:-1])
        except ValueError:
            naive = None
        if naive is not None and naive.tzinfo is None:
            return naive
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


def _date_in(backend: Backend, _length: int | None) -> Converter:
    if backend.dates_as_text:
        return lambda value: parse_datetime(value).isoformat(sep=" ")
    return parse_datetime


def _float_in(_backend: Backend, _length: int | None) -> Converter:
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


def _integer_in(_backend: Backend, _length: int | None) -> Converter:
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


def _money_in(backend: Backend, _length: int | None) -> Converter:
    return money_text if backend.money_as_text else money_value


def _money_param(backend: Backend, length: int | None) -> Converter:
    """A Money parameter of a saved query: on SQLite a float, as it is compared with
    CAST(Money AS REAL) there (queries/plan.py)."""
    if backend.money_as_text:
        return lambda value: float(money_value(value))
    return money_value


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
    if not text.isascii():  # uuid.UUID reads any Unicode digit: one row, two spellings
        raise BadValue("a UUID string")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise BadValue("a UUID string") from None


def _uuid_in(backend: Backend, _length: int | None) -> Converter:
    if backend.native_uuid:
        return lambda value: uuid.UUID(uuid_text(value))
    return uuid_text


def _binary_in(_backend: Backend, _length: int | None) -> Converter:
    def convert(value: Any) -> bytes:
        if not isinstance(value, str):
            raise BadValue("a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise BadValue("a base64 string") from None

    return convert


def _from_text(text: str) -> Any:
    return text


def _integer_from_text(text: str) -> Any:
    """Integers arrive as text in a query string."""
    try:
        return int(text.strip())
    except ValueError:
        raise BadValue("an integer") from None


def _float_from_text(text: str) -> Any:
    try:
        return float(text.strip())
    except ValueError:
        return text  # the converter names what was expected


def _boolean_from_text(text: str) -> Any:
    stripped = text.strip()
    return int(stripped) if stripped in ("0", "1") else text


# --- the canonical JSON forms the typed write path checks in C (ddl/typed.py) ---------------

_INT64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]


def _fixed_wire(kind: Any) -> Wire:
    return lambda _backend, _length, _longest: kind


# --- whole columns of canonical values, converted in C-speed passes (join, match, split) ----
# Each returns the bound values, or None when it cannot vouch for every value (the caller then
# converts them one at a time with the type's converter, which names any bad one).

ColumnConvert = Callable[[Sequence[Any]], "list[Any] | None"]
_HEX = b"0123456789abcdef"
_UUID_MARKS = {8: "-", 13: "-", 18: "-", 23: "-"}
_SECOND_MARKS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}  # 2026-01-15T10:00:00
_UTC_SECOND_MARKS = {**_SECOND_MARKS, 19: "Z"}  # …T10:00:00Z


def _split(joined: str, count: int) -> list[str] | None:
    out = joined.split("\n")
    return out if len(out) == count else None


def _uuid_text_column(values: Sequence[Any]) -> list[Any] | None:
    """Hyphenated UUIDs in any case → their lower-case text (what uuid_text gives)."""
    joined = fixed_form(values, 36, _UUID_MARKS, _HEX, fold=True)
    return None if joined is None else _split(joined, len(values))


def _date_column(values: Sequence[Any]) -> list[datetime] | None:
    """`2026-01-15T10:00:00Z` or `2026-01-15T10:00:00` (every value of the column in the same
    form) → the naive UTC datetimes parse_datetime gives, parsed by fromisoformat mapped in C."""
    texts = _naive_second_texts(values)
    if texts is None:
        return None
    try:
        return list(map(datetime.fromisoformat, texts.split("\n")))
    except ValueError:
        return None


def _date_text_column(values: Sequence[Any]) -> list[Any] | None:
    """The same forms → `2026-01-15 10:00:00` (what parse_datetime and isoformat give: the
    same characters); fromisoformat, mapped in C, proves every one a real date-time."""
    texts = _naive_second_texts(values)
    if texts is None:
        return None
    try:
        list(map(datetime.fromisoformat, texts.split("\n")))
    except ValueError:
        return None
    return _split(texts.replace("T", " "), len(values))


def _naive_second_texts(values: Sequence[Any]) -> str | None:
    """The values without their `Z`, joined by newlines, when all are whole-second date-times
    of the same form, with or without the `Z`."""
    zoned = bool(values) and type(values[0]) is str and len(values[0]) == 20
    if zoned:
        joined = fixed_form(values, 20, _UTC_SECOND_MARKS, DIGITS)
        return None if joined is None else joined.replace("Z", "")
    return fixed_form(values, 19, _SECOND_MARKS, DIGITS)


def _uuid_wire(backend: Backend, _length: int | None, longest: int) -> Any:
    return uuid.UUID if backend.native_uuid else _string_wire(min(longest, 64))


def _uuid_wire_in(backend: Backend, length: int | None) -> Converter | None:
    """PostgreSQL binds the uuid.UUID msgspec parsed in C; the others take the text."""
    return None if backend.native_uuid else _uuid_in(backend, length)


def _uuid_wire_column(backend: Backend, _length: int | None) -> ColumnConvert | None:
    return None if backend.native_uuid else _uuid_text_column


def _date_wire_column(backend: Backend, _length: int | None) -> ColumnConvert | None:
    """On SQLite the stored text of `…T10:00:00Z` is `… 10:00:00`: the same characters;
    elsewhere the datetimes, parsed in C."""
    return _date_text_column if backend.dates_as_text else _date_column


_ANY_JSON = msgspec.json.Decoder(float_hook=Decimal)  # as the general path decodes a Value


def _money_wire_in(backend: Backend, length: int | None) -> Converter:
    """Money arrives as its raw JSON text (msgspec.Raw): decoded as the general path decodes
    it, then converted; absurdly long text goes to the general path (the JSON policy's value
    limit names it)."""
    convert = _money_in(backend, length)

    def from_raw(raw: Any) -> Any:
        if len(raw) > 64:
            raise BadValue("a number")
        value = _ANY_JSON.decode(raw)
        return None if value is None else convert(value)

    return from_raw


_PLACES = ("0000", "000", "00", "0", "")  # zeros that pad n decimal places to 4


def _money_wire_column(backend: Backend, _length: int | None) -> ColumnConvert:
    """Raw JSON numbers Money stores as they are (plain decimals, at most 4 places, below
    10^15 with room for a sign, no negative zero): padded to 4 places as text. Any other
    column is converted one value at a time."""
    as_text = backend.money_as_text

    def convert(raws: Sequence[Any]) -> list[Any] | None:
        joined = b"\n".join(raws)
        if not raws or joined.translate(None, b"0123456789.-\n") or b"\n-0" in b"\n" + joined:
            return None
        texts = joined.decode().split("\n")
        try:
            padded = [
                text + (".0000" if (dot := text.find(".")) < 0 else _PLACES[len(text) - dot - 1])
                for text in texts
            ]
        except IndexError:  # more than 4 places
            return None
        if len(padded) != len(raws) or max(map(len, padded)) > 20:
            return None
        return padded if as_text else list(map(Decimal, padded))

    return convert


def _string_wire(limit: int | None) -> Any:
    return str if limit is None else Annotated[str, msgspec.Meta(max_length=limit)]


# --- output ----------------------------------------------------------------------------------


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
        # SQLite's own text, as _date_in wrote it ('YYYY-MM-DD HH:MM:SS[.ffffff]'): the ISO
        # form is the same characters, so no datetime is built for it
        if value[10:11] == " " and len(value) in (19, 26) and value[13] == value[16] == ":":
            return f"{value[:10]}T{value[11:]}Z"
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


# --- a saved query's answer: any driver value of a column of the type → JSON-ready ---------


def plain_json(value: Any) -> Any:
    """Any driver value as JSON-ready Python, by its own type."""
    if type(value) in _READY:
        return value
    if isinstance(value, datetime | date):
        return _shape_date(value)
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


def _shape_date(value: Any) -> Any:
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
    return plain_json(value)


def _shape_money(value: Any) -> Any:
    if type(value) is Decimal:
        return money_out(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return plain_json(value)
    try:
        return money_out(value)
    except ArithmeticError:
        return plain_json(value)


def _shape_boolean(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    return plain_json(value)


def _shape_integer(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return plain_json(value)


def _shape_float(value: Any) -> Any:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return float(value)
    return plain_json(value)


def _shape_text(value: Any) -> Any:
    return value if type(value) is str else plain_json(value)


def _shape_uuid(value: Any) -> Any:
    return str(value).lower()


# --- CSV fields (ddl/formats): JSON-ready value → field text, field text → JSON form --------

_CSV_SPECIAL = re.compile(r'[",\r\n]')
_CSV_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_CSV_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
CSV_EMPTY = "\x00"  # stands for "" in the fast CSV path (stored text never holds NUL)
_CSV_BOOLEAN = {True: "true", False: "false"}


def csv_quote(text: str) -> str:
    """RFC 4180 quoting, plus `""` for the empty string (an empty field is NULL)."""
    if not text:
        return '""'
    if _CSV_SPECIAL.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _csv_boolean(value: Any) -> str:
    return "true" if value else "false"


def _csv_decimal(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _csv_float(value: Any) -> str:
    return repr(float(value))


def csv_any(value: Any) -> str:
    """A value of a column whose type is unknown (a saved query's expression), by its own type."""
    if isinstance(value, bool):
        return _csv_boolean(value)
    if isinstance(value, str):
        return csv_quote(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return _csv_decimal(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return csv_quote(str(value))


def _csv_text(value: Any) -> str:
    return csv_quote(value) if type(value) is str else csv_any(value)


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _csv_parse_boolean(text: str) -> bool:
    folded = text.strip().lower()
    if folded in ("true", "1"):
        return True
    if folded in ("false", "0"):
        return False
    raise BadValue("a boolean (true/false or 1/0)", f"got {_excerpt(text)}")


def _csv_parse_integer(text: str) -> Any:
    if _CSV_INTEGER.fullmatch(text):
        return int(text)
    if _CSV_NUMBER.fullmatch(text):
        return Decimal(text.strip())  # 3.0 is accepted, 3.5 is refused by the column's converter
    raise BadValue("an integer", f"got {_excerpt(text)}")


def _csv_parse_float(text: str) -> float:
    if _CSV_NUMBER.fullmatch(text) is None:
        raise BadValue("a number", f"got {_excerpt(text)}")
    return float(text)


def _csv_parse_money(text: str) -> str:
    if _CSV_NUMBER.fullmatch(text) is None:
        raise BadValue("a number", f"got {_excerpt(text)}")
    return text  # the Money converter parses numeric text exactly


def csv_as_is(text: str) -> str:
    return text


def _csv_keep(column: list[Any]) -> tuple[list[Any], int]:
    return column, 0


def csv_text_column(column: list[Any]) -> tuple[list[Any], int]:
    """A column of text for the C writer: "" as a placeholder the caller turns into `""`."""
    empty = column.count("")
    return ([CSV_EMPTY if value == "" else value for value in column] if empty else column), empty


def _csv_boolean_column(column: list[Any]) -> tuple[list[Any], int]:
    return [_CSV_BOOLEAN.get(value) for value in column], 0


def csv_any_column(column: list[Any]) -> tuple[list[Any], int]:
    """A column of unknown type (a saved query's expression): JSON-ready values by their type."""
    empty = 0
    out: list[Any] = []
    for value in column:
        if value is True or value is False:
            out.append(_CSV_BOOLEAN[value])
        elif value == "":
            out.append(CSV_EMPTY)
            empty += 1
        else:
            out.append(value)
    return out, empty


# Inference of a CSV column's type from its values (docs/decisions.md, ddl/formats/csv_types.py)
_INFER_INTEGER = re.compile(r"[+-]?(?:0|[1-9]\d{0,18})")  # no leading zero: 01234 stays text
_INFER_MONEY = re.compile(r"[+-]?(?:0|[1-9]\d{0,14})(?:\.\d{1,4})?")
_INFER_NUMBER = re.compile(r"[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INFER_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_INFER_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _looks_boolean(text: str) -> bool:
    return text.lower() in ("true", "false")


def _looks_integer(text: str) -> bool:
    return _INFER_INTEGER.fullmatch(text) is not None and INT64_MIN <= int(text) <= INT64_MAX


def _looks_money(text: str) -> bool:
    return _INFER_MONEY.fullmatch(text) is not None


def _looks_float(text: str) -> bool:
    return _INFER_NUMBER.fullmatch(text) is not None and Decimal(text).is_finite()


def _looks_date(text: str) -> bool:
    if _INFER_DATE.fullmatch(text) is None:
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _looks_uuid(text: str) -> bool:
    return _INFER_UUID.fullmatch(text) is not None


# --- the records -----------------------------------------------------------------------------

Wire = Callable[["Backend", "int | None", int], Any]  # (backend, length, longest) → msgspec type


@dataclass(frozen=True, slots=True)
class ColumnType:
    """Everything about one type id (the module docstring says what each part is for)."""

    id: TypeId
    name: str  # as messages name the type: "Money", "VarcharMax"
    sql: Callable[[int | None], sa.types.TypeEngine[Any]]
    to_db: Callable[[Backend, int | None], Converter]
    wire: Wire
    to_json: Converter | None
    shape: Converter
    csv_format: Callable[[Any], str]
    csv_column: CsvColumn
    planner_sql: Callable[[int | None], str]
    planner_kinds: tuple[str, ...] = ()
    wire_converts: bool = False
    wire_to_db: Callable[[Backend, int | None], Converter | None] | None = None  # if not to_db
    wire_column: Callable[[Backend, int | None], ColumnConvert | None] | None = None
    json_column: JsonColumn | None = None  # to_json of a whole column (ddl/json_columns.py)
    from_text: Callable[[str], Any] = _from_text
    to_param: Callable[[Backend, int | None], Converter] | None = None
    csv_parse: Callable[[str], Any] = csv_as_is
    csv_infer: tuple[int, Callable[[str], bool]] | None = None  # (rank: first match wins, test)
    fixed_length: int | None = None  # the character limit a text type always has
    own_length: bool = False  # the limit is the column's own ColumnLength (VarcharOther)
    key: bool = False  # may be a table's key
    text: bool = False  # compared and sorted in the text collation

    def param_converter(self, backend: Backend) -> Converter:
        """A saved query's parameter of this type → its bound value."""
        return (self.to_param or self.to_db)(backend, None)


def _text_type(
    type_id: TypeId, name: str, limit: int | None, planner: str, **more: Any
) -> ColumnType:
    """The string types differ only in their limit: fixed, none (None), or the column's own
    (`own_length=True`, VarcharOther)."""
    own = bool(more.get("own_length"))

    def limit_of(length: int | None) -> int | None:
        return length if own else limit

    def to_db(_backend: Backend, length: int | None) -> Converter:
        return _string_in(limit_of(length))

    def wire(_backend: Backend, length: int | None, longest: int) -> Any:
        most = limit_of(length)
        return _string_wire(longest if most is None else min(most, longest))

    return ColumnType(
        type_id,
        name,
        sql=lambda length: _unicode(limit_of(length)),
        to_db=to_db,
        wire=wire,
        to_json=None,
        shape=_shape_text,
        csv_format=_csv_text,
        csv_column=csv_text_column,
        planner_sql=lambda length: planner.format(length=length),
        fixed_length=limit,
        text=True,
        **more,
    )


_RECORDS = (
    ColumnType(
        TypeId.BOOLEAN,
        "Boolean",
        sql=lambda _length: sa.Boolean(create_constraint=False),
        to_db=_boolean_in,
        wire=_fixed_wire(bool),
        to_json=_boolean_out,
        json_column=json_columns.boolean_column,
        shape=_shape_boolean,
        csv_format=_csv_boolean,
        csv_column=_csv_boolean_column,
        planner_sql=lambda _length: "BOOLEAN",
        planner_kinds=("BOOLEAN", "BIT"),
        from_text=_boolean_from_text,
        csv_parse=_csv_parse_boolean,
        csv_infer=(0, _looks_boolean),
    ),
    ColumnType(
        TypeId.DATE,
        "Date",
        sql=lambda _length: sa.DateTime().with_variant(_DATETIME2, "mssql"),
        to_db=_date_in,
        wire=lambda _backend, _length, longest: _string_wire(longest),
        wire_converts=True,
        wire_column=_date_wire_column,
        to_json=_date_out,
        json_column=json_columns.date_column,
        shape=_shape_date,
        csv_format=_csv_text,  # JSON-ready ISO text that never needs quoting
        csv_column=_csv_keep,
        planner_sql=lambda _length: "DATETIME2",
        planner_kinds=("DATE", "DATETIME", "DATETIME2", "TIMESTAMP", "TIMESTAMPTZ"),
        csv_infer=(4, _looks_date),
    ),
    ColumnType(
        TypeId.FLOAT,
        "Float",
        sql=lambda _length: sa.Double().with_variant(mssql.FLOAT(53), "mssql"),
        to_db=_float_in,
        wire=_fixed_wire(float),
        to_json=_float_out,
        json_column=json_columns.as_is((float,)),
        shape=_shape_float,
        csv_format=_csv_float,
        csv_column=_csv_keep,
        planner_sql=lambda _length: "DOUBLE",
        planner_kinds=("DOUBLE", "FLOAT"),
        from_text=_float_from_text,
        csv_parse=_csv_parse_float,
        csv_infer=(3, _looks_float),
    ),
    ColumnType(
        TypeId.INTEGER,
        "Integer",
        sql=lambda _length: sa.BigInteger(),
        to_db=_integer_in,
        wire=_fixed_wire(_INT64),
        to_json=_integer_out,
        json_column=json_columns.as_is((int,)),
        shape=_shape_integer,
        csv_format=str,
        csv_column=_csv_keep,
        planner_sql=lambda _length: "BIGINT",
        planner_kinds=("TINYINT", "SMALLINT", "INT", "BIGINT"),
        from_text=_integer_from_text,
        csv_parse=_csv_parse_integer,
        csv_infer=(1, _looks_integer),
        key=True,
    ),
    ColumnType(
        TypeId.MONEY,
        "Money",
        sql=_money_sql,
        to_db=_money_in,
        wire=_fixed_wire(msgspec.Raw),  # null included
        wire_converts=True,
        wire_to_db=_money_wire_in,
        wire_column=_money_wire_column,
        to_json=money_out,
        json_column=json_columns.money_column,
        shape=_shape_money,
        csv_format=_csv_decimal,
        csv_column=_csv_keep,  # str() of Money's Decimal is exact
        planner_sql=lambda _length: "DECIMAL(19, 4)",
        planner_kinds=("DECIMAL", "MONEY"),
        to_param=_money_param,
        csv_parse=_csv_parse_money,
        csv_infer=(2, _looks_money),
    ),
    _text_type(TypeId.VARCHAR50, "Varchar50", 50, "NVARCHAR(50)", key=True),
    _text_type(TypeId.VARCHAR100, "Varchar100", 100, "NVARCHAR(100)", key=True),
    _text_type(TypeId.VARCHARMAX, "VarcharMax", None, "NVARCHAR(MAX)"),
    _text_type(TypeId.TEXT, "Text", None, "TEXT", planner_kinds=("TEXT",)),
    ColumnType(
        TypeId.UNIQUEIDENTIFIER,
        "UniqueIdentifier",
        sql=lambda _length: sa.Uuid().with_variant(sa.String(36), "sqlite"),
        to_db=_uuid_in,
        wire=_uuid_wire,
        wire_converts=True,
        wire_to_db=_uuid_wire_in,
        wire_column=_uuid_wire_column,
        to_json=_uuid_out,
        json_column=json_columns.uuid_column,
        shape=_shape_uuid,
        csv_format=_csv_text,
        csv_column=_csv_keep,
        planner_sql=lambda _length: "UUID",
        planner_kinds=("UUID",),
        csv_infer=(5, _looks_uuid),
        key=True,
    ),
    _text_type(TypeId.VARCHAR200, "Varchar200", 200, "NVARCHAR(200)", key=True),
    _text_type(
        TypeId.VARCHAROTHER, "VarcharOther", None, "NVARCHAR({length})", key=True, own_length=True
    ),
    ColumnType(
        TypeId.VARBINARY,
        "VarBinary",
        sql=lambda _length: sa.LargeBinary().with_variant(_VARBINARY, "mssql"),
        to_db=_binary_in,
        wire=lambda _backend, _length, longest: Annotated[
            bytes, msgspec.Meta(max_length=longest * 3 // 4)
        ],
        to_json=_binary_out,
        shape=plain_json,
        csv_format=_csv_text,  # base64 never needs quoting
        csv_column=csv_text_column,
        planner_sql=lambda _length: "VARBINARY",
        planner_kinds=("VARBINARY", "BINARY"),
    ),
)

COLUMN_TYPES: dict[TypeId, ColumnType] = {record.id: record for record in _RECORDS}
if set(COLUMN_TYPES) != set(TypeId) or len(_RECORDS) != len(TypeId):
    raise RuntimeError("every TypeId needs exactly one ColumnType record")  # pragma: no cover

MAX_TYPE_ID = max(TypeId)
KEY_TYPES = frozenset(record.id for record in _RECORDS if record.key)
STRING_TYPES = frozenset(record.id for record in _RECORDS if record.text)
FIXED_LENGTHS = {record.id: record.fixed_length for record in _RECORDS if record.fixed_length}


def column_type(type_id: int) -> ColumnType:
    """The record of a type id (a stored or validated one: every TypeId has a record)."""
    return COLUMN_TYPES[TypeId(type_id)]


def type_name(type_id: int) -> str:
    return column_type(type_id).name


def string_length(type_id: TypeId, length: int | None) -> int | None:
    """The character limit of a string column, or None for unlimited text."""
    record = COLUMN_TYPES[type_id]
    return length if record.own_length else record.fixed_length


def sql_type(type_id: TypeId, length: int | None = None) -> sa.types.TypeEngine[Any]:
    """The SQL type; one definition renders per dialect (bit, datetime2, ... on mssql)."""
    return COLUMN_TYPES[type_id].sql(length)


def input_converter(type_id: TypeId, length: int | None, backend: Backend) -> Converter:
    """Converter from decoded JSON to the value bound for `backend`; callers handle null."""
    return COLUMN_TYPES[type_id].to_db(backend, length)


def output_converter(type_id: TypeId) -> Converter | None:
    """Converter from the driver's value to JSON-ready Python, or None where it is already so."""
    return COLUMN_TYPES[type_id].to_json


def output_column_converter(type_id: TypeId) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """`output_converter` for a whole column of values: the type's C-speed pass where it
    vouches for every value (ddl/json_columns.py), else one value at a time; None where the
    values are already JSON-ready."""
    record = COLUMN_TYPES[type_id]
    one, whole = record.to_json, record.json_column
    if one is None:
        return None

    return column_or_each(whole, one)


ColumnOut = TypeVar("ColumnOut", bound=Sequence[Any])


def column_or_each(
    whole: Callable[[Sequence[Any]], ColumnOut | None] | None, one: Callable[[Any], Any]
) -> Callable[[Sequence[Any]], ColumnOut | list[Any]]:
    """Convert a column by `whole` (a C-speed pass that may decline with None), else a value
    at a time by `one`; NULLs stay None."""

    def convert(values: Sequence[Any]) -> ColumnOut | list[Any]:
        if whole is not None:
            out = whole(values)
            if out is not None:
                return out
        return [None if value is None else one(value) for value in values]

    return convert


def key_from_text(type_id: TypeId, text: str) -> Any:
    """A key given in a query string: integers arrive as text there."""
    return text if type_id is not TypeId.INTEGER else _integer_from_text(text)


__all__ = [
    "COLUMN_TYPES",
    "KEY_TYPES",
    "BadValue",
    "ColumnType",
    "TypeId",
    "column_type",
    "input_converter",
    "key_from_text",
    "output_converter",
    "sql_type",
]
