"""One dialect-native upsert statement per column set (DESIGN invariant 3), as each backend
spells it (ddl/backends: `INSERT … ON CONFLICT` on SQLite and PostgreSQL, `MERGE` on SQL
Server); PostgreSQL's counting variant; the single-row UPDATE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ddl.backends.common import KEY_BIND, bind_name
from ddl.prepared import PreparedColumn, PreparedTable


def counting_upsert_statement(
    table: PreparedTable, columns: Sequence[PreparedColumn]
) -> sa.Executable:
    """PostgreSQL upsert that says per row whether it inserted (`xmax = 0` on a new row version
    that no transaction has replaced), so concurrent writers get exact Inserted/Updated counts.
    A row setting no columns re-sets its key, so that it is returned too."""
    values: dict[str, sa.BindParameter[Any]] = {table.key.name: sa.bindparam(KEY_BIND)}
    values.update({column.name: sa.bindparam(bind_name(i)) for i, column in enumerate(columns)})
    statement = postgresql.insert(table.table).values(values)
    excluded = statement.excluded
    changed = [column.name for column in columns] or [table.key.name]
    return statement.on_conflict_do_update(
        index_elements=[table.table.c[table.key.name]],
        set_={name: excluded[name] for name in changed},
    ).returning(sa.literal_column("xmax = 0").label("inserted"))


def upsert_statement(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Executable:
    """The backend's own upsert of one row of binds: the key and the listed columns."""
    names = [column.name for column in columns]
    return table.space.backend.upsert(table.table, table.key.name, names)


def update_statement(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Executable:
    """UPDATE of the listed columns of one row, for the single-row `Update` operation."""
    physical = table.table
    return (
        physical.update()
        .where(physical.c[table.key.name] == sa.bindparam(KEY_BIND))
        .values({column.name: sa.bindparam(bind_name(i)) for i, column in enumerate(columns)})
    )
