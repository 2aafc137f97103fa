"""Rows → JSON: the v3 source shape (`RowOut`), the flat shape (one object per row, keyed by
column name) and the export file of SPEC §4, each written a partition at a time from a
`RowStream`, so an answer of any size is written with memory flat in its length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec

from ddl.catalog import TableDef
from ddl.exchange_file import FORMAT, file_table
from ddl.prepared import PreparedTable
from ddl.row_stream import RowStream

MEDIA_TYPE = "application/json"

encoder = msgspec.json.Encoder(decimal_format="number")  # Money goes out as an exact number

Shape = Callable[[list[Any]], Any]


class ColumnValueOut(msgspec.Struct, gc=False):
    ColumnName: str
    ColumnDataTypeId: int
    Value: Any


class RowOut(msgspec.Struct, gc=False):
    TableName: str
    KeyValue: Any
    KeyColumnName: str
    KeyDataTypeId: int
    Columns: list[ColumnValueOut]


def flat_shape(names: Sequence[str]) -> Shape:
    """A row as one object keyed by column name (key included)."""
    return lambda values: dict(zip(names, values, strict=True))


def source_shape(table: PreparedTable) -> Shape:
    """A row as the source API writes it: table, key, and a list of named, typed values."""
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


def json_array(partitions: RowStream[list[list[Any]]], shape: Shape) -> Iterator[bytes]:
    """A JSON array of shaped rows, one chunk per partition; closes `partitions` however the
    consumer stops."""
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


def export_file(
    definition: TableDef, names: list[str], partitions: RowStream[list[list[Any]]]
) -> Iterator[bytes]:
    """The export file (`customtables/v1`): its header, then the rows flat, keyed by column name,
    key included."""
    head = encoder.encode({"Format": FORMAT, "Table": file_table(definition)})
    yield head[:-1] + b',"Rows":'
    yield from json_array(partitions, flat_shape(names))
    yield b"}"
