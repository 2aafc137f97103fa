"""CSV export and import of a table (SPEC §10): the same streaming and the same one-transaction,
all-or-nothing import as the JSON file (ddl/exchange.py), with errors naming the file's line.

A CSV file carries no definition, so a new table's key comes from `KeyColumnName` and its
column types from `Types` or, for the columns `Types` leaves out, from a first pass over the
values (ddl/formats/csv_types.py). Columns of the header that an existing table lacks are added
the same way (Admin only, as for JSON).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from ddl import catalog, reads, rows, schema
from ddl.access import Caller
from ddl.catalog import TableDef
from ddl.errors import InvalidValue, ValidationError
from ddl.exchange import (
    CHUNK_ROWS,
    ImportMode,
    ImportResult,
    Progress,
    exported_rows,
    run_import,
)
from ddl.formats.csv_read import CsvRecords, LineError
from ddl.formats.csv_types import Inference, TypeChoice, parse_types
from ddl.formats.csv_values import as_is, parser
from ddl.formats.csv_write import csv_chunks
from ddl.names import check_column_name, check_table_name, fold
from ddl.prepared import PreparedTable
from ddl.space import TenantSpace
from ddl.types import BadValue, TypeId

# --- export ----------------------------------------------------------------------------------


def export_csv(
    space: TenantSpace,
    caller: Caller,
    name: str,
    progress: Progress | None = None,
    where: reads.WhereBuilder | None = None,
) -> tuple[TableDef, Iterator[bytes]]:
    """Check access now, then stream the table as CSV in key order (key first; only the rows
    `where` selects, when given)."""
    table, partitions = exported_rows(space, caller, name, progress, where)
    return table.definition, csv_chunks(columns_of(table), partitions)


def columns_of(table: PreparedTable) -> list[tuple[str, int | None]]:
    return [(column.name, int(column.type_id)) for column in table.ordered]


# --- import: header and definition --------------------------------------------------------


def read_header(source: BinaryIO) -> list[str]:
    """Line 1: the column names, each valid and named once."""
    first = next(iter(CsvRecords(source)), None)
    if first is None:
        raise ValidationError("The CSV file is empty: it needs a header row of column names")
    line, fields = first
    if len(fields) > schema.MAX_COLUMNS + 1:  # the key and the columns, before any other work
        raise LineError(line, f"the header names {len(fields)} columns; a table has at most "
                              f"{schema.MAX_COLUMNS} besides its key")  # fmt: skip
    names: list[str] = []
    seen: set[str] = set()
    for field in fields:
        try:
            name = check_column_name(field if field is not None else "")
        except ValidationError as error:
            raise LineError(line, f"the header is not valid ({error.message})") from None
        if fold(name) in seen:
            raise LineError(line, f"the header names column '{name}' twice")
        seen.add(fold(name))
        names.append(name)
    return names


def _infer(
    source: BinaryIO, header: list[str], needed: list[str], key: str
) -> dict[str, TypeChoice]:
    """A first pass over the file: the type of each `needed` column from its values."""
    index_of = {name: index for index, name in reversed(list(enumerate(header)))}
    positions = [(index_of[name], Inference()) for name in needed]
    for _line, fields in _body(source, len(header)):
        for index, inference in positions:
            value = fields[index]
            if value is not None:
                inference.add(value)
    return {
        fold(name): inference.result(key=fold(name) == fold(key))
        for name, (_index, inference) in zip(needed, positions, strict=True)
    }


def _body(source: BinaryIO, width: int) -> Iterator[tuple[int, list[str | None]]]:
    """The records after the header, each checked to have the header's number of fields."""
    records = iter(CsvRecords(source))
    next(records, None)
    for line, fields in records:
        if len(fields) != width:
            raise LineError(line, f"{len(fields)} fields where the header has {width}")
        yield line, fields


def table_spec(
    name: str,
    header: list[str],
    existing: TableDef | None,
    key_column: str | None,
    types: str | None,
    source: BinaryIO,
) -> schema.TableSpec:
    """The definition the file asks for: the existing one's types, `Types`, then inference."""
    in_header = {fold(column) for column in header}
    given = _given_types(types, in_header)
    key = _key_name(name, existing, key_column, in_header)
    known = _existing_types(existing)
    needed = [c for c in header if fold(c) not in given and fold(c) not in known]
    inferred = _infer(source, header, needed, key) if needed else {}
    typed = {**known, **inferred, **given}
    key_type = typed.get(fold(key), TypeChoice(TypeId.UNIQUEIDENTIFIER))
    columns = [
        (c, int(typed[fold(c)].type_id), typed[fold(c)].length)
        for c in header
        if fold(c) != fold(key)
    ]
    return schema.check_spec(name, key, int(key_type.type_id), key_type.length, columns)


def _given_types(types: str | None, in_header: set[str]) -> dict[str, TypeChoice]:
    """`Types` by folded name; each must name a header column."""
    given = parse_types(types)
    for column in given:
        if fold(column) not in in_header:
            raise ValidationError(f"Types names column '{column}' that the CSV header lacks")
    return {fold(column): kind for column, kind in given.items()}


def _key_name(
    name: str, existing: TableDef | None, key_column: str | None, in_header: set[str]
) -> str:
    """A new table's key: `KeyColumnName`, a header column. An existing table's: its own,
    unless `KeyColumnName` says otherwise (then the import is a 409 conflict)."""
    if existing is not None:
        _check_key_present(existing, in_header)
        return check_column_name(key_column, "KeyColumnName") if key_column else existing.key_column
    if not key_column:
        raise ValidationError(
            f"KeyColumnName is required to create custom table '{name}' from CSV "
            "(the header's column that is the key)"
        )
    key = check_column_name(key_column, "KeyColumnName")
    if fold(key) not in in_header:
        raise ValidationError(f"KeyColumnName '{key}' is not a column of the CSV header")
    return key


def _existing_types(existing: TableDef | None) -> dict[str, TypeChoice]:
    if existing is None:
        return {}
    known = {fold(existing.key_column): TypeChoice(existing.key_type, existing.key_length)}
    for column in existing.columns:
        known[fold(column.ColumnName)] = TypeChoice(column.type_id, column.ColumnLength)
    return known


def _check_key_present(existing: TableDef, in_header: set[str]) -> None:
    if fold(existing.key_column) in in_header or existing.key_type is TypeId.UNIQUEIDENTIFIER:
        return
    raise ValidationError(
        f"The CSV header must name the key column '{existing.key_column}' of custom table "
        f"'{existing.name}'"
    )


# --- import: rows ----------------------------------------------------------------------------


class RowChunks:
    """The file's records as chunks of flat rows of text, and their validation with errors
    that name the line: the line numbers of the chunk last handed out are kept for that."""

    def __init__(self, source: BinaryIO, header: list[str], chunk_rows: int) -> None:
        self.source = source
        self.header = header
        self.chunk_rows = chunk_rows
        self.lines: list[int] = []

    def __iter__(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        chunk: list[dict[str, Any]] = []
        lines: list[int] = []
        for line, fields in _body(self.source, len(self.header)):
            chunk.append(dict(zip(self.header, fields, strict=True)))
            lines.append(line)
            if len(chunk) >= self.chunk_rows:
                self.lines = lines
                yield 0, chunk
                chunk, lines = [], []
        if chunk:
            self.lines = lines
            yield 0, chunk

    def validate(self, table: PreparedTable, start: int, chunk: list[dict[str, Any]]) -> rows.Batch:
        parsers = {}
        for name in self.header:
            column = table.column(name)
            assert column is not None  # the import created or extended the table first
            parsers[name] = (column.name, parser(column.type_id))
        typed = [self._parsed(parsers, offset, row) for offset, row in enumerate(chunk)]
        try:
            return rows.validate_flat(table, start, typed)
        except InvalidValue as error:
            line = self.lines[(error.row or 0) - start]
            raise LineError(line, error.message.split(": ", 1)[-1], error.column) from None

    def _parsed(self, parsers: dict[str, Any], offset: int, row: dict[str, Any]) -> dict[str, Any]:
        """Text → what the column's converter takes; text columns (most) pass as they are."""
        out = {}
        for name, text in row.items():
            column, parse = parsers[name]
            if text is None or parse is as_is:
                out[name] = text
                continue
            try:
                out[name] = parse(text)
            except BadValue as error:
                detail = f" ({error.detail})" if error.detail else ""
                raise LineError(
                    self.lines[offset], f"expected {error.expected}{detail}", column
                ) from None
        return out


def import_csv(
    space: TenantSpace,
    caller: Caller,
    name: str,
    source: BinaryIO,
    mode: ImportMode = ImportMode.UPSERT,
    *,
    key_column: str | None = None,
    types: str | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Import the CSV file in `source` (seekable, binary) into table `name`, all or nothing."""
    name = check_table_name(name)
    header = read_header(source)
    with space.read() as conn:
        existing = catalog.find_table(conn, name)
    spec = table_spec(name, header, existing, key_column, types, source)
    chunks = RowChunks(source, header, chunk_rows)
    return run_import(
        space, caller, name, spec, iter(chunks), mode, validate=chunks.validate, progress=progress
    )
