"""Reads on the hot path of every request (a token, a table definition, a saved query) run on
the driver's own cursor with SQL compiled once per statement, dialect and schema.

SQLAlchemy's per-execution work (cache key, result metadata, row processing) cost several
times the indexed read itself. Parameters must already be what the driver takes (text here),
as no bind processing runs; the connection's transaction and schema_translate_map still apply.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
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


def fetch_one(
    conn: sa.Connection,
    key: Hashable,
    build: Callable[[], sa.Executable],
    params: Mapping[str, Any],
) -> tuple[Any, ...] | None:
    """The first row of the statement `build` makes (compiled the first time `key` is seen on
    this dialect and schema), with `params` bound by name."""
    sql, order = _sql(conn, key, build)
    bound: Any = dict(params) if order is None else tuple(params[name] for name in order)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, bound)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(row)
