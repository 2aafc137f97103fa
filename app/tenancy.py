"""Tenants and where their spaces live: one SQLite file each, or one schema each on a server.

The metadata database (tenants, tokens) is SQLite `data/customtables.db` by default, or the
database named by CUSTOMTABLES_DATABASE_URL, whose tenant schemas then live beside it.
"""

from __future__ import annotations

import fcntl
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import ddl.audit  # noqa: F401  (registers the audit table among the internal tables)
import queries.store  # noqa: F401  (registers the saved-query table among the internal tables)
from app import migrate
from app.metadata import tenants
from app.settings import Settings
from ddl import collation
from ddl.backends import backend_for, server_engine
from ddl.backends.sqlite import sqlite_engine
from ddl.catalog import create_internal_tables, now_text
from ddl.errors import Conflict, NotFound
from ddl.names import check_tenant_name
from ddl.space import CATALOG_SCHEMA, TenantSpace
from ddl.v1 import catalog as _v1_catalog  # noqa: F401  (registers the v1 catalog table)

DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    schema_name: str


def schema_for(name: str) -> str:
    return CATALOG_SCHEMA if name == DEFAULT_TENANT else f"{CATALOG_SCHEMA}_{name}"


class Tenancy:
    """Owns the engines; hands out each tenant's space."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.backend = backend_for(settings.url)
        if not self.backend.schema_per_tenant:
            path = settings.url.removeprefix("sqlite:///")
            self.meta = sqlite_engine(Path(path))
        else:
            self.meta = server_engine(settings.url)
        # open spaces, least recently used first; past `max_open_tenants` the oldest is closed
        # (its SQLite files), so open files and memory stay flat in the number of tenants
        self._spaces: OrderedDict[str, TenantSpace] = OrderedDict()
        self._by_id: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        # called with each tenant engine made later (the server watches their pools)
        self.on_new_engine: Callable[[Engine], None] | None = None

    def migrate(self) -> None:
        migrate.upgrade(self.meta)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold a lock shared by every process on this database (first-start bootstrap):
        an advisory lock on PostgreSQL, a file lock beside the SQLite files."""
        with self.backend.session_lock(self.meta, "customtables-bootstrap") as held:
            if held:
                yield
                return
        if self.backend.schema_per_tenant:  # a server database with no shared lock
            yield
            return
        lock_path = Path(self.settings.url.removeprefix("sqlite:///")).parent / ".bootstrap.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def dispose(self) -> None:
        for space in self._spaces.values():
            if space.engine is not self.meta:
                space.engine.dispose()
        self.meta.dispose()

    # --- spaces -----------------------------------------------------------------------------

    def _engine_for(self, tenant: Tenant) -> Engine:
        if self.backend.schema_per_tenant:
            return self.meta
        engine = sqlite_engine(self.tenant_file(tenant.name), attach_as_customtables=True)
        if self.on_new_engine is not None:
            self.on_new_engine(engine)
        return engine

    def space(self, tenant: Tenant) -> TenantSpace:
        with self._lock:
            space = self._spaces.get(tenant.id)
            if space is not None:
                self._spaces.move_to_end(tenant.id)
                return space
            schema = tenant.schema_name if self.backend.schema_per_tenant else CATALOG_SCHEMA
            space = TenantSpace(tenant.id, tenant.name, schema, self._engine_for(tenant))
            if not self.backend.schema_per_tenant or self._schema_exists(tenant.schema_name):
                self._upgrade_space(space)
            self._spaces[tenant.id] = space
            while len(self._spaces) > max(1, self.settings.max_open_tenants):
                _, oldest = self._spaces.popitem(last=False)
                self._close(oldest)
            return space

    def _close(self, space: TenantSpace) -> None:
        """Close a space's own engine (SQLite). Connections a request still holds are closed
        when it returns them; a later request simply opens the space again."""
        if space.engine is not self.meta:
            space.engine.dispose()

    def forget(self, tenant: Tenant) -> None:
        """Drop what this process keeps of a tenant (after it was deleted)."""
        with self._lock:
            space = self._spaces.pop(tenant.id, None)
            self._by_id.pop(tenant.id, None)
        if space is not None:
            self._close(space)

    def tenant_file(self, name: str) -> Path:
        """A tenant's SQLite file (SQLite only)."""
        return Path(self.settings.url.removeprefix("sqlite:///")).parent / "tenants" / f"{name}.db"

    def _schema_exists(self, schema: str) -> bool:
        return schema in sa.inspect(self.meta).get_schema_names()

    @staticmethod
    def _upgrade_space(space: TenantSpace) -> None:
        """Create internal tables added since the space was made (once per process)."""
        with space.write() as conn:
            create_internal_tables(conn)
            collation.install(conn, space.schema)  # spaces made before the collation existed

    # --- tenants ----------------------------------------------------------------------------

    def find_tenant(self, name: str) -> Tenant | None:
        with self.meta.connect() as conn:
            row = conn.execute(sa.select(tenants).where(tenants.c.name == name)).first()
        return Tenant(row.id, row.name, row.schema_name) if row else None

    def get_tenant(self, name: str) -> Tenant:
        tenant = self.find_tenant(name)
        if tenant is None:
            raise NotFound(f"Tenant '{name}' does not exist")
        return tenant

    def tenant_by_id(self, tenant_id: str) -> Tenant:
        tenant = self._by_id.get(tenant_id)
        if tenant is None:  # tenants never change once created, so caching them is safe
            with self.meta.connect() as conn:
                row = conn.execute(sa.select(tenants).where(tenants.c.id == tenant_id)).one()
            tenant = self._by_id[tenant_id] = Tenant(row.id, row.name, row.schema_name)
        return tenant

    def has_tenants(self) -> bool:
        with self.meta.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(tenants)).scalar_one() > 0

    def create_tenant(self, name: str) -> Tenant:
        """Create the tenant's physical space (schema or file, with its catalog) and its row."""
        check_tenant_name(name)
        if self.find_tenant(name) is not None:
            raise Conflict(f"Tenant '{name}' already exists")
        tenant = Tenant(str(uuid.uuid4()), name, schema_for(name))
        space = self.space(tenant)  # on SQLite this made the file and its internal tables
        if self.backend.schema_per_tenant:
            with space.write() as conn:
                conn.execute(self.backend.create_schema(tenant.schema_name))
                create_internal_tables(conn)
                collation.install(conn, space.schema)
        with self.meta.connect() as conn:
            conn.execution_options(ct_write=True)
            with conn.begin():
                conn.execute(
                    tenants.insert().values(
                        id=tenant.id,
                        name=name,
                        schema_name=tenant.schema_name,
                        created_at=now_text(),
                    )
                )
        return tenant
