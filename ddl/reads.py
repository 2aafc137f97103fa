"""Row reads: one row, one column value, and streamed pages of rows in key (or chosen) order.

Streams hold their connection until exhausted or closed, and fetch in partitions (a server-side
cursor on PostgreSQL), so memory stays flat whatever the table size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ddl import catalog
from ddl.access import Caller, require_read
from ddl.collation import is_text, ordered
from ddl.errors import InvalidValue, NotFound, RowNotFound, ValidationError
from ddl.prepared import PreparedColumn, PreparedTable, prepare
from ddl.space import TenantSpace
from ddl.types import INT64_MAX, BadValue, key_from_text

PARTITION = 1000


@dataclass(frozen=True, slots=True)
class OrderBy:
    column: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> OrderBy:
        parts = text.split()
        if len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
            return cls(parts[0], parts[1].lower() == "desc")
        if len(parts) == 1:
            return cls(parts[0])
        raise ValidationError(f"OrderBy must be 'Column' or 'Column desc', got {text!r}")


def row_converter(columns: tuple[PreparedColumn, ...]) -> Callable[[Any], list[Any]]:
    """A function from a database row to JSON-ready values, touching only the columns whose
    type needs converting (the hot loop of every read)."""
    converting = [(i, c.to_json) for i, c in enumerate(columns) if c.to_json is not None]

    def convert(row: Any) -> list[Any]:
        values = list(row)
        for index, to_json in converting:
            value = values[index]
            if value is not None:
                values[index] = to_json(value)
        return values

    return convert


def to_json_row(columns: tuple[PreparedColumn, ...], row: Any) -> list[Any]:
    return row_converter(columns)(row)


def open_table(space: TenantSpace, caller: Caller, name: str) -> PreparedTable:
    with space.read() as conn:
        definition = catalog.get_table(conn, name)
    require_read(caller, definition)
    return prepare(space, definition)


def _key(table: PreparedTable, text: str) -> Any:
    try:
        return table.key.to_db(key_from_text(table.key.type_id, text))
    except BadValue as error:
        raise InvalidValue(None, table.key.name, error.expected, error.detail) from None


def get_row(
    space: TenantSpace, caller: Caller, name: str, key_text: str
) -> tuple[PreparedTable, list[Any]]:
    """The row with this key, as JSON-ready values in `table.ordered` order; 404 when missing."""
    table = open_table(space, caller, name)
    key = _key(table, key_text)
    physical = table.table
    query = sa.select(*physical.columns).where(physical.c[table.key.name] == key)
    with space.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise RowNotFound(table.definition.name, table.key.name, key_text)
    return table, to_json_row(table.ordered, row)


def get_column_value(
    space: TenantSpace, caller: Caller, name: str, key_text: str, column_name: str
) -> tuple[PreparedColumn, Any]:
    table, row = get_row(space, caller, name, key_text)
    column = table.column(column_name)
    if column is None:
        raise NotFound(
            f"Column '{column_name}' does not exist in custom table '{table.definition.name}'"
        )
    return column, row[table.ordered.index(column)]


def _ordering(table: PreparedTable, order_by: OrderBy | None) -> list[Any]:
    key = table.table.c[table.key.name]
    if order_by is None:
        return [key]
    column = table.column(order_by.column)
    if column is None:
        raise ValidationError(
            f"OrderBy column '{order_by.column}' does not exist in custom "
            f"table '{table.definition.name}'"
        )
    space = table.space  # text in SQL Server's collation, NULL lowest (ddl/collation.py)
    first = ordered(
        table.table.c[column.name], column.type_id, space.dialect, space.schema, order_by.descending
    )
    return [first] if column is table.key and not is_text(column.type_id) else [first, key]


def _check_paging(top: int | None, skip: int | None) -> None:
    for value, what in ((top, "Top"), (skip, "Skip")):
        if value is not None and not 0 <= value <= INT64_MAX:  # LIMIT/OFFSET are 64-bit
            raise ValidationError(f"{what} must be from 0 to {INT64_MAX}")


def stream_rows(
    space: TenantSpace,
    caller: Caller,
    name: str,
    *,
    top: int | None = None,
    skip: int | None = None,
    order_by: OrderBy | None = None,
) -> tuple[PreparedTable, Iterator[list[list[Any]]]]:
    """Check everything up front (so errors become proper responses), then return the table and
    an iterator of partitions of JSON-ready rows."""
    _check_paging(top, skip)
    table = open_table(space, caller, name)
    partitions = _partitions(space, table, rows_query(table, top, skip, order_by))
    # Run the query now: a database error then becomes a clean 500 instead of a 200 whose
    # body breaks off after the headers have gone out.
    first = next(partitions, None)
    return table, _chain(first, partitions)


def _chain(
    first: list[list[Any]] | None, rest: Iterator[list[list[Any]]]
) -> Iterator[list[list[Any]]]:
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close:
            close()


def rows_query(
    table: PreparedTable, top: int | None, skip: int | None, order_by: OrderBy | None
) -> sa.Select[Any]:
    """SELECT of every column in a total order (the key breaks ties), paged by Top/Skip
    (LIMIT/OFFSET, or TOP / OFFSET … FETCH on SQL Server)."""
    query = sa.select(*table.table.columns).order_by(*_ordering(table, order_by))
    if top is not None:
        query = query.limit(top)
    if skip:
        query = query.offset(skip)
    return query


def _partitions(
    space: TenantSpace, table: PreparedTable, query: sa.Select[Any]
) -> Iterator[list[list[Any]]]:
    convert = row_converter(table.ordered)
    with space.read() as conn:
        result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(query)
        for partition in result.partitions(PARTITION):
            yield [convert(row) for row in partition]
