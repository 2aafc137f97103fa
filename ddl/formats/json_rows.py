"""Rows → JSON: the v3 source shape (`RowOut`), the flat shape (one object per row, keyed by
column name) and the export file of SPEC §4, each written a partition at a time from a
`RowStream`, so an answer of any size is written with memory flat in its length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
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


class RowTemplate:
    """A shape's JSON text with a hole for each value: a partition is written a column at a
    time (each column encoded by msgspec in one call, then split at its commas) and the texts
    laid out between the template's pieces in one list joined once, in C, instead of building
    and encoding a struct per row and per value. The bytes are the ones
    `encoder.encode([shape(values) …])` writes."""

    def __init__(self, shape: Shape, width: int) -> None:
        self.shape = shape
        self.width = width
        pieces = encoder.encode(shape([msgspec.Raw(_HOLE)] * width)).split(_HOLE)
        self.pieces = pieces if len(pieces) == width + 1 and width > 0 else None  # row by row

    def encode(self, partition: Sequence[list[Any]]) -> bytes:
        """The partition's rows, shaped and separated by commas (an array's inside)."""
        pieces = self.pieces
        if pieces is None:
            return encoder.encode([self.shape(values) for values in partition])[1:-1]
        columns = getattr(partition, "columns", None)  # kept by ddl/reads.Partition
        if columns is None:
            columns = list(zip(*partition, strict=True))
        count, stride = len(partition), len(pieces) + len(columns)
        texts: list[bytes] = [b""] * (count * stride)
        texts[0::stride] = [b"," + pieces[0]] * count  # each row opens with its separator
        for offset, (column, piece) in enumerate(zip(columns, pieces[1:], strict=True)):
            texts[2 * offset + 1 :: stride] = _encoded(column)
            texts[2 * offset + 2 :: stride] = [piece] * count
        texts[0] = pieces[0]  # the first row has no separator before it
        return b"".join(texts)


_HOLE = b"\x00"  # never in encoded JSON (a NUL in a string is escaped): only where put


def _encoded(column: Sequence[Any]) -> list[bytes]:
    """The JSON text of each value: the column encoded at once and split at its commas when
    no value holds one (numbers, dates, keys, most text), else value by value."""
    if column and set(map(type, column)) == {Decimal} and all(map(Decimal.is_finite, column)):
        # Money: msgspec writes a finite Decimal as its str(), which C makes faster in a map
        return "\n".join(map(str, column)).encode().split(b"\n")
    inner = encoder.encode(column)[1:-1]
    if inner.count(b",") == len(column) - 1:
        return inner.split(b",")
    return list(map(encoder.encode, column))


def json_array(partitions: RowStream[list[list[Any]]], shape: Shape) -> Iterator[bytes]:
    """A JSON array of shaped rows, one chunk per partition; closes `partitions` however the
    consumer stops."""
    yield b"["
    first = True
    template: RowTemplate | None = None
    with partitions:
        for partition in partitions:
            if not partition:
                continue
            if template is None:
                template = RowTemplate(shape, len(partition[0]))
            chunk = template.encode(partition)
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
