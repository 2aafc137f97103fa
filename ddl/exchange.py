"""Export a table to the SPEC §4 file (streamed), and import such a file in one transaction.

An import creates the table when missing, adds the columns it lacks, optionally deletes the
old rows (`replace`), upserts every row in chunks, and records the audit events, all in ONE
transaction: a bad row, a truncated file, a type clash or a lost connection leaves the table
(catalog and physical schema included) exactly as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, BinaryIO

import sqlalchemy as sa

from ddl import audit, catalog, reads, rows, schema
from ddl.access import Caller, require_admin, require_save
from ddl.catalog import ColumnDef, TableDef
from ddl.errors import TableNotFound, ValidationError
from ddl.exchange_file import FileTable, Header, read_header, read_rows
from ddl.formats.json_rows import export_file
from ddl.names import check_name
from ddl.prepared import PreparedTable, prepare
from ddl.row_stream import RowStream
from ddl.space import TenantSpace

CHUNK_ROWS = 10_000

log = logging.getLogger("customtables.exchange")

Progress = Callable[[int], None]


class ImportMode(Enum):
    UPSERT = "upsert"
    REPLACE = "replace"

    @classmethod
    def parse(cls, text: str | None) -> ImportMode:
        if text is None or not text.strip():
            return cls.UPSERT
        for mode in cls:
            if mode.value == text.strip().lower():
                return mode
        raise ValidationError(f"Mode must be 'upsert' or 'replace', got {text!r}")


@dataclass(slots=True)
class ImportResult:
    table: TableDef
    created: bool
    columns_added: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


# --- export ----------------------------------------------------------------------------------


def export_table(
    space: TenantSpace,
    caller: Caller,
    name: str,
    progress: Progress | None = None,
    where: reads.WhereBuilder | None = None,
) -> tuple[TableDef, Iterator[bytes]]:
    """Check access now (so errors are proper answers), then stream the file in key order
    (only the rows `where` selects, when given)."""
    table, partitions = exported_rows(space, caller, name, progress, where)
    names = [column.name for column in table.ordered]
    return table.definition, export_file(table.definition, names, partitions)


def exported_rows(
    space: TenantSpace,
    caller: Caller,
    name: str,
    progress: Progress | None,
    where: reads.WhereBuilder | None,
) -> tuple[PreparedTable, RowStream[list[list[Any]]]]:
    """The table (access checked now) and its rows in key order, counted into `progress`:
    what every export format writes."""
    table, partitions = reads.stream_rows(space, caller, name, where=where)
    if progress is not None:
        partitions = counted(partitions, progress)
    return table, partitions


def counted(
    partitions: RowStream[list[list[Any]]], progress: Progress
) -> RowStream[list[list[Any]]]:
    """The same rows, telling `progress` how many were written once each partition is."""
    done = 0

    def add(partition: list[list[Any]]) -> None:
        nonlocal done
        done += len(partition)
        progress(done)

    return partitions.passing(after=add)


# --- import ----------------------------------------------------------------------------------


def _spec(name: str, header: Header) -> schema.TableSpec | None:
    table: FileTable | None = header.table
    if table is None:
        return None
    return schema.check_spec(
        name,
        table.KeyColumnName,
        table.KeyDataTypeId,
        table.KeyColumnLength,
        [(c.ColumnName, c.ColumnDataTypeId, c.ColumnLength) for c in table.Columns],
    )


def _plan(
    caller: Caller, name: str, existing: TableDef | None, spec: schema.TableSpec | None
) -> list[ColumnDef]:
    """Authorise the import against what exists; returns the columns to add."""
    if existing is None:
        if spec is None:
            raise TableNotFound(name)
        require_admin(caller, "create custom tables (the import's table does not exist)")
        return list(spec.columns)
    added = [] if spec is None else schema.new_columns(existing, spec)
    if added:
        names = ", ".join(c.ColumnName for c in added)
        require_admin(caller, f"add columns to custom tables (the file adds {names})")
    require_save(caller, existing)
    return added


def import_table(
    space: TenantSpace,
    caller: Caller,
    name: str,
    source: BinaryIO,
    mode: ImportMode = ImportMode.UPSERT,
    *,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Import the file in `source` (seekable, binary) into table `name` of this tenant."""
    name = check_name(name, "table name")
    header = read_header(source)
    chunks = read_rows(source, chunk_rows) if header.has_rows else iter(())
    return run_import(space, caller, name, _spec(name, header), chunks, mode, progress=progress)


Validate = Callable[[PreparedTable, int, list[dict[str, Any]]], rows.Batch]


def run_import(
    space: TenantSpace,
    caller: Caller,
    name: str,
    spec: schema.TableSpec | None,
    chunks: Iterator[tuple[int, list[dict[str, Any]]]],
    mode: ImportMode,
    *,
    validate: Validate = rows.validate_flat,
    progress: Progress | None = None,
) -> ImportResult:
    """The one transaction of every import format: create or extend the table as `spec` says,
    optionally delete the old rows, upsert each chunk of flat rows (`validate` checks and
    converts them), record the audit event. Any error rolls all of it back."""
    with space.read() as conn:
        _plan(caller, name, catalog.find_table(conn, name), spec)  # fail fast, before the lock
    with space.write() as conn:
        existing = catalog.lock_for_change(conn, name)
        added = _plan(caller, name, existing, spec)
        result = _apply_schema(conn, space, caller, existing, spec, added)
        log.info("import into %r (%s): writing rows", result.table.name, mode.value)
        table = prepare(space, result.table, cache=not (result.created or added))
        if mode is ImportMode.REPLACE:
            result.deleted = conn.execute(table.table.delete()).rowcount
        done = 0
        for start, chunk in chunks:
            batch = validate(table, start, chunk)
            written = rows.write_batch(conn, table, rows.WriteOperation.UPSERT_MANY, batch)
            result.inserted += written.inserted
            result.updated += written.updated
            done += len(chunk)
            if progress is not None:
                progress(done)
        audit.record_table(
            conn, caller.user, audit.ROWS_IMPORTED, result.table, _details(result, mode, done)
        )
    log.info("import into %r: %d rows committed", result.table.name, done)
    return result


def _details(result: ImportResult, mode: ImportMode, done: int) -> dict[str, Any]:
    return {
        "Mode": mode.value,
        "Rows": done,
        "Inserted": result.inserted,
        "Updated": result.updated,
        "Deleted": result.deleted,
        "Created": result.created,
        "ColumnsAdded": result.columns_added,
    }


def _apply_schema(
    conn: sa.Connection,
    space: TenantSpace,
    caller: Caller,
    existing: TableDef | None,
    spec: schema.TableSpec | None,
    added: list[ColumnDef],
) -> ImportResult:
    if existing is None:
        assert spec is not None  # _plan refused a missing table without a definition
        created = schema.create_table(conn, space, spec)
        audit.record_table(
            conn, caller.user, audit.TABLE_CREATED, created, schema.created_details(created)
        )
        return ImportResult(created, True, [c.ColumnName for c in spec.columns])
    if not added:
        return ImportResult(existing, False)
    extended = schema.add_columns(conn, space, existing, added)
    audit.record_table(
        conn, caller.user, audit.COLUMNS_ADDED, extended, schema.added_details(added)
    )
    return ImportResult(extended, False, [c.ColumnName for c in added])
