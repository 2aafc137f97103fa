"""Statements on the hot path of every request (a token, a table definition, a saved query,
the outbox's writes) run as driver SQL compiled once per statement, dialect and schema: the one
cache of compiled internal statements.

SQLAlchemy's per-execution work (cache key, result metadata, row processing) cost several
times the indexed read itself. Parameters must already be what the driver takes (text here),
as no bind processing runs; the connection's transaction and schema_translate_map still apply.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler

from ddl.cache import LruCache

Compiled = tuple[str, tuple[str, ...] | None]  # SQL, and bind names in order (None: named style)
# (statement key, dialect, schema map) → its compiled SQL: a few statements per tenant schema
_compiled: LruCache[tuple[Any, ...], Compiled] = LruCache(8192)


def _sql(conn: sa.Connection, key: Hashable, build: Callable[[], sa.Executable]) -> Compiled:
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    return _sql_for(conn.dialect, translate, key, build)


def _sql_for(
    dialect: sa.Dialect,
    translate: Mapping[str | None, str | None],
    key: Hashable,
    build: Callable[[], sa.Executable],
) -> tuple[str, tuple[str, ...] | None]:
    cache_key = (key, dialect.name, tuple(sorted(translate.items(), key=str)))
    found = _compiled.get(cache_key)
    if found is None:
        clause = build()
        assert isinstance(clause, sa.ClauseElement)  # every statement built here is DML
        compiled = clause.compile(
            dialect=dialect, schema_translate_map=dict(translate), render_schema_translate=True
        )
        assert isinstance(compiled, SQLCompiler)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = (str(compiled), order)
        _compiled.put(cache_key, found)
    return found


@dataclass(frozen=True, slots=True)
class Read:
    """One hot-path read: `build` makes the statement (compiled once per `key`, dialect and
    schema), `params` are bound by name."""

    key: Hashable
    build: Callable[[], sa.Executable]
    params: Mapping[str, Any]


def bound_sql(conn: sa.Connection, read: Read) -> tuple[str, Any]:
    return _in_order(_sql(conn, read.key, read.build), read.params)


def _in_order(
    compiled: tuple[str, tuple[str, ...] | None], params: Mapping[str, Any]
) -> tuple[str, Any]:
    sql, order = compiled
    return sql, dict(params) if order is None else tuple(params[name] for name in order)


def execute(
    conn: sa.Connection,
    key: Hashable,
    build: Callable[[], sa.Executable],
    params: Mapping[str, Any],
) -> sa.CursorResult[Any]:
    """Run the statement `build` makes as driver SQL in the connection's transaction, with
    SQLAlchemy's result and error wrapping (time limits and lost connections map as usual)."""
    sql, bound = bound_sql(conn, Read(key, build, params))
    return conn.exec_driver_sql(sql, bound)


def fetch_one_alone(engine: sa.Engine, read: Read) -> tuple[Any, ...] | None:
    """The first row of `read`, as one statement outside any transaction, on a pooled driver
    connection. No SQLAlchemy Connection is made: its set-up, execution options and close cost
    more than an indexed read on SQLite (the token check of every request)."""
    fairy = engine.raw_connection()
    try:
        dbapi = fairy.dbapi_connection
        dialect = engine.dialect
        assert dbapi is not None
        switch = not dialect.detect_autocommit_setting(dbapi)  # SQLite's already is
        if switch:  # else BEGIN, and a rollback at check-in: two round trips on a server
            dialect.set_isolation_level(dbapi, "AUTOCOMMIT")
        try:
            sql, bound = _in_order(_sql_for(dialect, {}, read.key, read.build), read.params)
            return first_row(dbapi, sql, bound)
        finally:
            if switch:
                dialect.reset_isolation_level(dbapi)
    finally:
        fairy.close()


def fetch_each(conn: sa.Connection, reads: Sequence[Read]) -> list[tuple[Any, ...] | None]:
    """The first row of each read, in order. On PostgreSQL several go to the server as one
    statement (each a LATERAL sub-select, locks and all): on a server each round trip costs
    more than the reads themselves (psycopg's pipeline mode was measured slower still, its
    client work outweighing the round trips it saves). Elsewhere one by one."""
    if len(reads) < 2 or conn.dialect.name != "postgresql":
        return [fetch_one(conn, read.key, read.build, read.params) for read in reads]
    key = ("joined", *(read.key for read in reads))
    params: dict[str, Any] = {}
    for index, read in enumerate(reads):  # each read's names its own (two reads of one kind)
        params.update({_own(index, name): value for name, value in read.params.items()})
    row = fetch_one(conn, key, lambda: _joined(reads), params)
    assert row is not None  # the outer joins always make one row
    found: list[tuple[Any, ...] | None] = []
    start = 0
    for width in _widths(key, reads):
        part = row[start : start + width]
        found.append(part[:-1] if part[-1] else None)  # the last column marks a row found
        start += width
    return found


_width_of: LruCache[tuple[Any, ...], tuple[int, ...]] = LruCache(1024)


def _widths(key: tuple[Any, ...], reads: Sequence[Read]) -> tuple[int, ...]:
    """How many columns of the joined row each read takes (its own and its found mark)."""
    return _width_of.get_or_make(
        key, lambda: tuple(len(_select(read).selected_columns) + 1 for read in reads)
    )


def _select(read: Read) -> sa.Select[Any]:
    statement = read.build()
    assert isinstance(statement, sa.Select)
    return statement


def _own(index: int, name: str) -> str:
    """The name a read's parameter takes in the joined statement: reads of the same kind (two
    tables' definitions) bind the same names, which would otherwise all take the last value."""
    return f"r{index}_{name}"


def _renamed(element: Any, index: int, names: set[str]) -> Any:
    if isinstance(element, sa.BindParameter) and element.key in names:
        return sa.bindparam(_own(index, element.key), type_=element.type)
    return None


def _own_names(statement: sa.Select[Any], index: int, names: set[str]) -> sa.Select[Any]:
    """`statement` with its parameters in `names` bound under their _own names."""
    renamed = visitors.replacement_traverse(
        statement, {}, lambda element, **_: _renamed(element, index, names)
    )
    assert isinstance(renamed, sa.Select)
    return renamed


def _joined(reads: Sequence[Read]) -> sa.Select[Any]:
    """One row holding each read's row (NULLs and no mark where it has none); each read
    finds at most one row (a unique key), or the first of several is taken."""
    one = sa.select(sa.literal_column("1").label("one")).subquery("one")
    source: Any = one
    columns: list[Any] = []
    for index, read in enumerate(reads):
        statement = _own_names(_select(read), index, set(read.params))
        part = statement.add_columns(sa.true().label("found")).lateral(f"r{index}")
        source = source.outerjoin(part, sa.true())
        columns.extend(part.c)
    return sa.select(*columns).select_from(source)


def fetch_one(
    conn: sa.Connection,
    key: Hashable,
    build: Callable[[], sa.Executable],
    params: Mapping[str, Any],
) -> tuple[Any, ...] | None:
    """The first row of the statement `build` makes (compiled the first time `key` is seen on
    this dialect and schema), with `params` bound by name."""
    sql, bound = bound_sql(conn, Read(key, build, params))
    return first_row(conn.connection.dbapi_connection, sql, bound)


def first_row(dbapi: Any, sql: str, bound: Any) -> tuple[Any, ...] | None:
    """The first row of `sql` on the driver's own cursor, closed after."""
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, bound)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(row)
