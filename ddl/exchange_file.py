"""The export file of SPEC §4 (`customtables/v1`): its header, and reading it back incrementally
(ddl/formats/json_rows.py writes it).

Reading uses ijson's C (yajl) backend so a file of a million rows is never decoded into Python
objects at once: the header (`Format`, `Table`) is read first, then `Rows` are handed out in
chunks. Numbers with a fraction come out as Decimal (never through a binary float), so Money
stays exact. The source must be a seekable binary file (the web layer spools uploads to one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import ijson
import msgspec

from ddl.catalog import ColumnDef, TableDef
from ddl.errors import ROW_NUMBERING, RowError, ValidationError
from ddl.json_shape import shape_message

FORMAT = "customtables/v1"

encoder = msgspec.json.Encoder(decimal_format="number")


class FileTable(msgspec.Struct, omit_defaults=True):
    """The `Table` object of an export file: what is needed to create the table again."""

    TableName: str | None = None
    KeyColumnName: str | None = None
    KeyDataTypeId: int | None = None
    KeyColumnLength: int | None = None
    Columns: list[ColumnDef] = msgspec.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Header:
    format: str | None
    table: FileTable | None
    has_rows: bool


def file_table(definition: TableDef) -> FileTable:
    return FileTable(
        TableName=definition.name,
        KeyColumnName=definition.key_column,
        KeyDataTypeId=int(definition.key_type),
        KeyColumnLength=definition.key_length,
        Columns=list(definition.columns),
    )


_REPEATED = object()  # marks an object that repeated a key (never a valid JSON key)


class _Object(dict[Any, Any]):
    """A JSON object that remembers a repeated key instead of keeping its last value: ijson's
    C builder calls __setitem__ per key, and raising inside it would be lost in C."""

    __slots__ = ()

    def __setitem__(self, key: Any, value: Any) -> None:
        if key in self:
            dict.__setitem__(self, _REPEATED, key)
        else:
            dict.__setitem__(self, key, value)


def _repeated(value: Any, where: str) -> None:
    """400 when `value` (built with _Object) or an object inside it repeated a key."""
    if isinstance(value, dict):
        if _REPEATED in value:
            raise ValidationError(
                f"{where} repeats the key {value[_REPEATED]!r}; each key may appear only once"
            )
        for key, item in value.items():
            if isinstance(item, dict | list):
                _repeated(item, f"{where}, key {key!r},")
    elif isinstance(value, list):
        for item in value:
            _repeated(item, where)


def _json_error(error: Exception) -> ValidationError:
    """ijson's message without the excerpt of the file it quotes on the following lines."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else "not valid JSON"
    return ValidationError(f"The file is not valid JSON or is incomplete ({first})")


def _skip_value(events: Iterator[tuple[str, str, Any]], event: str) -> None:
    """Consume the rest of a value whose first event was `event`."""
    if event not in ("start_map", "start_array"):
        return
    depth = 1
    for _prefix, kind, _value in events:
        if kind in ("start_map", "start_array"):
            depth += 1
        elif kind in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return


def _build_value(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    builder = ijson.ObjectBuilder(map_type=_Object)
    builder.event(event, value)
    if event in ("start_map", "start_array"):
        depth = 1
        for _prefix, kind, item in events:
            builder.event(kind, item)
            if kind in ("start_map", "start_array"):
                depth += 1
            elif kind in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
    return builder.value


def _table_of(raw: Any) -> FileTable:
    if not isinstance(raw, dict):
        raise ValidationError("The file's Table must be an object")
    _repeated(raw, "The file's Table")
    try:
        return msgspec.convert(raw, FileTable)
    except msgspec.ValidationError as error:
        raise ValidationError(shape_message(error, "The file's Table", "Table")) from None


def _format_of(kind: str, item: Any) -> str:
    if kind != "string":
        raise ValidationError("The file's Format must be a string")
    return str(item)


def _rows_start(kind: str) -> bool:
    if kind != "start_array":
        raise ValidationError("The file's Rows must be an array of objects")
    return True


def read_header(source: BinaryIO) -> Header:
    """`Format` and `Table` of the file. They normally come before `Rows`; when they do not,
    the rows are skipped over (parsed, not kept) to find them."""
    source.seek(0)
    events = ijson.parse(source)
    found_format: str | None = None
    table: FileTable | None = None
    has_rows = False
    seen: set[str] = set()
    try:
        first = next(events, None)
        if first is None or first[1] != "start_map":
            raise ValidationError(
                f"The file must be a JSON object with Format, Table and Rows ({FORMAT})"
            )
        for prefix, event, value in events:
            if prefix == "" and event == "end_map":
                break
            if prefix != "" or event != "map_key":
                continue
            if value in seen:
                raise ValidationError(
                    f"The file repeats the key {value!r}; each key may appear once"
                )
            seen.add(value)
            _, kind, item = next(events)
            if value == "Format":
                found_format = _format_of(kind, item)
            elif value == "Table":
                table = _table_of(_build_value(events, kind, item))
            elif value == "Rows":
                has_rows = _rows_start(kind)
                if table is not None:
                    break  # the rows are read by read_rows
                _skip_value(events, kind)
            else:
                _skip_value(events, kind)  # unknown keys are ignored
    except ijson.JSONError as error:
        raise _json_error(error) from None
    if found_format is not None and found_format != FORMAT:
        raise ValidationError(
            f"The file's Format is {found_format!r}; this server reads {FORMAT!r}"
        )
    return Header(found_format, table, has_rows)


def read_rows(source: BinaryIO, chunk_rows: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(index of the first row, rows) chunks of `Rows`, in file order. The whole file is parsed
    to its end, so a truncated file or trailing garbage raises after the last chunk."""
    source.seek(0)
    chunk: list[dict[str, Any]] = []
    start = 0
    try:
        for index, row in enumerate(ijson.items(source, "Rows.item", map_type=_Object)):
            if not isinstance(row, dict):
                raise RowError(index, ": expected an object keyed by column name")
            if _REPEATED in row:  # cells are scalars: a nested object is refused as a value
                _repeated(row, f"Row {index} ({ROW_NUMBERING})")
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                yield start, chunk
                start, chunk = index + 1, []
    except ijson.JSONError as error:
        raise _json_error(error) from None
    if chunk:
        yield start, chunk


def count_rows(source: BinaryIO) -> int:
    """The number of rows in the file (for a progress bar); leaves the position at the start."""
    source.seek(0)
    try:
        total = sum(1 for _ in ijson.items(source, "Rows.item"))
    except ijson.JSONError:
        total = 0
    source.seek(0)
    return total
