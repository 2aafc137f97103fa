"""One value of a CSV field, per column type: JSON-ready value → field text, and field text →
the value the column's JSON converter takes (each type's own functions are in its record,
ddl/types.py).

Fields are text as PostgreSQL's CSV format writes them: an empty unquoted field is NULL and
`""` is the empty string; Boolean `true`/`false`; dates ISO-8601 in UTC (`…Z`); Money exact
(`39.99`, never `39.990000000000002`); VarBinary base64. Reading is the mirror image, so a
round trip loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ddl.types import COLUMN_TYPES, TypeId, csv_any, csv_as_is, csv_quote

Format = Callable[[Any], str]
Parse = Callable[[str], Any]

NULL = ""  # an empty unquoted field
quote = csv_quote
as_is = csv_as_is


def formatter(type_id: int | None) -> Format:
    """Field text of a JSON-ready value (never None: NULL is written by the caller)."""
    return csv_any if type_id is None else COLUMN_TYPES[TypeId(type_id)].csv_format


def parser(type_id: TypeId) -> Parse:
    """The value a column's JSON converter accepts, from field text (never NULL here)."""
    return COLUMN_TYPES[type_id].csv_parse
