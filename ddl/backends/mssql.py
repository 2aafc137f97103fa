"""SQL Server (compiled-SQL tests only here): one database, each tenant a schema; no FOR UPDATE
(table hints instead), named locks as application locks, MERGE for the upsert. Saved queries
run as written: their T-SQL needs no translation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa

from ddl.backends.common import KEY_BIND, BackendBase, RowLock, bind_name
from ddl.backends.tsql_statements import (
    LOCK_HINTS,
    SESSION_APPLOCK,
    SESSION_APPUNLOCK,
    TRANSACTION_APPLOCK,
    CreateSchemaIfMissing,
    MergeUpsert,
)


class MssqlBackend(BackendBase):
    name: ClassVar[str] = "mssql"
    sqlglot_dialect: ClassVar[str] = "tsql"
    translates_tsql = False
    key_probe = "openjson"
    drops_tenants = False  # not supported on SQL Server yet

    def engine_options(self) -> dict[str, Any]:
        return {**super().engine_options(), "fast_executemany": True}

    def create_schema(self, schema: str) -> sa.Executable:
        return CreateSchemaIfMissing(schema)  # SQL Server has no IF NOT EXISTS

    def lock_rows(self, query: sa.Select[Any], table: sa.Table, mode: RowLock) -> sa.Select[Any]:
        return query.with_hint(table, LOCK_HINTS[mode], self.name)

    def transaction_lock(self, conn: sa.Connection, resource: str) -> None:
        conn.exec_driver_sql(TRANSACTION_APPLOCK, (resource,))

    @contextmanager
    def session_lock(self, engine: sa.Engine, resource: str) -> Iterator[bool]:
        with engine.connect() as conn:
            conn.exec_driver_sql(SESSION_APPLOCK, (resource,))
            conn.commit()
            try:
                yield True
            finally:
                conn.exec_driver_sql(SESSION_APPUNLOCK, (resource,))
                conn.commit()

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        binds = [bind_name(i) for i in range(len(columns))]
        return MergeUpsert(table, key, columns, KEY_BIND, binds)


BACKEND = MssqlBackend()
