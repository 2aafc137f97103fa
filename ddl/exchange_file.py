"""The export file of SPEC §4 (`customtables/v1`): its header, and reading it back incrementally
(ddl/formats/json_rows.py writes it).

Reading uses ijson's C (yajl) backend so a file of a million rows is never decoded into Python
objects at once: the header (`Format`, `Table`) is read first, then `Rows` are handed out in
chunks. Numbers with a fraction come out as Decimal (never through a binary float), so Money
stays exact. The source must be a seekable binary file (the web layer spools uploads to one).

yajl is handed the file through `_Checked`, which refuses `\\u` escapes of UTF-16 surrogates that
do not form a pair: yajl would store a lone high one as `?`, join two high ones into a wrong
character, and hand a lone low one to Python as bytes that are not UTF-8. No message of the
parser reaches a client: it quotes the file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import ijson
import msgspec

from ddl.catalog import ColumnDef, TableDef
from ddl.errors import ROW_NUMBERING, InvalidValue, RowError, ValidationError
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


_SURROGATE = re.compile(
    rb"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|[c-fC-F][0-9a-fA-F]{2})"
)  # a pair (12 bytes) or a lone half (6 bytes)
_ESCAPE_BYTES = 12  # the longest text _SURROGATE matches


class _LoneSurrogate(Exception):
    """A `\\uD800`-`\\uDFFF` escape that is not half of a pair, at byte `offset` of the file."""

    def __init__(self, offset: int, escape: bytes) -> None:
        super().__init__(offset)
        self.offset = offset
        self.escape = escape.decode("ascii").lower()


class _Checked:
    """The file as yajl reads it, each piece checked for lone surrogate escapes first. A piece
    ends before any backslash of its last 11 bytes (an escape or pair it may cut), and starts
    where no escaped backslash is cut in two, so `\\\\` pairs read left to right are the
    file's own and every other backslash starts an escape."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.pending = b""
        self.offset = 0  # of pending's first byte in the file

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing to learn the type
        while True:
            data = self.source.read(size if size > 0 else 1 << 16)
            buffer, self.pending = self.pending + data, b""
            plain = buffer.replace(b"\\\\", b"..")  # same length: offsets stay the file's
            tail = plain.find(b"\\", max(0, len(plain) - _ESCAPE_BYTES + 1)) if data else -1
            cut = self._check(plain, len(plain) if tail == -1 else tail)
            piece, self.pending = buffer[:cut], buffer[cut:]
            self.offset += cut
            if piece or not data:
                return piece

    def _check(self, plain: bytes, cut: int) -> int:
        """Raise _LoneSurrogate at the first lone escape starting before `cut`; the end of the
        checked text (a pair that crosses `cut` is checked whole)."""
        if b"\\u" not in plain:
            return cut
        for match in _SURROGATE.finditer(plain):
            if match.start() >= cut:
                break
            if match.end() - match.start() < _ESCAPE_BYTES:
                raise _LoneSurrogate(self.offset + match.start(), match.group())
            cut = max(cut, match.end())
        return cut


class _Prefix:
    """The first `end` bytes of the file, for yajl to say where byte `end` is."""

    def __init__(self, source: BinaryIO, end: int) -> None:
        source.seek(0)
        self.source, self.left = source, end

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(min(self.left, size if size >= 0 else self.left))
        self.left -= len(data)
        return data


def _surrogate_error(source: BinaryIO, error: _LoneSurrogate) -> ValidationError:
    """The 400 for a lone surrogate escape, naming the row and column when it is in `Rows`
    (the file up to the escape is parsed again to find them)."""
    row, rows, column, in_key = -1, 0, None, False
    try:
        for prefix, event, value in ijson.parse(_Prefix(source, error.offset)):
            if prefix == "Rows.item" and event not in ("map_key", "end_map", "end_array"):
                row, rows, column, in_key = rows, rows + 1, None, event == "start_map"
            elif prefix == "Rows.item" and event == "map_key":
                column, in_key = value, False
            elif column is not None and prefix == f"Rows.item.{column}":
                in_key = event not in ("start_map", "start_array")  # its value is complete
            elif prefix == "Rows" and event == "end_array":
                row = -1
    except (ijson.JSONError, UnicodeDecodeError):
        pass  # the prefix ends inside the string that holds the escape
    detail = f"{error.escape}, half of a UTF-16 surrogate pair without its other half"
    if row >= 0 and column is not None and not in_key:
        return InvalidValue(row, column, "a string of Unicode characters", detail)
    if row >= 0:
        return RowError(row, f": {'a column name' if in_key else 'it'} holds {detail}")
    return ValidationError(f"The file holds {detail} (byte {error.offset}, counted from 0)")


def _not_json(source: BinaryIO) -> ValidationError:
    """The 400 for a file the parser refused, in our words (the parser's messages quote the
    file): where it is not UTF-8, when it is not."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0  # bytes before `data`, less those the decoder holds of a character they began
    while True:
        data = source.read(1 << 20)
        try:
            decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            return ValidationError(
                f"The file is not valid UTF-8 (byte {done + error.start}, counted from 0)"
            )
        done += len(data) - len(decoder.getstate()[0])
        if not data:
            return ValidationError("The file is not valid JSON or is incomplete")


@contextmanager
def _parsing(source: BinaryIO) -> Iterator[None]:
    """Parser errors and lone surrogate escapes, as our 400s."""
    try:
        yield
    except _LoneSurrogate as error:
        raise _surrogate_error(source, error) from None
    except (ijson.JSONError, UnicodeDecodeError):
        raise _not_json(source) from None


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
    events = ijson.parse(_Checked(source))
    found_format: str | None = None
    table: FileTable | None = None
    has_rows = False
    seen: set[str] = set()
    with _parsing(source):
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
    with _parsing(source):
        for index, row in enumerate(ijson.items(_Checked(source), "Rows.item", map_type=_Object)):
            if not isinstance(row, dict):
                raise RowError(index, ": expected an object keyed by column name")
            if _REPEATED in row:  # cells are scalars: a nested object is refused as a value
                _repeated(row, f"Row {index} ({ROW_NUMBERING})")
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                yield start, chunk
                start, chunk = index + 1, []
    if chunk:
        yield start, chunk


def count_rows(source: BinaryIO) -> int:
    """The number of rows in the file (for a progress bar); leaves the position at the start."""
    source.seek(0)
    try:
        total = sum(1 for _ in ijson.items(_Checked(source), "Rows.item"))
    except (ijson.JSONError, UnicodeDecodeError, _LoneSurrogate):
        total = 0
    source.seek(0)
    return total
