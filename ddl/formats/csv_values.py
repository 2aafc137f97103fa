"""One value of a CSV field, per column type: JSON-ready value → field text, and field text →
the value the column's JSON converter takes.

Fields are text as PostgreSQL's CSV format writes them: an empty unquoted field is NULL and
`""` is the empty string; Boolean `true`/`false`; dates ISO-8601 in UTC (`…Z`); Money exact
(`39.99`, never `39.990000000000002`); VarBinary base64. Reading is the mirror image, so a
round trip loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ddl.types import STRING_TYPES, BadValue, TypeId, format_datetime

Format = Callable[[Any], str]
Parse = Callable[[str], Any]

NULL = ""  # an empty unquoted field
_SPECIAL = re.compile(r'[",\r\n]')
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


# --- writing ---------------------------------------------------------------------------------


def quote(text: str) -> str:
    """RFC 4180 quoting, plus `""` for the empty string (an empty field is NULL)."""
    if not text:
        return '""'
    if _SPECIAL.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _boolean(value: Any) -> str:
    return "true" if value else "false"


def _decimal(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _float(value: Any) -> str:
    return repr(float(value))


def _any(value: Any) -> str:
    """A value of a column whose type is unknown (a saved query's expression), by its own type."""
    if isinstance(value, bool):
        return _boolean(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return quote(str(value))


def _text(value: Any) -> str:
    return quote(value) if type(value) is str else _any(value)


def formatter(type_id: int | None) -> Format:
    """Field text of a JSON-ready value (never None: NULL is written by the caller)."""
    if type_id is None:
        return _any
    kind = TypeId(type_id)
    if kind in STRING_TYPES:
        return _text
    by_type: dict[TypeId, Format] = {
        TypeId.BOOLEAN: _boolean,
        TypeId.FLOAT: _float,
        TypeId.INTEGER: str,
        TypeId.MONEY: _decimal,
        # dates, UUIDs and base64 are JSON-ready text that never needs quoting
        TypeId.DATE: _text,
        TypeId.UNIQUEIDENTIFIER: _text,
        TypeId.VARBINARY: _text,
    }
    return by_type[kind]


# --- reading ---------------------------------------------------------------------------------


def _parse_boolean(text: str) -> bool:
    folded = text.strip().lower()
    if folded in ("true", "1"):
        return True
    if folded in ("false", "0"):
        return False
    raise BadValue("a boolean (true/false or 1/0)", f"got {_excerpt(text)}")


def _parse_integer(text: str) -> Any:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return Decimal(text.strip())  # 3.0 is accepted, 3.5 is refused by the column's converter
    raise BadValue("an integer", f"got {_excerpt(text)}")


def _parse_float(text: str) -> float:
    if _NUMBER.fullmatch(text) is None:
        raise BadValue("a number", f"got {_excerpt(text)}")
    return float(text)


def _parse_money(text: str) -> str:
    if _NUMBER.fullmatch(text) is None:
        raise BadValue("a number", f"got {_excerpt(text)}")
    return text  # the Money converter parses numeric text exactly


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def as_is(text: str) -> str:
    return text


def parser(type_id: TypeId) -> Parse:
    """The value a column's JSON converter accepts, from field text (never NULL here)."""
    return {
        TypeId.BOOLEAN: _parse_boolean,
        TypeId.INTEGER: _parse_integer,
        TypeId.FLOAT: _parse_float,
        TypeId.MONEY: _parse_money,
    }.get(type_id, as_is)
