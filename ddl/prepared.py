"""A definition made ready for work: its SQLAlchemy Table, converters and compiled statements.

Built once per (schema, table id, version) and cached, so the hot path of a write or read does
no per-request compilation and no per-value type dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from ddl.backends import Backend
from ddl.cache import LruCache
from ddl.catalog import ColumnDef, TableDef
from ddl.names import fold
from ddl.space import TenantSpace
from ddl.types import Converter, TypeId, input_converter, output_converter, sql_type


@dataclass(frozen=True, slots=True, eq=False)
class PreparedColumn:
    """Hashed by identity: it is a dict key for every value of a batch."""

    name: str
    type_id: TypeId
    length: int | None
    sql: sa.Column[Any]
    to_db: Converter
    to_json: Converter | None


@dataclass(slots=True)
class CompiledStatement:
    """A statement compiled once for one dialect; `order` lists bind names for positional styles."""

    sql: str
    order: tuple[str, ...] | None

    def row_builder(self, names: Sequence[str]) -> Callable[[Sequence[Any]], Any]:
        """A function from values given in `names` order to this statement's parameters: a tuple
        (positional styles) or a dict (named styles), built without per-row name look-ups."""
        if self.order is None:
            keys = tuple(names)
            return lambda values: dict(zip(keys, values, strict=True))
        if tuple(names) == self.order:
            return tuple
        permutation = [list(names).index(name) for name in self.order]
        if len(permutation) == 1:
            only = permutation[0]
            return lambda values: (values[only],)
        return itemgetter(*permutation)


@dataclass(slots=True)
class PreparedTable:
    definition: TableDef
    space: TenantSpace
    table: sa.Table
    key: PreparedColumn
    columns: dict[str, PreparedColumn]  # folded name → column, key excluded
    ordered: tuple[PreparedColumn, ...]  # key first, then columns in definition order
    by_spelling: dict[str, PreparedColumn]  # defined name → column, key excluded
    _statements: dict[Any, CompiledStatement] = field(default_factory=dict)
    typed_rows: Any = None  # ddl.typed.TypedRows of this version, built on the first write

    def lookup(self, name: str) -> PreparedColumn | None:
        """A non-key column by name: the spelling as defined first (no folding on the hot path),
        then any case."""
        column = self.by_spelling.get(name)
        return column if column is not None else self.columns.get(fold(name))

    def column(self, name: str) -> PreparedColumn | None:
        folded = fold(name)
        if folded == fold(self.key.name):
            return self.key
        return self.columns.get(folded)

    def compiled(self, cache_key: Any, build: Callable[[], sa.Executable]) -> CompiledStatement:
        statement = self._statements.get(cache_key)
        if statement is None:
            clause = build()
            assert isinstance(clause, sa.ClauseElement)  # every statement built here is DML
            compiled = clause.compile(dialect=self.space.engine.dialect)
            assert isinstance(compiled, SQLCompiler)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            statement = CompiledStatement(str(compiled), order)
            self._statements[cache_key] = statement
        return statement


def _prepared_column(
    column: ColumnDef | None, definition: TableDef, backend: Backend
) -> PreparedColumn:
    if column is None:  # the key
        name, type_id, length = definition.key_column, definition.key_type, definition.key_length
        sql = sa.Column(name, sql_type(type_id, length), primary_key=True, autoincrement=False)
    else:
        name, type_id, length = column.ColumnName, column.type_id, column.ColumnLength
        sql = sa.Column(name, sql_type(type_id, length), nullable=True)
    return PreparedColumn(
        name,
        type_id,
        length,
        sql,
        input_converter(type_id, length, backend),
        output_converter(type_id),
    )


def build_sql_table(definition: TableDef, schema: str, backend: Backend) -> sa.Table:
    """The physical table of a definition (used for CREATE TABLE and for every statement)."""
    return _build(definition, schema, backend)[0]


def _build(
    definition: TableDef, schema: str, backend: Backend
) -> tuple[sa.Table, PreparedColumn, list[PreparedColumn]]:
    key = _prepared_column(None, definition, backend)
    columns = [_prepared_column(column, definition, backend) for column in definition.columns]
    table = sa.Table(
        definition.name,
        sa.MetaData(),
        key.sql,
        *(column.sql for column in columns),
        schema=schema,
    )
    return table, key, columns


_cache: LruCache[tuple[str, str, str, int], PreparedTable] = LruCache(2048)


def forget_space(space: TenantSpace) -> None:
    """Drop the tables prepared for a space its process closed (app/tenancy.py): each holds
    the space, whose engine and compiled statements would otherwise outlive it."""
    _cache.remove_if(lambda _key, found: found.space.tenant_id == space.tenant_id)


def prepare(space: TenantSpace, definition: TableDef, *, cache: bool = True) -> PreparedTable:
    """`cache=False` for a definition not yet committed (one made inside a running transaction):
    if that transaction rolled back, its version number would be reused by another change."""
    cache_key = (str(space.engine.url), space.schema, definition.id, definition.version)
    prepared = _cache.get(cache_key) if cache else None
    if prepared is not None:
        return prepared
    table, key, columns = _build(definition, space.schema, space.backend)
    prepared = PreparedTable(
        definition=definition,
        space=space,
        table=table,
        key=key,
        columns={fold(column.name): column for column in columns},
        ordered=(key, *columns),
        by_spelling={column.name: column for column in columns},
    )
    if not cache:
        return prepared
    _cache.put(cache_key, prepared)
    return prepared
