"""Rows → CSV bytes (RFC 4180, UTF-8, CRLF, a header row), one partition of rows at a time, so
an answer of any size is written with memory flat in its length."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ddl.formats.csv_values import NULL, Format, formatter, quote

MEDIA_TYPE = "text/csv; charset=utf-8"
LINE_END = "\r\n"


def header_line(names: Sequence[str]) -> bytes:
    return (",".join(quote(name) for name in names) + LINE_END).encode()


def _lines(formats: Sequence[Format], partition: Iterable[Sequence[Any]]) -> bytes:
    pairs = list(enumerate(formats))
    out = []
    for values in partition:
        fields = [NULL] * len(pairs)
        for index, format_value in pairs:
            value = values[index]
            if value is not None:
                fields[index] = format_value(value)
        out.append(",".join(fields))
    out.append("")  # the last line ends with CRLF too
    return LINE_END.join(out).encode()


def csv_chunks(
    columns: Sequence[tuple[str, int | None]], partitions: Iterator[Sequence[Sequence[Any]]]
) -> Iterator[bytes]:
    """The header, then one chunk per partition of JSON-ready rows (values in `columns` order).
    `partitions` is closed however the consumer stops (it may hold a database cursor)."""
    formats = [formatter(type_id) for _name, type_id in columns]
    try:
        yield header_line([name for name, _type_id in columns])
        for partition in partitions:
            if partition:
                yield _lines(formats, partition)
    finally:
        close = getattr(partitions, "close", None)
        if close is not None:
            close()
