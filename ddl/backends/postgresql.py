"""PostgreSQL: one database, each tenant a schema; row locks with FOR [KEY] SHARE / UPDATE,
named locks as advisory locks, text in a non-deterministic ICU collation per tenant schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ddl.backends.common import BackendBase, RowLock, on_conflict_upsert

# Advisory-lock keys of the named locks earlier releases took as constants; kept, so a process
# of an earlier release and one of this release still exclude each other.
FIXED_KEYS = {"customtables-migrate": 724110318, "customtables-bootstrap": 724110319}


def _key(resource: str) -> sa.ColumnElement[Any]:
    fixed = FIXED_KEYS.get(resource)
    return sa.literal(fixed) if fixed is not None else sa.func.hashtext(sa.literal(resource))


class PostgresBackend(BackendBase):
    name: ClassVar[str] = "postgresql"
    sqlglot_dialect: ClassVar[str] = "postgres"
    native_uuid = True
    nulls_sort_high = True
    icu_collation = True
    counting_upsert = "returning"
    key_probe = "array"
    pyformat_binds = True
    # BEGIN READ ONLY; SQLAlchemy resets the connection when it returns to the pool.
    read_only_options: ClassVar[dict[str, Any]] = {"postgresql_readonly": True}

    def engine_options(self) -> dict[str, Any]:
        # A backstop for a transaction left open by a vanished client: it would block DDL on
        # the tables it read. Streams close their transaction themselves (app/streaming.py).
        timeout = {"options": "-c idle_in_transaction_session_timeout=600000"}
        return {**super().engine_options(), "connect_args": timeout}

    def lock_rows(self, query: sa.Select[Any], table: sa.Table, mode: RowLock) -> sa.Select[Any]:
        if mode == "key_share":
            return query.with_for_update(read=True, key_share=True)
        if mode == "no_key_update":
            return query.with_for_update(key_share=True)
        return query.with_for_update(read=mode == "share")

    def transaction_lock(self, conn: sa.Connection, resource: str) -> None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_key(resource))))

    @contextmanager
    def session_lock(self, engine: sa.Engine, resource: str) -> Iterator[bool]:
        with engine.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(_key(resource))))
            try:
                yield True
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(_key(resource))))
                conn.commit()

    @contextmanager
    def time_limited(self, conn: sa.Connection, seconds: float) -> Iterator[None]:
        """`SET LOCAL statement_timeout`: ends with the transaction."""
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
        yield

    def is_timeout(self, error: sa.exc.DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) == "57014"

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        return on_conflict_upsert(postgresql.insert, table, key, columns)


BACKEND = PostgresBackend()
