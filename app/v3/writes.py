"""A `PUT …/rows` write in its three stages, called in order: the engine opens the table
(`rows.open_for_write`), this module decodes the body against that definition
(`decode_batch`), and the engine commits (`rows.commit`, the one commit point).

Decoding tries the table's typed decoder first (values checked and converted by msgspec in C,
ddl/typed.py); a body in canonical form is then fully checked by the JSON policy's cheap counts
(its nesting is bounded by the types, its strings by their length limits, a repeated key shows
as a key count lower than the raw text's). Anything else goes through the JSON policy and the
general decoder, and the engine's Python validation explains every error."""

from __future__ import annotations

import weakref
from typing import Annotated, Any

import msgspec

from app import json_policy
from app.v3.bodies import parse
from app.v3.schemas import DeleteRowsRequest, WriteRowsRequest, decoder
from ddl import rows
from ddl.access import Caller
from ddl.errors import ROW_NUMBERING, ValidationError
from ddl.guard import Guard
from ddl.prepared import PreparedTable
from ddl.space import TenantSpace
from ddl.typed import UNSET, TypedRows, typed_batch, typed_rows

_general = decoder(WriteRowsRequest)
_NUL = b"\\u0000"  # strings with NUL are refused; the general path names the row and column


def operation(
    value: int | str, kind: type[rows.WriteOperation] | type[rows.DeleteOperation]
) -> Any:
    """An OperationType given by number or by name (any case)."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int) and value in kind._value2member_map_:
        return kind(value)
    if isinstance(value, str):
        wanted = value.replace("_", "").lower()
        for member in kind:
            if member.name.replace("_", "").lower() == wanted:
                return member
    names = ", ".join(f"{''.join(p.title() for p in m.name.split('_'))} ({m.value})" for m in kind)
    raise ValidationError(f"Unknown OperationType {value!r}; use one of {names}")


def model_rows(request: Any) -> tuple[rows.WriteOperation, list[Any]]:
    """The operation and its rows; UpsertMany also takes an UpdateManyModel."""
    kind = operation(request.OperationType, rows.WriteOperation)
    if kind is rows.WriteOperation.UPDATE:
        single = _given(request.UpdateModel)
        batch = [single] if single is not None else None
        model = "UpdateModel"
    elif kind is rows.WriteOperation.UPDATE_MANY:
        batch, model = _given(request.UpdateManyModel), "UpdateManyModel"
    else:
        batch = _given(request.UpsertManyModel)
        if batch is None:
            batch = _given(request.UpdateManyModel)
        model = "UpsertManyModel"
    if batch is None:
        name = "".join(part.title() for part in kind.name.split("_"))
        raise ValidationError(f"OperationType {name} needs {model}")
    return kind, batch


def _given(model: Any) -> Any:
    """A model of the body, None when absent (the typed decoder marks absent ones UNSET)."""
    return None if model is UNSET else model


def delete_request(
    request: DeleteRowsRequest,
) -> tuple[rows.DeleteOperation, list[Any], str | None]:
    """The operation, its keys and the key column name it gives, from a DELETE …/rows body."""
    kind = operation(request.OperationType, rows.DeleteOperation)
    if kind is rows.DeleteOperation.DELETE:
        if request.DeleteModel is None:
            raise ValidationError("OperationType Delete needs DeleteModel")
        return kind, [request.DeleteModel.KeyValue], request.DeleteModel.KeyColumnName
    if kind is rows.DeleteOperation.DELETE_MANY:
        if request.DeleteManyModel is None:
            raise ValidationError("OperationType DeleteMany needs DeleteManyModel")
        return kind, request.DeleteManyModel.KeyValues, request.DeleteManyModel.KeyColumnName
    return kind, [], None


def delete_where_text(request: DeleteRowsRequest) -> str:
    """The condition of a DeleteWhere body; 400 when the model is missing."""
    if request.DeleteWhereModel is None:
        raise ValidationError('OperationType DeleteWhere needs DeleteWhereModel: {"Where": "…"}')
    return request.DeleteWhereModel.Where


_decoders: weakref.WeakKeyDictionary[TypedRows, msgspec.json.Decoder[Any]] = (
    weakref.WeakKeyDictionary()
)
_TYPED_DEPTH = 5  # body → model list → row → Columns → column: the typed path's whole depth
_STRING_BYTES = 12  # the most bytes of JSON text one character of a string can take


def _typed_decoder(typed: TypedRows) -> msgspec.json.Decoder[Any]:
    """The request decoder of one table version, kept as long as its typed rows are."""
    cached = _decoders.get(typed)
    if cached is None:
        row = typed.row_type
        request = msgspec.defstruct(
            "TypedWriteRowsRequest",
            [
                ("OperationType", int | Annotated[str, msgspec.Meta(max_length=64)]),
                ("UpdateModel", row | None | msgspec.UnsetType, UNSET),
                ("UpdateManyModel", list[row] | None | msgspec.UnsetType, UNSET),  # type: ignore[valid-type]
                ("UpsertManyModel", list[row] | None | msgspec.UnsetType, UNSET),  # type: ignore[valid-type]
            ],
            forbid_unknown_fields=True,
        )
        cached = _decoders[typed] = msgspec.json.Decoder(request)
    return cached


_MODELS = ("UpsertManyModel", "UpdateManyModel", "UpdateModel")


def row_location(where: json_policy.Location) -> str:
    """`row 3, column 'Name'` for a place inside a write body (else the path in the body)."""
    path = where.path
    if not path or path[0] not in _MODELS:
        return where.text()
    if path[0] == "UpdateModel":
        row, rest = 0, 1
    elif len(path) > 1 and isinstance(path[1], int):
        row, rest = path[1], 2
    else:
        return where.text()
    label = f"row {row} ({ROW_NUMBERING})"
    if path[rest : rest + 1] == ["Columns"] and len(path) > rest + 1:
        frame = rest + 2  # the column object, which names its column
        name = where.siblings[frame].get("ColumnName") if len(where.siblings) > frame else None
        return f"{label}, column '{name}'" if name else f"{label}, column {path[rest + 1]}"
    if path[rest : rest + 1] == ["KeyValue"]:
        return f"{label}, KeyValue"
    return f"{label}, at {where.text()}"


def _canonical(
    table: PreparedTable, body: bytes, max_rows: int
) -> tuple[rows.WriteOperation, rows.Batch] | None:
    """The batch of a body in canonical form, decoded in C; None when the general path must
    decide (anything unusual, every error). Raises nothing."""
    limits = json_policy.limits()
    if (b"\\" in body and _NUL in body) or limits.max_depth < _TYPED_DEPTH:
        return None
    typed = typed_rows(table, max(1, limits.max_value_bytes // _STRING_BYTES))
    try:
        request = _typed_decoder(typed).decode(body)
        kind, batch_rows = model_rows(request)
    except (msgspec.MsgspecError, ValidationError, RecursionError):
        return None  # RecursionError: a Raw value (Money) nested past msgspec's own limit
    if len(batch_rows) > max_rows:
        return None
    built = typed_batch(table, batch_rows)
    if built is None:
        return None
    models = sum(getattr(request, model) is not UNSET for model in _MODELS)
    if json_policy.count_keys_or_more(body) != 1 + models + built.keys_seen:
        return None  # a repeated key, a model the operation does not use, or an unusual form
    return kind, built.batch


def decode_batch(
    table: PreparedTable, body: bytes, max_rows: int
) -> tuple[rows.WriteOperation, rows.Batch]:
    """Stage 2 of a row write: the body, decoded and validated against `table`'s definition.
    The JSON policy runs before the general decoder sees the body."""
    canonical = _canonical(table, body, max_rows)
    if canonical is not None:
        return canonical
    if body.strip():
        json_policy.check(body, row_location)
    kind, batch_rows = model_rows(parse(body, _general, checked=True))
    rows.check_batch_size(len(batch_rows), max_rows)
    generate_keys = kind is not rows.WriteOperation.UPDATE
    return kind, rows.validate_batch(table, batch_rows, generate_keys)


def write(
    space: TenantSpace,
    caller: Caller,
    name: str,
    body: bytes,
    max_rows: int,
    guard: Guard | None = None,
) -> rows.WriteResult:
    """The three stages in order; a definition changed by another request between decoding and
    the commit (a column added) means decoding again against the new one. `guard` (the access
    token's check) is judged in the commit's transaction (rows.commit)."""
    for _attempt in range(rows.WRITE_ATTEMPTS):
        table, (kind, batch) = rows.built_for_write(
            space, caller, name, lambda table: decode_batch(table, body, max_rows)
        )
        try:
            return rows.commit(space, caller, table, kind, batch, guard)
        except rows.DefinitionChanged:
            continue
    raise rows.changing_too_often(name)
