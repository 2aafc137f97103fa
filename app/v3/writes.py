"""Decoding a `PUT …/rows` body into a validated batch: first with the table's typed decoder
(values checked and converted by msgspec in C), and, when the body is not in canonical form,
with the general decoder and the engine's Python validation, which explains every error."""

from __future__ import annotations

from typing import Any

import msgspec

from app import json_policy
from app.v3.bodies import parse
from app.v3.schemas import DeleteRowsRequest, WriteRowsRequest, decoder
from ddl import rows
from ddl.errors import ROW_NUMBERING, ValidationError
from ddl.prepared import PreparedTable
from ddl.typed import typed_batch, typed_rows

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
        batch = [request.UpdateModel] if request.UpdateModel is not None else None
        model = "UpdateModel"
    elif kind is rows.WriteOperation.UPDATE_MANY:
        batch, model = request.UpdateManyModel, "UpdateManyModel"
    else:
        batch = request.UpsertManyModel
        if batch is None:
            batch = request.UpdateManyModel
        model = "UpsertManyModel"
    if batch is None:
        name = "".join(part.title() for part in kind.name.split("_"))
        raise ValidationError(f"OperationType {name} needs {model}")
    return kind, batch


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


def _typed_decoder(table: PreparedTable) -> msgspec.json.Decoder[Any]:
    cached = table.extras.get("v3_write_decoder")
    if cached is None:
        row = typed_rows(table).row_type
        request = msgspec.defstruct(
            "TypedWriteRowsRequest",
            [
                ("OperationType", int | str),
                ("UpdateModel", row | None, None),
                ("UpdateManyModel", list[row] | None, None),  # type: ignore[valid-type]
                ("UpsertManyModel", list[row] | None, None),  # type: ignore[valid-type]
            ],
        )
        cached = table.extras["v3_write_decoder"] = msgspec.json.Decoder(request)
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


def batch_builder(body: bytes, max_rows: int) -> rows.BatchBuilder:
    """The function the engine calls with the current table definition to get the batch.
    The JSON policy runs once, here, before either decoder sees the body."""
    if body.strip():
        json_policy.check(body, row_location)

    def build(table: PreparedTable) -> tuple[rows.WriteOperation, rows.Batch]:
        if _NUL not in body:
            try:
                typed = _typed_decoder(table).decode(body)
            except msgspec.MsgspecError:
                typed = None
            if typed is not None:
                kind, batch_rows = model_rows(typed)
                rows.check_batch_size(len(batch_rows), max_rows)
                batch = typed_batch(table, batch_rows)
                if batch is not None:
                    return kind, batch
        kind, batch_rows = model_rows(parse(body, _general, checked=True))
        rows.check_batch_size(len(batch_rows), max_rows)
        generate_keys = kind is not rows.WriteOperation.UPDATE
        return kind, rows.validate_batch(table, batch_rows, generate_keys)

    return build
