"""Row reads: one row, one column value, and streamed pages of rows in key (or chosen) order.

Streams hold their connection until exhausted or closed, and fetch in partitions (a server-side
cursor on PostgreSQL), so memory stays flat whatever the table size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from ddl import catalog, collation, keyset, time_limit
from ddl.access import Caller, require_read
from ddl.backends import Backend
from ddl.errors import InvalidValue, NotFound, QueryTimeout, RowNotFound, ValidationError
from ddl.prepared import PreparedColumn, PreparedTable, prepare
from ddl.row_stream import RowStream
from ddl.space import TenantSpace
from ddl.types import INT64_MAX, BadValue, TypeId, key_from_text, output_column_converter

PARTITION = 1000
FIRST_PARTITION = 1  # a row of unknown width first: its size sets the next fetch
PARTITION_BYTES = 1 << 20  # a partition of about 1 MB of values
MAX_ORDER_TERMS = 16


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One term of `OrderBy`: a column and its direction."""

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

    @classmethod
    def parse_list(cls, text: str | None) -> tuple[OrderBy, ...]:
        """`Name, Price desc`: terms separated by commas, each `Column [asc|desc]`."""
        if text is None or not text.strip():
            return ()
        terms = [part.strip() for part in text.split(",")]
        if any(not term for term in terms):
            raise ValidationError(f"OrderBy has an empty term: {text!r}")
        if len(terms) > MAX_ORDER_TERMS:
            raise ValidationError(f"OrderBy takes at most {MAX_ORDER_TERMS} columns")
        return tuple(cls.parse(term) for term in terms)


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


class Partition(list[list[Any]]):
    """A partition's rows (lists of JSON-ready values) that also keeps the columns they were
    made from, so a writer that works a column at a time (ddl/formats/json_rows.py) need not
    take the rows apart again. Read-only for its readers, like every partition."""

    __slots__ = ("columns",)

    def __init__(self, columns: list[Sequence[Any]]) -> None:
        super().__init__(map(list, zip(*columns, strict=True)))
        self.columns = columns


def partition_converter(
    columns: tuple[PreparedColumn, ...],
) -> Callable[[Sequence[Any]], Partition]:
    """`row_converter` for a partition of rows at once: each converting column in one pass
    (ddl/json_columns.py), the rows taken apart and put together again by zip, in C."""
    converting = [
        (i, to_json)
        for i, column in enumerate(columns)
        if (to_json := output_column_converter(column.type_id)) is not None
    ]

    def convert(rows: Sequence[Any]) -> Partition:
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, to_json in converting:
            values[index] = to_json(values[index])
        return Partition(values)

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


def sort_value(table: PreparedTable, column: PreparedColumn, value: Any) -> Any:
    """What rows are ordered by for `column`, applied to `value` (the column itself, or a
    cursor's bound value, so that ORDER BY and the keyset comparison agree exactly): text in
    SQL Server's collation, Money as a number (ddl/collation.py)."""
    space = table.space
    return collation.sort_value(value, column.type_id, space.backend, space.schema)


def _binary_twin(key: PreparedColumn) -> PreparedColumn:
    """The key as a last tie-breaker after the key in the collation's order: two text keys the
    collation calls equal ('abc', 'ABC') still differ here, so the order stays total and a
    keyset page boundary never falls between them. Same column and converters; a type id
    without a collation, so `sort_value` leaves it as stored."""
    return replace(key, type_id=TypeId.UNIQUEIDENTIFIER)


def order_term(table: PreparedTable, column: PreparedColumn, descending: bool) -> Any:
    """One ORDER BY term: NULL is the lowest value (first ascending, last descending), as on
    SQL Server. The one place a term is built; a collation belongs in `sort_value`, so the
    keyset comparison of the next page uses it too."""
    value = sort_value(table, column, table.table.c[column.name])
    bare = column is table.key and not descending  # the default order's SQL is unchanged
    term = value if bare else (value.desc() if descending else value.asc())
    # PostgreSQL puts NULL last ascending by default. Never on the key (it has no NULL): a
    # NULLS clause there would stop PostgreSQL from reading the key's index in order.
    if table.space.backend.nulls_sort_high and column is not table.key:
        term = term.nulls_last() if descending else term.nulls_first()
    return term


def resolve_order(
    table: PreparedTable, order_by: Sequence[OrderBy]
) -> tuple[tuple[PreparedColumn, bool], ...]:
    """The total order as (column, descending) pairs: the terms asked for, each column once,
    then the key (ascending) unless it was named, so the order never has ties."""
    resolved: list[tuple[PreparedColumn, bool]] = []
    for term in order_by:
        column = table.column(term.column)
        if column is None:
            raise ValidationError(
                f"OrderBy column '{term.column}' does not exist in custom "
                f"table '{table.definition.name}'"
            )
        if any(column is seen for seen, _ in resolved):
            raise ValidationError(f"OrderBy names column '{column.name}' twice")
        resolved.append((column, term.descending))
        if column is table.key:  # unique: later terms could never matter
            if collation.is_text(column.type_id):
                resolved.append((_binary_twin(column), term.descending))
            return tuple(resolved)
    resolved.append((table.key, False))
    return tuple(resolved)


_TYPE_STATES = ("42883", "42804", "22P02", "42725")  # no such operator, mismatch, cast, ambiguous


@contextmanager
def where_errors(backend: Backend, active: bool) -> Iterator[None]:
    """A condition the database cannot evaluate (text compared with a number, a cast that fails
    on some row) is the client's 400, never a 500; other database errors stay errors."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        if not active or error.connection_invalidated:
            raise
        if time_limit.is_timeout(backend, error):
            raise QueryTimeout(
                "Where took longer than the time limit to evaluate "
                "(setting CUSTOMTABLES_QUERY_TIMEOUT_SECONDS); the database work was stopped"
            ) from None
        state = getattr(error.orig, "sqlstate", None) or ""
        if state in _TYPE_STATES:
            reason = "the types compared do not match (e.g. text with a number)"
        elif state.startswith("22"):
            reason = "a value does not fit an operation (a cast, a division, a date)"
        else:
            reason = "check the types and functions it uses"
        raise ValidationError(f"Where cannot be evaluated on this table: {reason}") from None


def _check_paging(top: int | None, skip: int | None) -> None:
    for value, what in ((top, "Top"), (skip, "Skip")):
        if value is not None and not 0 <= value <= INT64_MAX:  # LIMIT/OFFSET are 64-bit
            raise ValidationError(f"{what} must be from 0 to {INT64_MAX}")


WhereBuilder = Callable[[catalog.TableDef], Any]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """What a rows read asks for; `where` turns the table's definition into a SQL condition,
    `after` holds the JSON values of the order columns of the row the page starts after."""

    top: int | None = None
    skip: int | None = None
    order_by: tuple[OrderBy, ...] = ()
    where: WhereBuilder | None = None
    after: tuple[Any, ...] | None = None
    count: bool = False
    time_limit: float | None = None  # seconds for the database work of a filtered read


@dataclass(slots=True)
class Page:
    """A page of rows, streamed; `next_after` (the last row's order values) when more follow."""

    table: PreparedTable
    order: tuple[tuple[PreparedColumn, bool], ...]
    partitions: RowStream[list[list[Any]]]
    next_after: tuple[Any, ...] | None = None
    total: int | None = None


def stream_rows(
    space: TenantSpace,
    caller: Caller,
    name: str,
    *,
    top: int | None = None,
    skip: int | None = None,
    order_by: OrderBy | Sequence[OrderBy] | None = None,
    where: WhereBuilder | None = None,
) -> tuple[PreparedTable, RowStream[list[list[Any]]]]:
    """Check everything up front (so errors become proper responses), then return the table and
    a stream of partitions of JSON-ready rows (every matching row: no keyset paging)."""
    terms = (order_by,) if isinstance(order_by, OrderBy) else tuple(order_by or ())
    request = ReadRequest(top=top, skip=skip, order_by=terms, where=where)
    page = _read(space, open_table(space, caller, name), request, paged=False)
    return page.table, page.partitions


def read_page(space: TenantSpace, caller: Caller, name: str, request: ReadRequest) -> Page:
    """One page of `rows/values`: with `Top`, also where the next page starts (keyset)."""
    return page_of(space, open_table(space, caller, name), request)


def page_of(space: TenantSpace, table: PreparedTable, request: ReadRequest) -> Page:
    """`read_page` for a table already opened (and authorised) by the caller."""
    return _read(space, table, request, paged=True)


def _bind(table: PreparedTable, column: PreparedColumn, raw: Any) -> Any:
    """The value as stored: SQLite keeps dates as the exact text writes store (SQLAlchemy's
    own DateTime text would add microseconds and no longer compare equal)."""
    kind = sa.String() if table.space.backend.dates_as_text else column.sql.type
    return sa.bindparam(None, raw, type_=kind)


def _terms(
    table: PreparedTable, order: Sequence[tuple[PreparedColumn, bool]], values: Sequence[Any]
) -> list[keyset.Term]:
    """Keyset terms for a boundary row given as JSON values (a cursor's, checked here: a value
    that does not fit its column is a 400, never a database error)."""
    if len(values) != len(order):
        raise ValidationError("After does not match this OrderBy")
    terms = []
    for (column, descending), value in zip(order, values, strict=True):
        bound = None
        if value is not None:
            try:
                raw = column.to_db(value)
            except BadValue:
                raise ValidationError("After is not a valid cursor for this table") from None
            bound = sort_value(table, column, _bind(table, column, raw))
        column_value = sort_value(table, column, table.table.c[column.name])
        terms.append(keyset.Term(column_value, descending, bound, column is not table.key))
    return terms


def _base(
    table: PreparedTable, request: ReadRequest, order: Sequence[tuple[PreparedColumn, bool]]
) -> sa.Select[Any]:
    """Every column of the rows the request selects (Where, After), in the total order."""
    query = sa.select(*table.table.columns)
    if request.where is not None:
        query = query.where(request.where(table.definition))
    if request.after is not None:
        query = query.where(keyset.after(_terms(table, order, request.after)))
    return query.order_by(*(order_term(table, column, desc) for column, desc in order))


def _json_values(order: Sequence[tuple[PreparedColumn, bool]], row: Any) -> tuple[Any, ...]:
    values = []
    for (column, _), value in zip(order, row, strict=True):
        to_json = column.to_json
        values.append(to_json(value) if value is not None and to_json is not None else value)
    return tuple(values)


def _bounds(
    conn: sa.Connection,
    table: PreparedTable,
    base: sa.Select[Any],
    order: Sequence[tuple[PreparedColumn, bool]],
    last: int,
) -> tuple[tuple[Any, ...] | None, bool]:
    """The order values of the page's last row (row `last` of `base`, from 0) and whether any
    row follows it; (None, False) when the page is not full."""
    columns = [table.table.c[column.name] for column, _ in order]
    row = conn.execute(base.with_only_columns(*columns).offset(last).limit(1)).first()
    if row is None:
        return None, False
    boundary = _json_values(order, row)
    beyond = keyset.after(_terms(table, order, boundary))
    # the table named: with only a literal selected and every keyset term a collated text
    # expression, the probe had no FROM (PostgreSQL: 500 on a text key's every page)
    probe = base.with_only_columns(sa.literal(1)).select_from(table.table)
    probe = probe.where(beyond).order_by(None).limit(1)
    return boundary, conn.execute(probe).first() is not None


def _count(conn: sa.Connection, table: PreparedTable, request: ReadRequest) -> int:
    query = sa.select(sa.func.count()).select_from(table.table)
    if request.where is not None:
        query = query.where(request.where(table.definition))
    return int(conn.execute(query).scalar_one())


def _read(space: TenantSpace, table: PreparedTable, request: ReadRequest, *, paged: bool) -> Page:
    """Check everything and plan the page up front (errors become proper answers), then stream.

    A full page ends at its last row (found first): the page's query reads up to and including
    that row, not `LIMIT Top`, so a row inserted meanwhile before it is read here or not at
    all, never pushed to the next page twice or lost between two pages."""
    _check_paging(request.top, request.skip)
    order = resolve_order(table, request.order_by)
    base = _base(table, request, order)
    boundary, more, total = None, False, None
    top, skip = request.top, request.skip or 0
    filtered = request.where is not None
    seconds = request.time_limit if filtered else None
    errors = where_errors(space.backend, filtered)
    with errors, space.read() as conn, time_limit.limited(conn, seconds):
        if request.count:
            total = _count(conn, table, request)
        if paged and top and skip + top - 1 <= INT64_MAX:
            boundary, more = _bounds(conn, table, base, order, skip + top - 1)
    if boundary is not None:
        query = base.where(keyset.at_or_before(_terms(table, order, boundary)))
    else:
        query = base.limit(top) if top is not None else base
    if skip:
        query = query.offset(skip)
    rows = RowStream(partitions(space, table, query, seconds))
    # Run the query now: a database error then becomes a clean 500 instead of a 200 whose
    # body breaks off after the headers have gone out.
    with where_errors(space.backend, filtered):
        first = next(rows, None)
    return Page(table, order, rows.after(first), boundary if more else None, total)


def rows_query(
    table: PreparedTable,
    top: int | None,
    skip: int | None,
    order_by: OrderBy | Sequence[OrderBy] | None,
) -> sa.Select[Any]:
    """SELECT of every column in a total order (the key breaks ties), paged by Top/Skip
    (LIMIT/OFFSET, or TOP / OFFSET … FETCH on SQL Server)."""
    terms = (order_by,) if isinstance(order_by, OrderBy) else tuple(order_by or ())
    order = resolve_order(table, terms)
    query = sa.select(*table.table.columns).order_by(
        *(order_term(table, column, descending) for column, descending in order)
    )
    if top is not None:
        query = query.limit(top)
    if skip:
        query = query.offset(skip)
    return query


def partitions(
    space: TenantSpace, table: PreparedTable, query: sa.Select[Any], seconds: float | None = None
) -> Iterator[list[list[Any]]]:
    """The rows in partitions of about PARTITION_BYTES: up to PARTITION small rows, fewer wide
    ones, so a table of megabyte values never puts thousands of them in memory at once (SPEC §9:
    memory stays flat whatever a client stored)."""
    convert = partition_converter(table.ordered)
    with space.read() as conn, time_limit.limited(conn, seconds):
        size = FIRST_PARTITION
        result = conn.execution_options(stream_results=True, yield_per=size).execute(
            _as_driver_gives(query, uuids_as_text=space.backend.native_uuid)
        )
        while rows := result.fetchmany(size):
            yield convert(rows)
            fitting = _rows_fitting(rows)
            if fitting != size:
                size = fitting
                result.yield_per(size)  # the driver fetches this many at a time from now on


def _as_driver_gives(query: sa.Select[Any], uuids_as_text: bool = False) -> sa.Select[Any]:
    """The same SELECT with its columns typed so that SQLAlchemy hands the driver's values on
    unprocessed: the column converters (ddl/types.py) make JSON-ready values of those
    themselves, and SQLAlchemy's processing first (SQLite's Date text parsed into a datetime,
    then formatted again) doubled the cost of reading a table with a Date column.

    `uuids_as_text` (a driver that builds a uuid.UUID of each value, PostgreSQL's) selects UUID
    columns as the database's own text, lower-case and hyphenated: exactly the str() the answer
    would make of each uuid.UUID again, without building one per value."""
    raw = sa.types.NullType()

    def selected(column: Any) -> Any:
        if uuids_as_text and isinstance(column.type, sa.Uuid):
            column = sa.cast(column, sa.Text)
        return sa.type_coerce(column, raw)

    return query.with_only_columns(
        *(selected(column).label(column.name) for column in query.selected_columns),
        maintain_column_froms=True,
    )


def _rows_fitting(rows: Sequence[Any]) -> int:
    """How many rows like these (sampled) make a partition of about PARTITION_BYTES."""
    sample = rows[:16]
    width = sum(
        len(value) if isinstance(value, str | bytes | bytearray) else 8
        for row in sample
        for value in row
    )
    average = max(1, width // len(sample))
    return max(1, min(PARTITION, PARTITION_BYTES // average))
