"""Everything that differs between database backends, one module each (sqlite.py,
postgresql.py, mssql.py), behind the `Backend` protocol. Code elsewhere asks the backend of its
engine (`backend_for`) for a capability or a statement; it never compares backend names.

Adding a backend (MySQL, say) is one module here holding one class, its entry in `_BACKENDS`,
and a test marker; see docs/architecture.md, "Backends".
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from ddl.backends import mssql, postgresql, sqlite
from ddl.backends.common import GrantCache, RowLock, ping_after_idle


class Backend(Protocol):
    """One database backend. Class attributes say how it stores and sorts values; methods build
    the statements and take the locks whose spelling differs."""

    name: str  # SQLAlchemy's dialect name: keys per-backend registries, never compared
    sqlglot_dialect: str  # the sqlglot dialect saved queries are rendered in
    serialised_writers: bool  # one writer at a time: no row locks needed
    translates_tsql: bool  # saved queries are translated from T-SQL (False: run as written)
    dates_as_text: bool  # dates stored as exact ISO text
    money_as_text: bool  # Money stored as exact decimal text
    booleans_as_int: bool  # booleans bound as 0/1
    native_uuid: bool  # UUIDs bound as uuid.UUID
    binds_decimal: bool  # the driver binds decimal.Decimal
    nulls_sort_high: bool  # NULL sorts last ascending unless told (NULLS FIRST needed)
    icu_collation: bool  # text compares in a per-schema ICU collation
    sortkey_collation: bool  # text sorts through the ct_sortkey function
    counting_upsert: str | None  # how an upsert counts its inserts (ddl/rows.py), None: probe
    key_probe: str  # how existing keys are counted in one statement (ddl/rows.py)
    read_only_options: dict[str, Any]  # execution options making a transaction read-only
    dynamic_typing: bool  # a value's type is its own, not its column's (numbers meet numbers)
    lateral_joins: bool  # LATERAL / correlated joins are understood
    python_functions: bool  # saved queries may call the ct_ Python functions (connect hooks)
    pyformat_binds: bool  # the driver reads %(name)s: a literal % must be doubled
    colon_binds: bool  # sqlglot renders binds as :name for this backend already
    schema_per_tenant: bool  # a tenant is a schema of one database (else a file of its own)
    drops_tenants: bool  # deleting a tenant is supported
    batched_ddl: bool  # several DDL statements go in one round trip (a new tenant's schema)

    grants: GrantCache  # saved-query reader grants this process made

    def engine_options(self) -> dict[str, Any]: ...
    def space_probe(self, schema: str) -> tuple[str, dict[str, Any]] | None: ...
    def create_schema(self, schema: str) -> sa.Executable: ...
    def lock_rows(
        self, query: sa.Select[Any], table: sa.Table, mode: RowLock
    ) -> sa.Select[Any]: ...
    def transaction_lock(self, conn: sa.Connection, resource: str) -> None: ...
    def session_lock(self, engine: sa.Engine, resource: str) -> AbstractContextManager[bool]: ...
    def time_limited(self, conn: sa.Connection, seconds: float) -> AbstractContextManager[None]: ...
    def is_timeout(self, error: sa.exc.DBAPIError) -> bool: ...
    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable: ...


SQLITE: Backend = sqlite.BACKEND
POSTGRESQL: Backend = postgresql.BACKEND
MSSQL: Backend = mssql.BACKEND
_BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (SQLITE, POSTGRESQL, MSSQL)}


def backend_for(target: sa.Engine | sa.Connection | Dialect | str) -> Backend:
    """The backend of an engine, a connection (anything with a `dialect`), a dialect, a
    dialect name or a database URL."""
    if isinstance(target, str):
        name = target.split(":", 1)[0].split("+", 1)[0]
    else:
        name = getattr(target, "dialect", target).name
    backend = _BACKENDS.get(name)
    if backend is None:
        raise ValueError(f"Unsupported database backend: {name}")
    return backend


def server_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine on a server database: one for the whole database, every tenant a schema."""
    options = {**backend_for(url).engine_options(), **kwargs}
    engine = sa.create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        ping_after_idle(engine)
    return engine


__all__ = [
    "MSSQL", "POSTGRESQL", "SQLITE", "Backend", "RowLock", "backend_for", "server_engine",
]  # fmt: skip
