"""SQL Server statements SQLAlchemy does not build: MERGE upsert, the existing-keys probe, CREATE
SCHEMA when missing, the catalog's lock hints and application locks.

Each is a small ClauseElement compiled by the mssql dialect itself: identifiers (already
checked against the SPEC pattern) go through the dialect's identifier preparer, values are
bind parameters, so the text holds no user input. Source values are CAST to the column's type,
which lets pyodbc's `fast_executemany` describe every parameter exactly (a NULL in the first
row, a long string or a Decimal then cannot make it guess a wrong type or precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.expression import Executable

TARGET, SOURCE = "t", "s"  # aliases inside our own statements; user names never stand alone
KEYS_ALIAS, KEYS_COLUMN = "j", "k"

# Catalog locks (SQLAlchemy renders no FOR UPDATE on SQL Server, so the hints are explicit).
# Writers hold the definition shared until commit; a schema change holds it exclusively, and
# HOLDLOCK covers the key range too, so two creates of one name queue instead of colliding.
SHARE_HINT = "WITH (HOLDLOCK, ROWLOCK)"
EXCLUSIVE_HINT = "WITH (XLOCK, HOLDLOCK, ROWLOCK)"
# v1 tables also serialise row inserts and deletes (the row cap) while letting shared holders
# in, like PostgreSQL's FOR NO KEY UPDATE against FOR KEY SHARE: an update lock.
LOCK_HINTS = {
    "key_share": SHARE_HINT,
    "share": SHARE_HINT,
    "no_key_update": "WITH (UPDLOCK, HOLDLOCK, ROWLOCK)",
    "update": EXCLUSIVE_HINT,
}


# Locks shared by every process on one database (migrations, first-start bootstrap): an
# application lock; its name is the one parameter. A timeout is an error, not a silent "no".
_APPLOCK = (
    "DECLARE @granted int; "
    "EXEC @granted = sp_getapplock @Resource = ?, @LockMode = N'Exclusive', "
    "@LockOwner = N'{owner}', @LockTimeout = 120000; "
    "IF @granted < 0 THROW 50000, N'customtables: timed out waiting for a lock', 1;"
)
TRANSACTION_APPLOCK = _APPLOCK.format(owner="Transaction")
SESSION_APPLOCK = _APPLOCK.format(owner="Session")
SESSION_APPUNLOCK = "EXEC sp_releaseapplock @Resource = ?, @LockOwner = N'Session';"


class _TSql(Executable, ClauseElement):
    """Base of the SQL Server-only statements; other dialects refuse to compile them."""

    inherit_cache = False


@compiles(_TSql)
def _refuse(element: _TSql, compiler: SQLCompiler, **_kw: Any) -> str:
    raise sa.exc.CompileError(f"{type(element).__name__} exists only on SQL Server")


def _quote(compiler: SQLCompiler, name: str) -> str:
    """Always bracket user names (a reserved word then needs no list to be right)."""
    return compiler.preparer.quote_identifier(name)


def _typed_bind(compiler: SQLCompiler, name: str, column: sa.Column[Any], **kw: Any) -> str:
    return compiler.process(sa.cast(sa.bindparam(name, type_=column.type), column.type), **kw)


class MergeUpsert(_TSql):
    """`MERGE … WITH (HOLDLOCK)` of one row of binds: the key and the listed columns."""

    inherit_cache = False  # one statement per column set, compiled once by PreparedTable

    def __init__(
        self,
        table: sa.Table,
        key: str,
        columns: Sequence[str],
        key_bind: str,
        column_binds: Sequence[str],
    ) -> None:
        self.table = table
        self.key = key
        self.columns = tuple(columns)
        self.binds = (key_bind, *column_binds)


@compiles(MergeUpsert, "mssql")
def _merge(element: MergeUpsert, compiler: SQLCompiler, **kw: Any) -> str:
    table = element.table
    names = (element.key, *element.columns)
    values = ", ".join(
        _typed_bind(compiler, bind, table.c[name], **kw)
        for bind, name in zip(element.binds, names, strict=True)
    )
    quoted = [_quote(compiler, name) for name in names]
    key = quoted[0]
    lines = [
        f"MERGE INTO {compiler.preparer.format_table(table)} WITH (HOLDLOCK) AS {TARGET}",
        f"USING (VALUES ({values})) AS {SOURCE} ({', '.join(quoted)})",
        f"ON {TARGET}.{key} = {SOURCE}.{key}",
    ]
    if element.columns:
        sets = ", ".join(f"{name} = {SOURCE}.{name}" for name in quoted[1:])
        lines.append(f"WHEN MATCHED THEN UPDATE SET {sets}")
    lines.append(
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(quoted)}) "
        f"VALUES ({', '.join(f'{SOURCE}.{name}' for name in quoted)});"
    )
    return "\n".join(lines)


class ExistingKeys(_TSql):
    """Which of the keys in one JSON array parameter exist, answered with the keys as given
    (so the caller compares its own values: no GUID case or collation surprises), or how many."""

    inherit_cache = False

    def __init__(self, table: sa.Table, key: str, bind: str, count: bool = False) -> None:
        self.table = table
        self.key = key
        self.bind = bind
        self.count = count


@compiles(ExistingKeys, "mssql")
def _existing(element: ExistingKeys, compiler: SQLCompiler, **kw: Any) -> str:
    column = element.table.c[element.key]
    # UUIDs come back as the text we sent; other keys in their own type (bigint, nvarchar(n)).
    as_given = sa.Unicode(36) if isinstance(column.type.as_generic(), sa.Uuid) else column.type
    type_sql = compiler.dialect.type_compiler_instance.process(as_given)
    given = f"{KEYS_ALIAS}.{KEYS_COLUMN}"
    parameter = compiler.process(sa.bindparam(element.bind, type_=sa.UnicodeText()), **kw)
    answer = "count(*)" if element.count else given
    return (
        f"SELECT {answer} FROM OPENJSON({parameter}) WITH ({KEYS_COLUMN} {type_sql} '$') "
        f"AS {KEYS_ALIAS}\n"
        f"WHERE EXISTS (SELECT 1 FROM {compiler.preparer.format_table(element.table)} AS "
        f"{TARGET} WHERE {TARGET}.{_quote(compiler, element.key)} = {given})"
    )


class CreateSchemaIfMissing(_TSql):
    """SQL Server has no CREATE SCHEMA IF NOT EXISTS, and CREATE SCHEMA must open its batch:
    `IF SCHEMA_ID(?) IS NULL EXEC(?)`, the name and the statement both bound."""

    inherit_cache = False

    def __init__(self, schema: str) -> None:
        self.schema = schema


@compiles(CreateSchemaIfMissing, "mssql")
def _create_schema(element: CreateSchemaIfMissing, compiler: SQLCompiler, **kw: Any) -> str:
    statement = f"CREATE SCHEMA {_quote(compiler, element.schema)}"
    name = compiler.process(sa.bindparam("schema", element.schema, type_=sa.Unicode()), **kw)
    ddl = compiler.process(sa.bindparam("ddl", statement, type_=sa.Unicode()), **kw)
    return f"IF SCHEMA_ID({name}) IS NULL EXEC({ddl})"
