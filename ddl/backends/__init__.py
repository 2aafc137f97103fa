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
from ddl.errors import CustomTablesError


class Backend(Protocol):
    """One database backend. Class attributes say how it stores and sorts values; methods build
    the statements and take the locks whose spelling differs. The attributes are read-only
    properties here, so a backend class may set them as plain class attributes."""

    # SQLAlchemy's dialect name: keys per-backend registries, never compared
    @property
    def name(self) -> str: ...
    @property
    def sqlglot_dialect(self) -> str: ...  # the sqlglot dialect saved queries are rendered in
    @property
    def serialised_writers(self) -> bool: ...  # one writer at a time: no row locks needed
    # saved queries are translated from T-SQL (False: run as written)
    @property
    def translates_tsql(self) -> bool: ...
    @property
    def dates_as_text(self) -> bool: ...  # dates stored as exact ISO text
    @property
    def money_as_text(self) -> bool: ...  # Money stored as exact decimal text
    @property
    def booleans_as_int(self) -> bool: ...  # booleans bound as 0/1
    @property
    def native_uuid(self) -> bool: ...  # UUIDs bound as uuid.UUID
    @property
    def binds_decimal(self) -> bool: ...  # the driver binds decimal.Decimal
    # NULL sorts last ascending unless told (NULLS FIRST needed)
    @property
    def nulls_sort_high(self) -> bool: ...
    @property
    def icu_collation(self) -> bool: ...  # text compares in a per-schema ICU collation
    @property
    def sortkey_collation(self) -> bool: ...  # text sorts through the ct_sortkey function
    # how an upsert counts its inserts (ddl/rows.py), None: probe
    @property
    def counting_upsert(self) -> str | None: ...
    @property
    def key_probe(self) -> str: ...  # how existing keys are counted in one statement (ddl/rows.py)
    # execution options making a transaction read-only
    @property
    def read_only_options(self) -> dict[str, Any]: ...
    # a value's type is its own, not its column's (numbers meet numbers)
    @property
    def dynamic_typing(self) -> bool: ...
    @property
    def lateral_joins(self) -> bool: ...  # LATERAL / correlated joins are understood
    # saved queries may call the ct_ Python functions (connect hooks)
    @property
    def python_functions(self) -> bool: ...
    @property
    def pyformat_binds(self) -> bool: ...  # the driver reads %(name)s: a literal % must be doubled
    @property
    def colon_binds(self) -> bool: ...  # sqlglot renders binds as :name for this backend already
    # a tenant is a schema of one database (else a file of its own)
    @property
    def schema_per_tenant(self) -> bool: ...
    @property
    def drops_tenants(self) -> bool: ...  # deleting a tenant is supported
    # several DDL statements go in one round trip (a new tenant's schema)
    @property
    def batched_ddl(self) -> bool: ...
    # INSERT/UPDATE … RETURNING in a WITH clause: several writes in one statement (the outbox)
    @property
    def writable_ctes(self) -> bool: ...

    @property
    def grants(self) -> GrantCache: ...  # saved-query reader grants this process made

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
    def query_error(self, error: BaseException, seconds: float) -> CustomTablesError: ...
    def lost_grant(self, error: BaseException) -> bool: ...
    def probe_reports(self, error: BaseException) -> bool: ...
    def first_row_committing(self, dbapi: Any, sql: str, params: Any) -> tuple[Any, ...] | None: ...
    def lost_connection(self, error: BaseException) -> bool: ...


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
        name = (target if isinstance(target, Dialect) else target.dialect).name
    backend = _BACKENDS.get(name)
    if backend is None:
        raise ValueError(f"Unsupported database backend: {name}")
    return backend


def lost_connection(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is a database
    connection breaking or failing to open: the request failed for no fault of its own
    (app/errors.py answers 503 and retries reads). The chain is followed because a driver
    that lost its connection often fails again in the clean-up (a rollback) that follows."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sa.exc.DisconnectionError) or (
            isinstance(current, sa.exc.DBAPIError) and current.connection_invalidated
        ):
            return True
        if any(backend.lost_connection(current) for backend in _BACKENDS.values()):
            return True
        orig = current.orig if isinstance(current, sa.exc.DBAPIError) else None
        pending += [orig, current.__cause__, current.__context__]
    return False


def server_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine on a server database: one for the whole database, every tenant a schema."""
    options = {**backend_for(url).engine_options(), **kwargs}
    engine = sa.create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        ping_after_idle(engine)
    return engine


__all__ = [
    "MSSQL", "POSTGRESQL", "SQLITE", "Backend", "RowLock", "backend_for", "lost_connection",
    "server_engine",
]  # fmt: skip
