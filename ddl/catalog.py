"""The catalog: each tenant's table definitions, kept in the tenant's own schema.

Every change bumps a definition's `version`; prepared statements are cached per (table id,
version), so a column added through one server process is seen by the next request to any
other (DESIGN invariant 6) at the cost of one indexed catalog read per request.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl import driver_sql
from ddl.backends import Backend, backend_for
from ddl.errors import TableNotFound
from ddl.names import fold
from ddl.space import CATALOG_SCHEMA
from ddl.types import TypeId

internal_metadata = sa.MetaData(schema=CATALOG_SCHEMA)

catalog_tables = sa.Table(
    "_ct_tables",
    internal_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("name_key", sa.String(63), nullable=False, unique=True),
    sa.Column("key_column", sa.String(63), nullable=False),
    sa.Column("key_type", sa.Integer, nullable=False),
    sa.Column("key_length", sa.Integer),
    sa.Column("columns", sa.UnicodeText, nullable=False),
    sa.Column("read_roles", sa.UnicodeText, nullable=False),
    sa.Column("save_roles", sa.UnicodeText, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)


class ColumnDef(msgspec.Struct, frozen=True, omit_defaults=True):
    """A non-key column as the API shows it; also its stored form in the catalog."""

    ColumnName: str
    ColumnDataTypeId: int
    ColumnLength: int | None = None

    @property
    def type_id(self) -> TypeId:
        return TypeId(self.ColumnDataTypeId)


_columns_decoder = msgspec.json.Decoder(tuple[ColumnDef, ...])
_roles_decoder = msgspec.json.Decoder(tuple[str, ...])


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class TableDef:
    id: str
    name: str
    key_column: str
    key_type: TypeId
    key_length: int | None
    columns: tuple[ColumnDef, ...]
    read_roles: tuple[str, ...]
    save_roles: tuple[str, ...]
    version: int
    created_at: str
    updated_at: str

    def column(self, name: str) -> ColumnDef | None:
        wanted = fold(name)
        for column in self.columns:
            if fold(column.ColumnName) == wanted:
                return column
        return None


def new_definition(
    name: str,
    key_column: str,
    key_type: TypeId,
    key_length: int | None,
    columns: Sequence[ColumnDef],
    read_roles: Sequence[str],
    save_roles: Sequence[str],
) -> TableDef:
    stamp = now_text()
    return TableDef(
        id=str(uuid.uuid4()),
        name=name,
        key_column=key_column,
        key_type=key_type,
        key_length=key_length,
        columns=tuple(columns),
        read_roles=tuple(read_roles),
        save_roles=tuple(save_roles),
        version=1,
        created_at=stamp,
        updated_at=stamp,
    )


def _from_row(row: Any) -> TableDef:
    return TableDef(
        id=row.id,
        name=row.name,
        key_column=row.key_column,
        key_type=TypeId(row.key_type),
        key_length=row.key_length,
        columns=_columns_decoder.decode(row.columns),
        read_roles=_roles_decoder.decode(row.read_roles),
        save_roles=_roles_decoder.decode(row.save_roles),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def definition_of(row: sa.Row[Any]) -> TableDef:
    """A definition from a row of `catalog_tables` (for callers that select several at once)."""
    return _from_row(row)


def _values(table: TableDef) -> dict[str, object]:
    return {
        "id": table.id,
        "name": table.name,
        "name_key": fold(table.name),
        "key_column": table.key_column,
        "key_type": int(table.key_type),
        "key_length": table.key_length,
        "columns": msgspec.json.encode(table.columns).decode(),
        "read_roles": msgspec.json.encode(table.read_roles).decode(),
        "save_roles": msgspec.json.encode(table.save_roles).decode(),
        "version": table.version,
        "created_at": table.created_at,
        "updated_at": table.updated_at,
    }


def definition_query(
    backend: Backend, name: str | sa.BindParameter[str], lock: str | None = None
) -> sa.Select[Any]:
    """The catalog row of `name` (any case); `lock` "share" (writers: held against DDL until
    commit) or "exclusive" (a schema change). A backend whose writers are serialised needs
    none; each spells its own lock (ddl/backends)."""
    wanted = name if isinstance(name, sa.BindParameter) else fold(name)
    query = sa.select(catalog_tables).where(catalog_tables.c.name_key == wanted)
    if lock is None or backend.serialised_writers:
        return query
    return backend.lock_rows(query, catalog_tables, "share" if lock == "share" else "update")


_NAME_KEY = sa.bindparam("name_key", type_=sa.String)
CatalogRow = namedtuple("CatalogRow", [column.name for column in catalog_tables.c])  # type: ignore[misc]


def definition_read(conn: sa.Connection, name: str, lock: str | None) -> driver_sql.Read:
    """The hot-path read of `name`'s catalog row (`lock` as for definition_query), to run
    alone (_definition_row) or in one round trip with others (driver_sql.fetch_each)."""
    return driver_sql.Read(
        ("definition", lock),
        lambda: definition_query(backend_for(conn), _NAME_KEY, lock),
        {"name_key": fold(name)},
    )


def _definition_row(conn: sa.Connection, name: str, lock: str | None) -> Any:
    """The catalog row of `name`, read on every request that names a table (the check that
    sees another process's schema change at once), on the driver's cursor."""
    read = definition_read(conn, name, lock)
    row = driver_sql.fetch_one(conn, read.key, read.build, read.params)
    return None if row is None else CatalogRow(*row)


def table_from(row: tuple[Any, ...] | None) -> TableDef | None:
    """The definition in a row `definition_read` fetched, or None."""
    return None if row is None else _from_row(CatalogRow(*row))


def find_table(conn: sa.Connection, name: str, *, lock: bool = False) -> TableDef | None:
    """The definition of `name` (any case), or None. `lock` holds it against concurrent DDL."""
    row = _definition_row(conn, name, "share" if lock else None)
    return _from_row(row) if row else None


def get_table(conn: sa.Connection, name: str, *, lock: bool = False) -> TableDef:
    table = find_table(conn, name, lock=lock)
    if table is None:
        raise TableNotFound(name)
    return table


def lock_for_change(conn: sa.Connection, name: str) -> TableDef | None:
    """Read a definition for a schema change, holding an exclusive lock until commit."""
    row = conn.execute(definition_query(backend_for(conn), name, "exclusive")).first()
    return _from_row(row) if row else None


def find_by_id(conn: sa.Connection, table_id: str) -> TableDef | None:
    row = conn.execute(sa.select(catalog_tables).where(catalog_tables.c.id == table_id)).first()
    return _from_row(row) if row else None


def list_tables(conn: sa.Connection) -> list[TableDef]:
    rows = conn.execute(sa.select(catalog_tables).order_by(catalog_tables.c.name_key))
    return [_from_row(row) for row in rows]


def insert_definition(conn: sa.Connection, table: TableDef) -> None:
    conn.execute(catalog_tables.insert().values(**_values(table)))


def save_definition(conn: sa.Connection, table: TableDef) -> TableDef:
    """Store a changed definition under the next version; returns what was stored."""
    stored = replace(table, version=table.version + 1, updated_at=now_text())
    values = _values(stored)
    del values["id"]
    conn.execute(catalog_tables.update().where(catalog_tables.c.id == table.id).values(**values))
    return stored


def delete_definition(conn: sa.Connection, table: TableDef) -> None:
    conn.execute(catalog_tables.delete().where(catalog_tables.c.id == table.id))


def create_internal_tables(conn: sa.Connection) -> None:
    """Create the catalog (and the other per-tenant internal tables) when missing."""
    internal_metadata.create_all(conn, checkfirst=True)
