"""Answers of the v3 API: definitions and rows in the source's shape, rows streamed as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from litestar import Response

from app.v3.schemas import ColumnValueOut, RowOut, TableDefinition, encoder
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.prepared import PreparedTable
from ddl.row_stream import RowStream


def json_response(value: Any, status: int = 200) -> Response[Any]:
    """Encoded here rather than by Litestar so that Money (Decimal) goes out as an exact number."""
    return Response(encoder.encode(value), status_code=status, media_type="application/json")


def definition(table: TableDef, row_count: int) -> TableDefinition:
    return TableDefinition(
        Id=table.id,
        TableName=table.name,
        KeyColumnName=table.key_column,
        KeyDataTypeId=int(table.key_type),
        KeyColumnLength=table.key_length,
        Columns=list(table.columns),
        ReadRoles=list(table.read_roles),
        SaveRoles=list(table.save_roles),
        RowCount=row_count,
        CreatedAt=table.created_at,
        UpdatedAt=table.updated_at,
    )


def row_out(table: PreparedTable, values: list[Any]) -> RowOut:
    columns = table.ordered
    return RowOut(
        TableName=table.definition.name,
        KeyValue=values[0],
        KeyColumnName=table.key.name,
        KeyDataTypeId=int(table.key.type_id),
        Columns=[
            ColumnValueOut(column.name, int(column.type_id), value)
            for column, value in zip(columns[1:], values[1:], strict=True)
        ],
    )


def _row_shaper(table: PreparedTable, flat: bool) -> Any:
    if flat:
        names = [column.name for column in table.ordered]
        return lambda values: dict(zip(names, values, strict=True))
    name, key_name, key_type = table.definition.name, table.key.name, int(table.key.type_id)
    specs = [(column.name, int(column.type_id)) for column in table.ordered[1:]]

    def shape(values: list[Any]) -> RowOut:
        return RowOut(
            name,
            values[0],
            key_name,
            key_type,
            [
                ColumnValueOut(column, type_id, value)
                for (column, type_id), value in zip(specs, values[1:], strict=True)
            ],
        )

    return shape


def json_rows(
    table: PreparedTable, partitions: RowStream[list[list[Any]]], flat: bool
) -> Iterator[bytes]:
    """A JSON array, written a partition at a time."""
    shape = _row_shaper(table, flat)
    yield b"["
    first = True
    with partitions:
        for partition in partitions:
            if not partition:
                continue
            chunk = encoder.encode([shape(values) for values in partition])[1:-1]
            yield chunk if first else b"," + chunk
            first = False
    yield b"]"


RowsOutput = Callable[[PreparedTable, RowStream[list[list[Any]]]], Iterator[bytes]]


def rows_format(name: str | None) -> tuple[RowsOutput, str]:
    """The writer and media type of a rows answer by `Format` (the source's shape by default;
    a new format is one more entry here)."""
    wanted = (name or "rows").strip().lower()
    if wanted == "flat":
        return (lambda table, partitions: json_rows(table, partitions, True)), "application/json"
    if wanted == "rows":
        return (lambda table, partitions: json_rows(table, partitions, False)), "application/json"
    raise ValidationError("Format must be 'flat' or left out")
