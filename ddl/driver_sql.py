"""Reads on the hot path of every request (a token, a table definition, a saved query) run on
the driver's own cursor with SQL compiled once per statement, dialect and schema.

SQLAlchemy's per-execution work (cache key, result metadata, row processing) cost several
times the indexed read itself. Parameters must already be what the driver takes (text here),
as no bind processing runs; the connection's transaction and schema_translate_map still apply.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

# (statement key, dialect, schema map) → (SQL, bind names in order, or None for named style)
_compiled: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None]] = {}
_KEPT = 8192


def _sql(
    conn: sa.Connection, key: Hashable, build: Callable[[], sa.Executable]
) -> tuple[str, tuple[str, ...] | None]:
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    cache_key = (key, conn.dialect.name, tuple(sorted(translate.items())))
    found = _compiled.get(cache_key)
    if found is None:
        clause = build()
        assert isinstance(clause, sa.ClauseElement)  # every statement built here is DML
        compiled = clause.compile(
            dialect=conn.dialect, schema_translate_map=translate, render_schema_translate=True
        )
        assert isinstance(compiled, SQLCompiler)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        if len(_compiled) >= _KEPT:
            _compiled.clear()
        found = _compiled[cache_key] = (str(compiled), order)
    return found


@dataclass(frozen=True, slots=True)
class Read:
    """One hot-path read: `build` makes the statement (compiled once per `key`, dialect and
    schema), `params` are bound by name."""

    key: Hashable
    build: Callable[[], sa.Executable]
    params: Mapping[str, Any]


def _bound(conn: sa.Connection, read: Read) -> tuple[str, Any]:
    sql, order = _sql(conn, read.key, read.build)
    params = read.params
    return sql, dict(params) if order is None else tuple(params[name] for name in order)


def fetch_each(conn: sa.Connection, reads: Sequence[Read]) -> list[tuple[Any, ...] | None]:
    """The first row of each read, in order. On a driver with a pipeline (psycopg) all of them,
    and the BEGIN of a transaction not yet started, go to the server in one round trip: on a
    server each round trip costs more than the reads themselves. Elsewhere one by one."""
    dbapi: Any = conn.connection.dbapi_connection
    if len(reads) < 2 or not hasattr(dbapi, "pipeline"):
        return [fetch_one(conn, read.key, read.build, read.params) for read in reads]
    bound = [_bound(conn, read) for read in reads]
    with dbapi.pipeline():
        cursors = [dbapi.cursor() for _ in bound]
        try:
            for cursor, (sql, params) in zip(cursors, bound, strict=True):
                cursor.execute(sql, params)
            return [_first(cursor) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()


def _first(cursor: Any) -> tuple[Any, ...] | None:
    row = cursor.fetchone()
    return None if row is None else tuple(row)


def fetch_one(
    conn: sa.Connection,
    key: Hashable,
    build: Callable[[], sa.Executable],
    params: Mapping[str, Any],
) -> tuple[Any, ...] | None:
    """The first row of the statement `build` makes (compiled the first time `key` is seen on
    this dialect and schema), with `params` bound by name."""
    sql, bound = _bound(conn, Read(key, build, params))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, bound)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(row)
