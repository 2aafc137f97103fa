"""v1 tables as the saved-query planner sees them: a read-only `TableDef` per v1 table, named by
its `sqlName`, with the five fixed columns every v1 physical table has.

A v1 table has no version: its SQL name and its physical columns never change for a given id
(a rename changes only the display name), and a drop and re-create gives a new id, so the id
alone keeps the plan cache and the reader-role grants (ddl/backends/postgresql.py) correct.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ddl.catalog import ColumnDef, TableDef
from ddl.names import fold
from ddl.types import TypeId
from ddl.v1 import catalog as v1_catalog
from ddl.v1.catalog import V1Table

JSON_COLUMN = "data"
# id is kept as text (a lower-case UUID), data as JSON text (JSONB on PostgreSQL, returned as
# text by a saved query), position a float, the timestamps dates.
_COLUMNS = (
    ColumnDef(JSON_COLUMN, int(TypeId.VARCHARMAX)),
    ColumnDef("position", int(TypeId.FLOAT)),
    ColumnDef("createdAt", int(TypeId.DATE)),
    ColumnDef("updatedAt", int(TypeId.DATE)),
)


class V1TableDef(TableDef):
    """A v1 table in the planner: no read roles (see docs/decisions.md, "v1 Tables API")."""

    __slots__ = ()


def definition(table: V1Table) -> V1TableDef:
    return V1TableDef(
        id=table.id,
        name=table.sql_name,
        key_column="id",
        key_type=TypeId.VARCHARMAX,
        key_length=None,
        columns=_COLUMNS,
        read_roles=(),
        save_roles=(),
        version=1,
        created_at=table.created_at,
        updated_at=table.updated_at,
    )


def is_json_column(table: TableDef, column: str) -> bool:
    """True for the `data` column of a v1 table (column as the catalog spells it)."""
    return isinstance(table, V1TableDef) and column == JSON_COLUMN


def load(conn: sa.Connection, keys: Iterable[str]) -> dict[str, TableDef]:
    """The tenant's v1 tables whose folded SQL names are `keys`, by folded name."""
    found = v1_catalog.find_by_sql_keys(conn, list(keys))
    return {fold(table.sql_name): definition(table) for table in found}
