"""The v1 catalog (`_ct_v1_tables`): one row per v1 table, beside the v3 catalog in the tenant's
space, and the physical table each one owns (id, data as JSON, position, timestamps).

The catalog row also keeps `row_count`, changed in the same transaction as every row insert or
delete while that catalog row is locked, so the count is always exact and the row cap holds
under concurrent inserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ddl.backends import RowLock, backend_for
from ddl.catalog import internal_metadata
from ddl.errors import NotFound
from ddl.names import fold
from ddl.v1.columns import Column, parse_stored

v1_tables = sa.Table(
    "_ct_v1_tables",
    internal_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.Unicode(255), nullable=False),
    sa.Column("sql_name", sa.String(63), nullable=False),
    sa.Column("sql_key", sa.String(63), nullable=False, unique=True),
    sa.Column("description", sa.UnicodeText),
    sa.Column("schema_json", sa.UnicodeText, nullable=False),
    sa.Column("metadata_json", sa.UnicodeText, nullable=False),
    sa.Column("max_rows", sa.Integer, nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False, index=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

# JSONB on PostgreSQL (what the source system stores), JSON text elsewhere.
JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


@dataclass(frozen=True, slots=True)
class V1Table:
    id: str
    name: str
    sql_name: str
    description: str | None
    schema: dict[str, Any]
    metadata: dict[str, Any]
    max_rows: int
    row_count: int
    created_at: str
    updated_at: str

    @property
    def columns(self) -> list[dict[str, Any]]:
        """The declared columns as stored (and shown): `schema.columns`."""
        columns = self.schema.get("columns")
        return columns if isinstance(columns, list) else []

    @property
    def checked_columns(self) -> tuple[Column, ...]:
        return parse_stored(self.columns)


def _from_row(row: sa.Row[Any]) -> V1Table:
    return V1Table(
        id=row.id,
        name=row.name,
        sql_name=row.sql_name,
        description=row.description,
        schema=msgspec.json.decode(row.schema_json),
        metadata=msgspec.json.decode(row.metadata_json),
        max_rows=row.max_rows,
        row_count=row.row_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def values_of(table: V1Table) -> dict[str, Any]:
    return {
        "id": table.id,
        "name": table.name,
        "sql_name": table.sql_name,
        "sql_key": fold(table.sql_name),
        "description": table.description,
        "schema_json": msgspec.json.encode(table.schema).decode(),
        "metadata_json": msgspec.json.encode(table.metadata).decode(),
        "max_rows": table.max_rows,
        "row_count": table.row_count,
        "created_at": table.created_at,
        "updated_at": table.updated_at,
    }


_ROW_LOCKS: dict[str, RowLock] = {"share": "key_share", "rows": "no_key_update", "change": "update"}


def find(conn: sa.Connection, table_id: str, *, lock: str | None = None) -> V1Table | None:
    """The table with this id, or None.

    `lock` (PostgreSQL; SQLite writers are serialised already) holds the catalog row until
    commit: "share" keeps it from being dropped or redefined (FOR KEY SHARE), "rows" also
    serialises row inserts and deletes against each other (FOR NO KEY UPDATE), "change" is
    for a change of the table itself (FOR UPDATE). Every path takes the catalog row before
    touching the physical table, so locks are always taken in the same order.
    """
    query = sa.select(v1_tables).where(v1_tables.c.id == table_id)
    backend = backend_for(conn)
    if lock and not backend.serialised_writers:
        query = backend.lock_rows(query, v1_tables, _ROW_LOCKS[lock])
    row = conn.execute(query).first()
    return _from_row(row) if row else None


def get(conn: sa.Connection, table_id: str, *, lock: str | None = None) -> V1Table:
    table = find(conn, table_id, lock=lock)
    if table is None:
        raise NotFound(f"Table '{table_id}' not found")
    return table


def list_all(conn: sa.Connection) -> list[V1Table]:
    """Every v1 table of the tenant, newest first."""
    query = sa.select(v1_tables).order_by(v1_tables.c.created_at.desc(), v1_tables.c.id)
    return [_from_row(row) for row in conn.execute(query)]


def sql_name_taken(conn: sa.Connection, sql_name: str) -> bool:
    query = sa.select(v1_tables.c.id).where(v1_tables.c.sql_key == fold(sql_name))
    return conn.execute(query).first() is not None


def find_by_sql_name(conn: sa.Connection, sql_name: str) -> V1Table | None:
    """For saved queries: the v1 table whose SQL name is `sql_name` (any case)."""
    query = sa.select(v1_tables).where(v1_tables.c.sql_key == fold(sql_name))
    row = conn.execute(query).first()
    return _from_row(row) if row else None


def find_by_sql_keys(conn: sa.Connection, keys: list[str]) -> list[V1Table]:
    """For saved queries: the v1 tables whose folded SQL names are among `keys`."""
    if not keys:
        return []
    query = sa.select(v1_tables).where(v1_tables.c.sql_key.in_(sorted(keys)))
    return [_from_row(row) for row in conn.execute(query)]


def insert(conn: sa.Connection, table: V1Table) -> None:
    conn.execute(v1_tables.insert().values(**values_of(table)))


def save(conn: sa.Connection, table: V1Table) -> None:
    values = values_of(table)
    del values["id"], values["row_count"]  # the count is only ever changed by row writes
    conn.execute(v1_tables.update().where(v1_tables.c.id == table.id).values(**values))


def change_count(conn: sa.Connection, table_id: str, delta: int) -> None:
    conn.execute(
        v1_tables.update()
        .where(v1_tables.c.id == table_id)
        .values(row_count=v1_tables.c.row_count + delta)
    )


def delete(conn: sa.Connection, table_id: str) -> None:
    conn.execute(v1_tables.delete().where(v1_tables.c.id == table_id))


def physical_table(table: V1Table, schema: str) -> sa.Table:
    """The SQL table behind a v1 table: always the same five columns, whatever its `columns`."""
    index_name = f"_ct_v1_{table.id.replace('-', '')}_order"
    physical = sa.Table(
        table.sql_name,
        sa.MetaData(),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("data", JSON_DATA, nullable=False),
        sa.Column("position", sa.Float),
        sa.Column("createdAt", sa.DateTime, nullable=False),
        sa.Column("updatedAt", sa.DateTime, nullable=False),
        schema=schema,
    )
    sa.Index(index_name, physical.c.position, physical.c.createdAt, physical.c.id)
    return physical
