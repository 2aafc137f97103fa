"""Declared columns of a v1 table and the checks they put on row data.

Columns are advisory storage-wise (every row is one JSON object and undeclared keys are kept),
but a declared column's `type` and `required` are enforced on row create and update, each
failure a 400 naming the field. A row's keys are the columns' ids; a column given without an
id gets its name as id, so renaming its display name later does not orphan the data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from ddl.errors import ValidationError
from ddl.names import check_display_name

TYPES = ("text", "number", "boolean", "date", "select", "url", "email", "json")
MAX_COLUMNS = 500
MAX_LABEL = 255
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class Column:
    id: str
    type: str
    required: bool
    options: tuple[str, ...] | None


def _column(raw: object, where: str) -> tuple[dict[str, Any], Column]:
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} must be an object")
    name = check_display_name(raw.get("name"), f"{where}.name", MAX_LABEL)
    column_id = check_display_name(raw.get("id", name), f"{where}.id", MAX_LABEL)
    stored = {"id": column_id, **{k: v for k, v in raw.items() if k != "id"}}
    return stored, _checks(stored, where)


def _checks(raw: dict[str, Any], where: str) -> Column:
    """The row checks a column definition (with its id) declares, its type, required flag and
    options checked; its names are not, so that a table stored before a name rule tightened
    keeps accepting rows."""
    column_id = raw["id"]
    kind = raw.get("type")
    if kind not in TYPES:
        raise ValidationError(f"{where}.type must be one of {', '.join(TYPES)}; got {kind!r}")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ValidationError(f"{where}.required must be true or false")
    options = raw.get("options")
    if options is not None and (
        not isinstance(options, list) or not all(isinstance(o, str) for o in options)
    ):
        raise ValidationError(f"{where}.options must be a list of strings")
    if kind == "select" and not options:
        raise ValidationError(f"{where}.options must list the values of a select column")
    return Column(column_id, kind, required, tuple(options) if options else None)


def normalize(raw: Sequence[object], what: str = "columns") -> list[dict[str, Any]]:
    """Check column definitions and return them as stored: every one with an `id` (first);
    other keys the client sent (labels, widths…) are kept for the Studio."""
    if len(raw) > MAX_COLUMNS:
        raise ValidationError(f"A table has at most {MAX_COLUMNS} columns")
    stored, seen = [], set()
    for index, item in enumerate(raw):
        column, checked = _column(item, f"{what}[{index}]")
        if checked.id in seen:
            raise ValidationError(f"{what}[{index}]: column id '{checked.id}' is used twice")
        seen.add(checked.id)
        stored.append(column)
    return stored


def parse_stored(columns: Sequence[dict[str, Any]]) -> tuple[Column, ...]:
    """The checks of columns already validated by `normalize`."""
    return tuple(_checks(column, "column") for column in columns)


# --- row data ----------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
        except ValueError:
            continue
        return True
    return False


def _is_url(value: object) -> bool:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc)


CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "text": (lambda v: isinstance(v, str), "a string"),
    "number": (_is_number, "a number"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "date": (_is_date, "an ISO-8601 date or date-time string"),
    "select": (lambda v: isinstance(v, str), "one of the column's options"),
    "url": (_is_url, "a URL (scheme://host…)"),
    "email": (lambda v: isinstance(v, str) and _EMAIL.fullmatch(v) is not None, "an email"),
    "json": (lambda v: True, "any JSON value"),
}


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def check_storable(value: object, path: str = "data", depth: int = 0) -> None:
    """What every backend can store: no NUL character (PostgreSQL's JSONB refuses it), no
    NaN or infinity, nesting at most 100 deep."""
    if depth > 100:
        raise ValidationError(f"{path}: nested too deeply (at most 100 levels)")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError(f"{path}: strings may not contain the NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{path}: numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise ValidationError(f"{path}: keys may not contain the NUL character")
            check_storable(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable(item, f"{path}[{index}]", depth + 1)


def check_data(columns: Sequence[Column], data: dict[str, Any]) -> None:
    """Enforce declared types and `required`; keys that no column declares are kept as sent."""
    check_storable(data)
    for column in columns:
        value = data.get(column.id)
        if value is None:
            if column.required:
                raise ValidationError(f"Field '{column.id}' is required")
            continue
        check, expected = CHECKS[column.type]
        ok = check(value)
        if ok and column.options is not None and column.type == "select":
            ok = value in column.options
            expected = f"one of {', '.join(column.options)}"
        if not ok:
            raise ValidationError(
                f"Field '{column.id}' must be {expected} (column type {column.type}), "
                f"got {_json_kind(value)}"
            )
