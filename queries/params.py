"""Declared `@name` parameters: checked when a query is saved, coerced like row values when it
runs, and always handed to the driver as bound values (never pasted into the SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ddl.backends import backend_for
from ddl.errors import ValidationError
from ddl.names import fold
from ddl.types import MAX_TYPE_ID, BadValue, TypeId, column_type
from queries.check import PARAMETER_PATTERN
from queries.store import ParameterDef

MAX_PARAMETERS = 100


def _label(name: str) -> str:
    return f"@{name}"


def _type_id(value: object, name: str) -> TypeId:
    if type(value) is not int or value not in TypeId._value2member_map_:
        raise ValidationError(
            f"DataTypeId of parameter {_label(name)} must be a type id from 0 to {MAX_TYPE_ID}, "
            f"got {value!r}"
        )
    return TypeId(value)


def _coerce(parameter: ParameterDef, value: Any, dialect: str, from_text: bool) -> Any:
    """A value given in a query string arrives as text: read it as its type would be in JSON
    (the record's `from_text`), then bind it as the record's `to_param` says."""
    record = column_type(parameter.DataTypeId)
    try:
        if from_text and isinstance(value, str):
            value = record.from_text(value)
        return record.param_converter(backend_for(dialect))(value)
    except BadValue as error:
        detail = f" ({error.detail})" if error.detail else ""
        raise ValidationError(
            f"Parameter {_label(parameter.Name)} ({record.name}): expected "
            f"{error.expected}{detail}"
        ) from None


def check_declarations(raw: Sequence[ParameterDef], dialect: str) -> tuple[ParameterDef, ...]:
    """Names, types and defaults of a query being saved; a bad one is a 400 naming it."""
    if len(raw) > MAX_PARAMETERS:
        raise ValidationError(f"A saved query takes at most {MAX_PARAMETERS} parameters")
    seen: set[str] = set()
    checked = []
    for parameter in raw:
        name = parameter.Name.removeprefix("@") if isinstance(parameter.Name, str) else ""
        if PARAMETER_PATTERN.fullmatch(name) is None:
            raise ValidationError(
                f"Invalid parameter name {parameter.Name!r}: a letter or _ then letters, "
                "digits or _, 63 characters at most"
            )
        if fold(name) in seen:
            raise ValidationError(f"Parameter {_label(name)} is declared twice")
        seen.add(fold(name))
        declared = ParameterDef(
            name, int(_type_id(parameter.DataTypeId, name)), parameter.Default, parameter.Required
        )
        if declared.Default is not None:
            _coerce(declared, declared.Default, dialect, from_text=False)
        checked.append(declared)
    return tuple(checked)


def check_usage(used: Iterable[str], declared: Sequence[ParameterDef]) -> None:
    """Every `@name` of the SQL must be declared (as SQL Server would insist)."""
    known = {fold(parameter.Name) for parameter in declared}
    for name in used:
        if fold(name) not in known:
            raise ValidationError(
                f"Parameter {_label(name)} is used in the SQL but not declared in Parameters"
            )


def bind(
    declared: Sequence[ParameterDef],
    binds: Mapping[str, str],
    supplied: Mapping[str, Any],
    dialect: str,
    *,
    from_text: bool,
) -> dict[str, Any]:
    """Bound values by bind name: supplied, else the default, else NULL (400 if required)."""
    by_name = {fold(parameter.Name): parameter for parameter in declared}
    given: dict[str, Any] = {}
    for key, value in supplied.items():
        name = fold(key.removeprefix("@"))
        if name not in by_name:
            known = ", ".join(_label(p.Name) for p in declared) or "no parameters"
            raise ValidationError(f"Unknown parameter '{key}'; this query takes {known}")
        given[name] = value
    values: dict[str, Any] = {}
    for name, parameter in by_name.items():
        value = given.get(name)
        text = from_text
        if value is None:
            value, text = parameter.Default, False
        if value is None and parameter.Required:
            raise ValidationError(f"Parameter {_label(parameter.Name)} is required")
        bound = None if value is None else _coerce(parameter, value, dialect, text)
        if name in binds:
            values[binds[name]] = bound
    return values
