"""PostgreSQL upsert of a large group of rows: binary COPY into a temporary table, then one
`INSERT … SELECT … ON CONFLICT (key) DO UPDATE` that counts the rows it inserted.

executemany sends one statement per row (pipelined, but still parsed and planned per row on
the server); COPY streams the rows in PostgreSQL's binary format and the upsert runs once, as
a set. Same statement semantics as ddl/upsert.py: only the listed columns change, a row that
lists none keeps its values, and `xmax = 0` tells a new row from an updated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ddl.prepared import PreparedColumn, PreparedTable
from ddl.types import TypeId

COPY_MIN_ROWS = 48  # below this a pipelined executemany is as fast, with no temporary table
LOAD_TABLE = "_ct_load"
_PREPARER = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]

# binary COPY needs each column's exact type; values are what ddl/types.py converts them to
_COPY_TYPES = {
    TypeId.BOOLEAN: "bool",
    TypeId.DATE: "timestamp",
    TypeId.FLOAT: "float8",
    TypeId.INTEGER: "int8",
    TypeId.MONEY: "numeric",
    TypeId.UNIQUEIDENTIFIER: "uuid",
    TypeId.VARBINARY: "bytea",
}


def copy_type(column: PreparedColumn) -> str:
    """The PostgreSQL type name binary COPY dumps a value of `column` as (strings: text, whose
    binary form is varchar's too)."""
    return _COPY_TYPES.get(column.type_id, "text")


def _names(table: PreparedTable, columns: Sequence[PreparedColumn]) -> list[str]:
    return [table.key.name, *(column.name for column in columns)]


def _create_load(table: PreparedTable, columns: Sequence[PreparedColumn]) -> str:
    """A temporary table with the group's columns, typed as the target's (no rows, no keys)."""
    selected = ", ".join(_PREPARER.quote(name) for name in _names(table, columns))
    schema, name = _PREPARER.quote_schema(table.space.schema), _PREPARER.quote(table.table.name)
    return (
        f"CREATE TEMPORARY TABLE {LOAD_TABLE} ON COMMIT DROP AS "
        f"SELECT {selected} FROM {schema}.{name} WITH NO DATA"
    )


def _upsert_from_load(table: PreparedTable, columns: Sequence[PreparedColumn]) -> sa.Select[Any]:
    """`WITH w AS (INSERT … SELECT … FROM load ON CONFLICT … RETURNING xmax = 0) SELECT count`;
    a row that sets no columns re-sets its key, so it is counted as well."""
    names = _names(table, columns)
    load = sa.table(LOAD_TABLE, *(sa.column(name) for name in names))
    statement = postgresql.insert(table.table).from_select(
        names, sa.select(*(load.c[name] for name in names))
    )
    changed = names[1:] or names[:1]
    upsert: Any = statement.on_conflict_do_update(  # SQLAlchemy types it ReturningInsert[Never]
        index_elements=[table.table.c[table.key.name]],
        set_={name: statement.excluded[name] for name in changed},
    ).returning(sa.literal_column("xmax = 0").label("inserted"))
    written = upsert.cte("written")
    return sa.select(sa.func.count().filter(written.c.inserted))


def copy_upsert(
    cursor: Any, table: PreparedTable, columns: Sequence[PreparedColumn], rows: Sequence[Any]
) -> int:
    """Upsert `rows` (key, then each of `columns`, as converted for PostgreSQL) inside the
    cursor's open transaction; returns how many were inserted. The load table is dropped
    before returning, so the next group of the same batch can make its own."""
    names = tuple(_names(table, columns))
    create = table.compiled(("copy_load", names), lambda: sa.text(_create_load(table, columns)))
    upsert = table.compiled(("copy_upsert", names), lambda: _upsert_from_load(table, columns))
    cursor.execute(create.sql)
    quoted = ", ".join(_PREPARER.quote(name) for name in names)
    with cursor.copy(f"COPY {LOAD_TABLE} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([copy_type(table.key), *(copy_type(column) for column in columns)])
        for row in rows:
            copy.write_row(row)
    cursor.execute(upsert.sql)
    row = cursor.fetchone()
    cursor.execute(f"DROP TABLE {LOAD_TABLE}")
    return int(row[0]) if row else 0
