"""Answers of the v3 API: definitions and rows in the source's shape, rows streamed as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from litestar import Response

from app.v3.schemas import TableDefinition, encoder
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.formats import json_rows as json_rows_format
from ddl.formats.json_rows import ColumnValueOut, RowOut
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


def json_rows(
    table: PreparedTable, partitions: RowStream[list[list[Any]]], flat: bool
) -> Iterator[bytes]:
    """A JSON array, written a partition at a time (ddl/formats/json_rows.py)."""
    names = [column.name for column in table.ordered]
    shape = json_rows_format.flat_shape(names) if flat else json_rows_format.source_shape(table)
    return json_rows_format.json_array(partitions, shape)


RowsOutput = Callable[[PreparedTable, RowStream[list[list[Any]]]], Iterator[bytes]]


# The JSON answers of `rows` and `rows/values` by `Format` (CSV is chosen by `Format=csv` or the
# Accept header: app/v3/answer_format.py). A new answer format is a writer in ddl/formats and
# one entry here; the route accepts every name listed.
ROWS_FORMATS: dict[str, tuple[RowsOutput, str]] = {
    "flat": ((lambda table, rows: json_rows(table, rows, True)), json_rows_format.MEDIA_TYPE),
    "rows": ((lambda table, rows: json_rows(table, rows, False)), json_rows_format.MEDIA_TYPE),
}


def rows_format(name: str | None) -> tuple[RowsOutput, str]:
    """The writer and media type of a rows answer by `Format` (the source's shape by default)."""
    found = ROWS_FORMATS.get((name or "rows").strip().lower())
    if found is None:
        raise ValidationError("Format must be 'flat' or left out")
    return found
