"""Row writes: validate a whole batch in Python first, then write it in one transaction with
one executemany per column set. Nothing is written when any row is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import Any, Protocol, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ddl import audit, catalog, driver_sql, outbox, pg_copy, reads, time_limit
from ddl.access import Caller, may_save, require_save
from ddl.backends.common import KEY_BIND, bind_name
from ddl.backends.tsql_statements import ExistingKeys
from ddl.cache import LruCache
from ddl.catalog import TableDef
from ddl.errors import (
    CustomTablesError,
    InvalidValue,
    PayloadTooLarge,
    RowError,
    RowNotFound,
    TableNotFound,
    ValidationError,
)
from ddl.guard import Guard
from ddl.names import fold
from ddl.prepared import PreparedColumn, PreparedTable, prepare
from ddl.space import TenantSpace
from ddl.types import BadValue, TypeId, key_from_text, output_column_converter, type_name
from ddl.upsert import counting_upsert_statement, update_statement, upsert_statement

IN_CHUNK = 500


class WriteOperation(IntEnum):
    UPDATE = 0
    UPDATE_MANY = 1
    UPSERT_MANY = 2


class DeleteOperation(IntEnum):
    DELETE = 0
    DELETE_ALL = 1
    DELETE_MANY = 2
    DELETE_WHERE = 3  # beyond the source (SPEC §10): the rows a T-SQL condition selects


class ColumnValueLike(Protocol):
    ColumnName: str
    Value: Any


class RowLike(Protocol):
    """One row of a write as the API sends it (an UpdateModel)."""

    KeyColumnName: str | None
    KeyValue: Any
    KeyDataTypeId: int | None
    Columns: Sequence[ColumnValueLike]


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int
    updated: int
    key_values: list[Any]


ParamRows = list[Sequence[Any]]  # (key, value of each column), in the group's column order


@dataclass(slots=True)
class Batch:
    """A validated batch, ready for executemany: distinct rows grouped by the columns they set."""

    keys: list[Any]  # database values, request order (repeats kept)
    distinct: list[Any]  # each key once
    groups: dict[tuple[PreparedColumn, ...], ParamRows]


def grouped(keys: list[Any], merged: dict[Any, dict[PreparedColumn, Any]]) -> Batch:
    groups: dict[tuple[PreparedColumn, ...], ParamRows] = {}
    for key, values in merged.items():  # same columns in the same order: one group
        groups.setdefault(tuple(values), []).append((key, *values.values()))
    return Batch(keys, list(merged), groups)


def _check_key_model(table: PreparedTable, index: int, row: RowLike) -> None:
    given = row.KeyColumnName
    if given is not None and fold(given) != fold(table.key.name):
        raise RowError(
            index,
            f": KeyColumnName '{given}' is not the key column "
            f"'{table.key.name}' of custom table '{table.definition.name}'",
        )
    if row.KeyDataTypeId is not None and row.KeyDataTypeId != table.key.type_id:
        raise RowError(
            index,
            f": KeyDataTypeId {row.KeyDataTypeId} does not match the key column's "
            f"type {int(table.key.type_id)} ({type_name(table.key.type_id)})",
        )


def _key_value(table: PreparedTable, index: int, raw: Any, generate: bool) -> Any:
    key = table.key
    if raw is None or raw is msgspec.UNSET:
        if generate and key.type_id is TypeId.UNIQUEIDENTIFIER:
            return key.to_db(str(uuid.uuid4()))
        raise InvalidValue(index, key.name, "a key value", "the key cannot be missing or null")
    try:
        if isinstance(raw, str):  # an Integer key may come as text, as it does in query strings
            raw = key_from_text(key.type_id, raw)
        return key.to_db(raw)
    except BadValue as error:
        raise InvalidValue(index, key.name, error.expected, error.detail) from None


def _unknown_column(table: PreparedTable, index: int, name: str) -> PreparedColumn:
    """The slow path of a column look-up: any case, else a 400 naming the column."""
    column = table.lookup(name)
    if column is not None:
        return column
    if fold(name) == fold(table.key.name):
        raise InvalidValue(index, name, "a non-key column", "give the key as KeyValue")
    raise InvalidValue(
        index,
        name,
        "a column of the table",
        f"custom table '{table.definition.name}' has no such column",
    )


def _repeated_column(table: PreparedTable, index: int, row: RowLike) -> None:
    seen: set[PreparedColumn] = set()
    for item in row.Columns:
        column = _unknown_column(table, index, item.ColumnName)
        if column in seen:
            raise InvalidValue(index, column.name, "each column once", "listed twice")
        seen.add(column)


def _converted(column: PreparedColumn, index: int, value: Any) -> Any:
    if value is None:
        return None
    try:
        return column.to_db(value)
    except BadValue as error:
        raise InvalidValue(index, column.name, error.expected, error.detail) from None


def _merge(
    keys: list[Any],
    merged: dict[Any, dict[PreparedColumn, Any]],
    key: Any,
    values: dict[PreparedColumn, Any],
) -> None:
    """A row joins the batch: a key seen before merges into its row, the later value winning."""
    keys.append(key)
    if key in merged:
        merged[key].update(values)
    else:
        merged[key] = values


def validate_batch(table: PreparedTable, rows: Sequence[RowLike], generate_keys: bool) -> Batch:
    """Check and convert every row; the first bad one raises with its index and column.

    Canonical bodies take the typed path (ddl/typed.py); this one also accepts the lenient
    forms, and every anomaly takes a slower path that explains it."""
    keys: list[Any] = []
    merged: dict[Any, dict[PreparedColumn, Any]] = {}
    key = table.key
    key_name, key_type, key_to_db = key.name, int(key.type_id), key.to_db
    spelled = table.by_spelling.get
    for index, row in enumerate(rows):
        if (row.KeyColumnName not in (None, key_name)) or (
            row.KeyDataTypeId not in (None, key_type)
        ):
            _check_key_model(table, index, row)
        raw = row.KeyValue
        try:
            key_value = key_to_db(raw)
        except (BadValue, TypeError, AttributeError):
            key_value = _key_value(table, index, raw, generate_keys)
        values: dict[PreparedColumn, Any] = {}
        for item in row.Columns:
            column = spelled(item.ColumnName) or _unknown_column(table, index, item.ColumnName)
            values[column] = _converted(column, index, item.Value)
        if len(values) != len(row.Columns):
            _repeated_column(table, index, row)
        _merge(keys, merged, key_value, values)
    return grouped(keys, merged)


def validate_flat(table: PreparedTable, start: int, rows: Sequence[dict[str, Any]]) -> Batch:
    """Check and convert flat rows (`{"Column": value}`, key included, as in an export file);
    row indexes in errors count from `start`. A UniqueIdentifier key left out gets a new UUID."""
    keys: list[Any] = []
    merged: dict[Any, dict[PreparedColumn, Any]] = {}
    lookup: dict[str, PreparedColumn | None] = {}
    key_column = table.key
    for index, row in enumerate(rows, start):
        values: dict[PreparedColumn, Any] = {}
        raw_key: Any = msgspec.UNSET
        for name, value in row.items():
            column = lookup.get(name, msgspec.UNSET)
            if column is msgspec.UNSET:
                column = lookup[name] = table.column(name)
            if column is None:
                raise InvalidValue(
                    index,
                    name,
                    "a column of the table",
                    f"custom table '{table.definition.name}' has no such column",
                )
            if column is key_column:
                if raw_key is not msgspec.UNSET:
                    raise InvalidValue(index, column.name, "each column once", "listed twice")
                raw_key = value
                continue
            if column in values:
                raise InvalidValue(index, column.name, "each column once", "listed twice")
            values[column] = _converted(column, index, value)
        key = _key_value(table, index, raw_key, generate=True)
        _merge(keys, merged, key, values)
    return grouped(keys, merged)


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def count_existing(conn: sa.Connection, table: PreparedTable, keys: Sequence[Any]) -> int:
    """How many of the distinct `keys` exist: one statement per batch on SQLite (a JSON array
    of keys, joined to the key index), PostgreSQL (an array parameter) and SQL Server (a JSON
    array), IN-list chunks elsewhere: the backend's `key_probe` says which."""
    column = table.table.c[table.key.name]
    probe = table.space.backend.key_probe
    if probe == "json_each":

        def build() -> sa.Select[Any]:
            given = sa.func.json_each(sa.bindparam("keys")).table_valued("value")
            joined = given.join(table.table, column == given.c.value)
            return sa.select(sa.func.count()).select_from(joined)

        statement = table.compiled("count_existing", build)
        encoded = msgspec.json.encode(list(keys)).decode()
        return int(conn.exec_driver_sql(statement.sql, (encoded,)).scalar_one())
    if probe == "array":
        statement = table.compiled(
            "count_existing",
            lambda: sa.select(sa.func.count()).where(
                column == sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(column.type)))
            ),
        )
        return int(conn.exec_driver_sql(statement.sql, {"keys": list(keys)}).scalar_one())
    if probe == "openjson":
        return int(_probe_mssql(conn, table, keys, count=True).scalar_one())
    return len(existing_keys(conn, table, keys))


def _probe_mssql(
    conn: sa.Connection, table: PreparedTable, keys: Sequence[Any], *, count: bool
) -> sa.CursorResult[Any]:
    """The keys (or their count) that exist, from one JSON array parameter (OPENJSON); the
    database compares, so GUID case and the key column's collation are its own."""
    statement = table.compiled(
        ("existing", count), lambda: ExistingKeys(table.table, table.key.name, "keys", count)
    )
    return conn.exec_driver_sql(statement.sql, (msgspec.json.encode(list(keys)).decode(),))


def existing_keys(conn: sa.Connection, table: PreparedTable, keys: Sequence[Any]) -> set[Any]:
    """Which of `keys` exist (used where the keys themselves are needed): on SQL Server the keys
    as given, elsewhere as stored (IN-list chunks)."""
    column = table.table.c[table.key.name]
    if table.space.backend.key_probe == "openjson":
        return {row[0] for row in _probe_mssql(conn, table, keys, count=False)}
    query = sa.select(column).where(column.in_(sa.bindparam("keys", expanding=True)))
    found: set[Any] = set()
    for chunk in _chunks(keys):
        found.update(conn.execute(query, {"keys": list(chunk)}).scalars())
    return found


def _execute_grouped(
    conn: sa.Connection,
    table: PreparedTable,
    groups: dict[tuple[PreparedColumn, ...], ParamRows],
    build: Any,
    kind: str,
) -> int:
    """Run each group's statement; the sum of the row counts the driver reports (-1 where it
    reports none, so a caller must not trust a total that does not add up)."""
    total = 0
    for columns, rows in groups.items():
        if not rows:
            continue
        statement = table.compiled(
            (kind, tuple(c.name for c in columns)), partial(build, table, columns)
        )
        names = [KEY_BIND, *(bind_name(i) for i in range(len(columns)))]
        if statement.order is not None and tuple(names) == statement.order:
            result = conn.exec_driver_sql(statement.sql, rows)
        else:
            to_params = statement.row_builder(names)
            result = conn.exec_driver_sql(statement.sql, [to_params(row) for row in rows])
        total += result.rowcount
    return total


def open_for_write(space: TenantSpace, caller: Caller, name: str) -> PreparedTable:
    """Stage 1 of a row write: the table's current definition, made ready (404 when there is
    no such table, 403 without a save role). Nothing is locked yet."""
    with space.read() as conn:
        definition = catalog.get_table(conn, name)
    require_save(caller, definition)
    return prepare(space, definition)


_load = open_for_write  # deletes start the same way

# (tenant, schema, folded name) → the definition the last commit of this process locked. The
# next write decodes against it with no read transaction of its own; commit's locked read then
# decides (id and version), so a stale one costs a retry, never a wrong write.
_last_committed: LruCache[tuple[str, str, str], TableDef] = LruCache(4096)
Built = TypeVar("Built")


def built_for_write(
    space: TenantSpace, caller: Caller, name: str, build: Callable[[PreparedTable], Built]
) -> tuple[PreparedTable, Built]:
    """Stages 1 and 2: `build` (decode the batch) against the definition this process last
    committed with when it has one, else against open_for_write's; a batch the remembered one
    refuses (a column another process added since, say) is judged again on the catalog's."""
    known = _last_committed.get((space.tenant_id, space.schema, fold(name)))
    if known is not None and may_save(caller, known):
        table = prepare(space, known)
        try:
            return table, build(table)
        except CustomTablesError:
            pass  # decided on the current definition below, which may well agree
    table = open_for_write(space, caller, name)
    return table, build(table)


def _remember(space: TenantSpace, definition: TableDef) -> None:
    """Kept for the tables in use (least recently used dropped), never cleared wholesale: a
    full clear made every busy table's next write pay the catalog read again."""
    _last_committed.put((space.tenant_id, space.schema, fold(definition.name)), definition)


class DefinitionChanged(Exception):
    """The definition changed between decoding a batch and its commit: decode it again."""


WRITE_ATTEMPTS = 3


def changing_too_often(name: str) -> ValidationError:
    return ValidationError(f"Custom table '{name}' is changing too often; try again")


def _key_json(table: PreparedTable, keys: list[Any]) -> list[Any]:
    """The keys as the answer shows them, a column at a time (ddl/json_columns.py)."""
    convert = output_column_converter(table.key.type_id)
    if convert is None:
        return keys
    converted = convert(keys)
    return converted if isinstance(converted, list) else list(converted)


def check_batch_size(count: int, max_rows: int) -> None:
    if count > max_rows:
        raise PayloadTooLarge(f"A batch has at most {max_rows} rows; this one has {count}")


def commit(
    space: TenantSpace,
    caller: Caller,
    table: PreparedTable,
    operation: WriteOperation,
    batch: Batch,
    guard: Guard | None = None,
) -> WriteResult:
    """Stage 3 of a row write, its one commit point: in one transaction under the table's write
    lock, check the definition is still the one `batch` was decoded against (else
    DefinitionChanged: nothing was written) and write the batch. `guard` (an access token's
    check) is read in the same round trip as the definition and judged first."""
    seen = table.definition
    with space.write() as conn:
        definition = _locked_definition(conn, seen.name, guard)
        _remember(space, definition)
        if definition.version != seen.version or definition.id != seen.id:
            raise DefinitionChanged
        require_save(caller, definition)
        return write_batch(conn, prepare(space, definition), operation, batch, last=True)


def _locked_definition(conn: sa.Connection, name: str, guard: Guard | None) -> TableDef:
    """The definition of `name`, locked against DDL until commit, read in one round trip with
    the guard's read (one statement on PostgreSQL, driver_sql.fetch_each)."""
    reads = [catalog.definition_read(conn, name, "share")]
    if guard is not None:
        reads.insert(0, guard.read)
    found = driver_sql.fetch_each(conn, reads)
    if guard is not None:
        guard.check(found[0])
    definition = catalog.table_from(found[-1])
    if definition is None:
        raise TableNotFound(name)
    return definition


def write_rows(
    space: TenantSpace,
    caller: Caller,
    name: str,
    operation: WriteOperation,
    rows: Sequence[RowLike],
    max_rows: int,
) -> WriteResult:
    """The stages for rows already decoded (Python callers: benchmarks, tests)."""
    check_batch_size(len(rows), max_rows)
    generate_keys = operation is not WriteOperation.UPDATE
    for _attempt in range(WRITE_ATTEMPTS):
        table, batch = built_for_write(
            space, caller, name, lambda table: validate_batch(table, rows, generate_keys)
        )
        try:
            return commit(space, caller, table, operation, batch)
        except DefinitionChanged:
            continue
    raise changing_too_often(name)


def write_batch(
    conn: sa.Connection,
    table: PreparedTable,
    operation: WriteOperation,
    batch: Batch,
    *,
    last: bool = False,
) -> WriteResult:
    """Write a validated batch inside the caller's transaction, with its change event; `last`:
    the transaction writes nothing after it (outbox.emit: its COMMIT may go with the event)."""
    result = _write_rows(conn, table, operation, batch)
    outbox.rows_written(conn, table, batch.groups, result.inserted, result.updated, last=last)
    return result


def _write_rows(
    conn: sa.Connection, table: PreparedTable, operation: WriteOperation, batch: Batch
) -> WriteResult:
    distinct = batch.distinct
    counting = _COUNTING_UPSERTS.get(table.space.backend.counting_upsert or "")
    if operation is not WriteOperation.UPDATE and counting is not None:
        inserted = counting(conn, table, batch)
        return WriteResult(inserted, len(distinct) - inserted, _key_json(table, batch.keys))
    if operation is WriteOperation.UPDATE:
        changing = {columns: rows for columns, rows in batch.groups.items() if columns}
        if sum(len(rows) for rows in changing.values()) == len(distinct):
            # every key sets a column: the UPDATE's own row count says whether all exist (a
            # probe fewer); a short count is checked, and a missing row undoes the statement
            written = _execute_grouped(conn, table, changing, update_statement, "update")
            if written != len(distinct):
                _require_existing(conn, table, distinct)
            return WriteResult(0, len(distinct), _key_json(table, batch.keys))
        if count_existing(conn, table, distinct) != len(distinct):
            _require_existing(conn, table, distinct)
        _execute_grouped(conn, table, changing, update_statement, "update")
        return WriteResult(0, len(distinct), _key_json(table, batch.keys))
    updated = count_existing(conn, table, distinct) if distinct else 0
    _execute_grouped(conn, table, batch.groups, upsert_statement, "upsert")
    return WriteResult(len(distinct) - updated, updated, _key_json(table, batch.keys))


def _require_existing(conn: sa.Connection, table: PreparedTable, keys: list[Any]) -> None:
    """404 naming the first of `keys` that has no row (raised inside the write transaction,
    which it rolls back); nothing when all exist."""
    existing = existing_keys(conn, table, keys)
    missing = [key for key in keys if key not in existing]
    if missing:
        shown = _key_json(table, missing[:1])[0]
        raise RowNotFound(table.definition.name, table.key.name, shown)


_ROWID_LIMIT = 2**63 - 1 - 10**9  # past it SQLite picks new rowids at random


def _upsert_counting_new_rowids(conn: sa.Connection, table: PreparedTable, batch: Batch) -> int:
    """Upsert on SQLite and return how many rows were new. Under the write lock SQLite gives a
    new row the next rowid above the largest one, so the rows above the largest rowid before
    the write are exactly the inserted ones: two index look-ups instead of a key join."""
    rowid: sa.ColumnClause[int] = sa.literal_column("rowid")
    last = table.compiled(
        "max_rowid", lambda: sa.select(sa.func.max(rowid)).select_from(table.table)
    )
    before = conn.exec_driver_sql(last.sql).scalar()
    if before is not None and before > _ROWID_LIMIT:
        inserted = len(batch.distinct) - count_existing(conn, table, batch.distinct)
        _execute_grouped(conn, table, batch.groups, upsert_statement, "upsert")
        return inserted
    _execute_grouped(conn, table, batch.groups, upsert_statement, "upsert")
    if before is None:
        return len(batch.distinct)
    newer = table.compiled(
        "count_newer",
        lambda: (
            sa.select(sa.func.count()).select_from(table.table).where(rowid > sa.bindparam("rowid"))
        ),
    )
    return int(conn.exec_driver_sql(newer.sql, (before,)).scalar_one())


def _upsert_returning_inserted(conn: sa.Connection, table: PreparedTable, batch: Batch) -> int:
    """Upsert on PostgreSQL and count the rows the database says it inserted: exact even while
    other requests write the same keys. A large group goes through binary COPY and one set-wise
    upsert (ddl/pg_copy.py), a small one through executemany with RETURNING, pipelined by
    psycopg (its statement prepared by the driver once used often enough)."""
    inserted = 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for columns, rows in batch.groups.items():
            statement = table.compiled(
                ("counting_upsert", tuple(c.name for c in columns)),
                partial(counting_upsert_statement, table, columns),
            )
            if len(rows) >= pg_copy.COPY_MIN_ROWS:
                inserted += pg_copy.copy_upsert(cursor, table, columns, rows)
                continue
            to_params = statement.row_builder(
                [KEY_BIND, *(bind_name(i) for i in range(len(columns)))]
            )
            cursor.executemany(  # psycopg's executemany (DBAPI's has no `returning`)
                statement.sql,
                [to_params(row) for row in rows],
                returning=True,  # type: ignore[call-arg]
            )
            while True:
                inserted += sum(1 for (new,) in cursor.fetchall() if new)
                if not cursor.nextset():
                    break
    finally:
        cursor.close()
    return inserted


# By the backend's `counting_upsert`: how an upsert learns how many rows it inserted.
_COUNTING_UPSERTS: dict[str, Callable[[sa.Connection, PreparedTable, Batch], int]] = {
    "new_rowids": _upsert_counting_new_rowids,
    "returning": _upsert_returning_inserted,
}


def _delete_keys(table: PreparedTable, index: int | None, raw_keys: Sequence[Any]) -> list[Any]:
    keys = []
    for position, raw in enumerate(raw_keys):
        where = position if index is None else index
        keys.append(_key_value(table, where, raw, generate=False))
    return list(dict.fromkeys(keys))


def delete_statement(physical: sa.Table, key: str | None = None) -> sa.Delete:
    """DELETE of the rows whose key is in the expanding parameter `keys`, or of all rows."""
    if key is None:
        return physical.delete()
    return physical.delete().where(physical.c[key].in_(sa.bindparam("keys", expanding=True)))


def delete_rows(
    space: TenantSpace,
    caller: Caller,
    name: str,
    operation: DeleteOperation,
    key_values: Sequence[Any] = (),
    key_column: str | None = None,
) -> int:
    """Delete one row (404 when missing), many (missing ones skipped) or all; returns the count."""
    table = _load(space, caller, name)
    if key_column is not None and fold(key_column) != fold(table.key.name):
        raise ValidationError(
            f"KeyColumnName '{key_column}' is not the key column "
            f"'{table.key.name}' of custom table '{name}'"
        )
    keys = (
        []
        if operation is DeleteOperation.DELETE_ALL
        else _delete_keys(table, 0 if operation is DeleteOperation.DELETE else None, key_values)
    )
    with space.write() as conn:
        definition = catalog.get_table(conn, name, lock=True)
        require_save(caller, definition)
        physical = prepare(space, definition).table
        if operation is DeleteOperation.DELETE_ALL:
            deleted = conn.execute(delete_statement(physical)).rowcount
            audit.record_table(
                conn, caller.user, audit.ROWS_DELETED_ALL, definition, {"Deleted": deleted}
            )
            outbox.rows_deleted(conn, definition.name, definition.key_type, None, deleted)
            return deleted
        statement = delete_statement(physical, table.key.name).returning(physical.c[table.key.name])
        gone = [
            key for chunk in _chunks(keys)
            for key in conn.execute(statement, {"keys": list(chunk)}).scalars()
        ]  # fmt: skip
        if operation is DeleteOperation.DELETE and not gone:
            shown = _key_json(table, keys)[0]
            raise RowNotFound(definition.name, table.key.name, shown)
        outbox.rows_deleted(conn, definition.name, definition.key_type, gone, len(gone))
        return len(gone)


def delete_where(
    space: TenantSpace,
    caller: Caller,
    name: str,
    where_text: str,
    where: Callable[[TableDef], Any],
    seconds: float | None = None,
) -> int:
    """Delete the rows `where` selects, in one transaction under the table's write lock; the
    condition is compiled against the definition read under that lock. Returns the count."""
    _load(space, caller, name)  # 404 / 403 before any lock is taken
    with space.write() as conn:
        definition = catalog.get_table(conn, name, lock=True)
        require_save(caller, definition)
        physical = prepare(space, definition).table
        with reads.where_errors(space.backend, True), time_limit.limited(conn, seconds):
            key = physical.c[definition.key_column]
            gone = conn.execute(physical.delete().where(where(definition)).returning(key))
        deleted = 0
        for keys in gone.scalars().partitions(outbox.MAX_KEYS_PER_EVENT):
            outbox.rows_deleted(conn, definition.name, definition.key_type, keys, len(keys))
            deleted += len(keys)
        audit.record_table(
            conn,
            caller.user,
            audit.ROWS_DELETED_WHERE,
            definition,
            {"Where": where_text, "Deleted": deleted},
        )
        return deleted
