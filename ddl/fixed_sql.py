"""Statements over the internal tables, compiled once per (dialect, tenant schema) and run as
driver SQL: the outbox adds three statements to every write, and building and compiling them
through SQLAlchemy each time cost more than running them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ddl.cache import LruCache
from ddl.prepared import CompiledStatement
from ddl.space import CATALOG_SCHEMA

Build = Callable[[Callable[[sa.Table], sa.Table]], Any]  # a statement (ClauseElement)
_MAX = 4096  # statements kept (a few per tenant schema)
_cache: dict[tuple[str, str, str], CompiledStatement] = {}
# A copy of an internal table per tenant schema holds its own MetaData (tens of KB): kept for the
# schemas in use only, or the server's memory grows with every tenant it has ever written to.
_tables: LruCache[tuple[str, str], sa.Table] = LruCache(512)
_lock = threading.Lock()


def schema_of(conn: sa.Connection) -> str:
    """The tenant schema the connection's catalog name is translated to."""
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    return str(translate.get(CATALOG_SCHEMA, CATALOG_SCHEMA))


def _in_schema(schema: str) -> Callable[[sa.Table], sa.Table]:
    def table(base: sa.Table) -> sa.Table:
        return _tables.get_or_make(
            (schema, base.name), lambda: base.to_metadata(sa.MetaData(), schema=schema)
        )

    return table


def run(conn: sa.Connection, name: str, build: Build, params: dict[str, Any]) -> Any:
    """Execute statement `name` (made by `build` from the tables in this connection's schema)."""
    schema = schema_of(conn)
    key = (conn.dialect.name, schema, name)
    statement = _cache.get(key)
    if statement is None:
        with _lock:
            compiled = build(_in_schema(schema)).compile(dialect=conn.dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            statement = CompiledStatement(str(compiled), order)
            if len(_cache) >= _MAX:
                _cache.clear()
            _cache[key] = statement
    if statement.order is None:
        return conn.exec_driver_sql(statement.sql, params)
    return conn.exec_driver_sql(statement.sql, tuple(params[n] for n in statement.order))
