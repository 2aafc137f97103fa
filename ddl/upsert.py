"""One dialect-native upsert statement per column set (DESIGN invariant 3): SQLite and
PostgreSQL `INSERT … ON CONFLICT (key) DO UPDATE SET <listed columns>`, SQL Server `MERGE`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ddl.mssql import MergeUpsert
from ddl.prepared import PreparedColumn, PreparedTable

KEY_BIND = "_k"  # user names cannot start with "_", so binds never clash


def bind_name(index: int) -> str:
    return f"_c{index}"


def _on_conflict(
    insert: Callable[[sa.Table], sqlite.Insert | postgresql.Insert],
    table: PreparedTable,
    columns: Sequence[PreparedColumn],
) -> sa.Executable:
    values = {table.key.name: sa.bindparam(KEY_BIND)}
    values.update({column.name: sa.bindparam(bind_name(i)) for i, column in enumerate(columns)})
    statement = insert(table.table).values(values)
    key = [table.table.c[table.key.name]]
    if not columns:
        return statement.on_conflict_do_nothing(index_elements=key)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: excluded[column.name] for column in columns},
    )


def counting_upsert_statement(
    table: PreparedTable, columns: Sequence[PreparedColumn]
) -> sa.Executable:
    """PostgreSQL upsert that says per row whether it inserted (`xmax = 0` on a new row version
    that no transaction has replaced), so concurrent writers get exact Inserted/Updated counts.
    A row setting no columns re-sets its key, so that it is returned too."""
    values = {table.key.name: sa.bindparam(KEY_BIND)}
    values.update({column.name: sa.bindparam(bind_name(i)) for i, column in enumerate(columns)})
    statement = postgresql.insert(table.table).values(values)
    excluded = statement.excluded
    changed = [column.name for column in columns] or [table.key.name]
    return statement.on_conflict_do_update(
        index_elements=[table.table.c[table.key.name]],
        set_={name: excluded[name] for name in changed},
    ).returning(sa.literal_column("xmax = 0").label("inserted"))


def _merge(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Executable:
    return MergeUpsert(
        table.table,
        table.key.name,
        [column.name for column in columns],
        KEY_BIND,
        [bind_name(i) for i in range(len(columns))],
    )


UPSERT_BUILDERS: dict[str, Callable[[PreparedTable, Sequence[PreparedColumn]], sa.Executable]] = {
    "sqlite": lambda table, columns: _on_conflict(sqlite.insert, table, columns),
    "postgresql": lambda table, columns: _on_conflict(postgresql.insert, table, columns),
    "mssql": _merge,
}


def upsert_statement(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Executable:
    return UPSERT_BUILDERS[table.space.dialect](table, columns)


def update_statement(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Executable:
    """UPDATE of the listed columns of one row, for the single-row `Update` operation."""
    physical = table.table
    return (
        physical.update()
        .where(physical.c[table.key.name] == sa.bindparam(KEY_BIND))
        .values({column.name: sa.bindparam(bind_name(i)) for i, column in enumerate(columns)})
    )
