"""Rows → CSV bytes (RFC 4180, UTF-8, CRLF, a header row), one partition of rows at a time, so
an answer of any size is written with memory flat in its length.

The fast path hands whole columns to the C `csv.writer` (quoting, NULL as an empty field) and
only touches, per column, what it cannot do: Boolean as `true`/`false`, and the empty string as
`""` (a placeholder NUL, replaced in the written text; stored text never holds NUL). Any
partition the fast path cannot vouch for (a NUL in the data, a one-column answer, where the C
writer quotes an empty field) is written value by value instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ddl.formats.csv_values import NULL, formatter, quote
from ddl.row_stream import RowStream
from ddl.types import COLUMN_TYPES, CSV_EMPTY, TypeId, csv_any_column

MEDIA_TYPE = "text/csv; charset=utf-8"
LINE_END = "\r\n"
_EMPTY = CSV_EMPTY  # stands for "" in the fast path

Column = list[Any]
Adapt = Callable[[Column], tuple[Column, int]]


def header_line(names: Sequence[str]) -> bytes:
    return (",".join(quote(name) for name in names) + LINE_END).encode()


def _slow(columns: Sequence[tuple[str, int | None]], partition: Iterable[Sequence[Any]]) -> str:
    formats = [formatter(type_id) for _name, type_id in columns]
    out = [
        ",".join(
            NULL if value is None else format_value(value)
            for format_value, value in zip(formats, values, strict=True)
        )
        for values in partition
    ]
    out.append("")  # the last line ends with CRLF too
    return LINE_END.join(out)


def _adapter(type_id: int | None) -> Adapt:
    return csv_any_column if type_id is None else COLUMN_TYPES[TypeId(type_id)].csv_column


def _fast(adapters: Sequence[Adapt], partition: Sequence[Sequence[Any]]) -> str | None:
    columns = []
    placeholders = 0
    for adapt, column in zip(adapters, zip(*partition, strict=True), strict=True):
        adapted, empty = adapt(list(column))
        columns.append(adapted)
        placeholders += empty
    sink = io.StringIO()
    csv.writer(sink, lineterminator=LINE_END).writerows(zip(*columns, strict=True))
    text = sink.getvalue()
    if text.count(_EMPTY) != placeholders:
        return None  # a NUL of the data itself: write this partition value by value
    return text.replace(_EMPTY, '""') if placeholders else text


def csv_chunks(
    columns: Sequence[tuple[str, int | None]], partitions: RowStream[list[list[Any]]]
) -> Iterator[bytes]:
    """The header, then one chunk per partition of JSON-ready rows (values in `columns` order).
    `partitions` is closed however the consumer stops (it may hold a database cursor)."""
    adapters = [_adapter(type_id) for _name, type_id in columns]
    with partitions:
        yield header_line([name for name, _type_id in columns])
        for partition in partitions:
            if not partition:
                continue
            text = _fast(adapters, partition) if len(columns) > 1 else None
            yield (text if text is not None else _slow(columns, partition)).encode()
