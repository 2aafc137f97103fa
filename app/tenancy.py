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
from app.garbage import ClosedSpaceCollector
from app.metadata import tenants
from app.settings import Settings
from ddl import collation, prepared, space_setup, tenant_files
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


# What a tenant's creation also writes, in its transaction(s): (metadata connection, the new
# space's connection, the tenant); on a server database both are the same connection.
TenantCreation = Callable[[sa.Connection, sa.Connection, Tenant], None] | None


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
        # called with each space closed (least recently used, or its tenant deleted): the
        # per-tenant caches of other layers (compiled tables, reader grants) forget it
        self.on_close_space: list[Callable[[TenantSpace], None]] = [
            prepared.forget_space,
            _forget_grants,
        ]
        self._garbage = ClosedSpaceCollector()

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
            self._upgrade_space(space)
            self._spaces[tenant.id] = space
            while len(self._spaces) > max(1, self.settings.max_open_tenants):
                _, oldest = self._spaces.popitem(last=False)
                self._close(oldest)
        self._garbage.collect_if_due()  # outside the lock: other tenants' requests go on
        return space

    def _close(self, space: TenantSpace) -> None:
        """Close a space's own engine (SQLite) and drop what this process keeps for it (compiled
        tables, reader grants), so memory stays flat however many tenants were touched.
        Connections a request still holds are closed when it returns them; a later request
        simply opens the space again (and prepares and grants again)."""
        for forget in self.on_close_space:
            forget(space)
        self._garbage.closed()
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

    @staticmethod
    def _upgrade_space(space: TenantSpace) -> None:
        """Create internal tables added since the space was made (each time a process opens
        it): one probe query, and the DDL only when something is missing. A server schema that
        does not exist yet is left alone (`create_tenant` makes it)."""
        with space.engine.connect() as conn:
            conn.execution_options(schema_translate_map={CATALOG_SCHEMA: space.schema})
            if space_setup.space_is_current(conn, space.schema):
                return
            if not space_setup.schema_exists(conn, space.schema):
                return
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

    def create_tenant(
        self, name: str, *, created_at: str | None = None, with_tenant: TenantCreation = None
    ) -> Tenant:
        """Create the tenant's physical space (schema or file, with its catalog) and its row,
        and run `with_tenant(meta_conn, space_conn, tenant)` (e.g. its first token and that
        token's audit event) in the same transaction(s), so a failure leaves no tenant.
        On a server it is ONE transaction on one connection: schema, tables, collation, row
        and whatever `with_tenant` writes commit together (one round trip for the DDL, one
        commit). On SQLite the file is written whole, its first rows in it, inside the
        metadata transaction, and removed if that fails (`_create_file`)."""
        check_tenant_name(name)
        tenant = Tenant(str(uuid.uuid4()), name, schema_for(name))
        row = tenants.insert().values(
            id=tenant.id,
            name=name,
            schema_name=tenant.schema_name,
            created_at=created_at or now_text(),
        )
        try:
            self._create(tenant, row, with_tenant)
        except (Conflict, sa.exc.IntegrityError, sa.exc.ProgrammingError) as error:
            self.forget(tenant)  # a space opened for it (SQLite) belongs to no tenant
            if isinstance(error, Conflict):
                raise
            if self.find_tenant(name) is not None:  # a concurrent request made it first
                raise Conflict(f"Tenant '{name}' already exists") from None
            raise
        self._by_id[tenant.id] = tenant  # its first request needs no look-up
        return tenant

    def _create(self, tenant: Tenant, row: sa.Insert, with_tenant: TenantCreation) -> None:
        """The space, the row and `with_tenant`'s writes (see `create_tenant`)."""
        if not self.backend.schema_per_tenant:
            if self.tenant_file(tenant.name).exists():
                self._create_on_existing_file(tenant, row, with_tenant)
            else:
                self._create_file(tenant, row, with_tenant)
        else:
            with self.meta.connect() as conn:
                conn.execution_options(
                    ct_write=True, schema_translate_map={CATALOG_SCHEMA: tenant.schema_name}
                )
                with conn.begin():
                    _refuse_existing(conn, tenant.name)  # on the same connection: no checkout
                    self._make_schema(conn, tenant.schema_name)
                    conn.execute(row)
                    if with_tenant is not None:
                        with_tenant(conn, conn, tenant)

    def _create_file(self, tenant: Tenant, row: sa.Insert, with_tenant: TenantCreation) -> None:
        """SQLite: the tenant's first rows go into an in-memory copy of the template, which is
        written (fsynced, linked) while the metadata transaction is open; that commit makes
        the tenant. A failure before it removes the file again; no engine opens the file."""
        path = self.tenant_file(tenant.name)
        placed = False
        try:
            with tenant_files.staged_space() as staged, self.meta.connect() as conn:
                conn.execution_options(ct_write=True)
                with conn.begin():
                    _refuse_existing(conn, tenant.name)  # under the write lock: no race
                    conn.execute(row)
                    if with_tenant is not None:
                        with_tenant(conn, staged.conn, tenant)
                    placed = tenant_files.place_new(path, staged.image())
                    if not placed:  # another process made this file meanwhile
                        raise Conflict(f"Tenant '{tenant.name}' is being created")
        except BaseException:
            if placed:
                tenant_files.remove(path)
            raise

    def _create_on_existing_file(
        self, tenant: Tenant, row: sa.Insert, with_tenant: TenantCreation
    ) -> None:
        """SQLite, a file no tenant points at (left by a failed creation of an earlier release):
        opened and upgraded; its transaction stays open while the metadata one commits."""
        if self.find_tenant(tenant.name) is not None:  # the usual case: the tenant exists
            raise Conflict(f"Tenant '{tenant.name}' already exists")
        with self.space(tenant).write() as space_conn, self.meta.connect() as conn:
            conn.execution_options(ct_write=True)
            with conn.begin():
                _refuse_existing(conn, tenant.name)
                conn.execute(row)
                if with_tenant is not None:
                    with_tenant(conn, space_conn, tenant)

    def _make_schema(self, conn: sa.Connection, schema: str) -> None:
        """A tenant schema with its internal tables; one left by an earlier release's failed
        creation (no tenant row) is completed rather than refused."""
        if self.backend.batched_ddl and not space_setup.schema_exists(conn, schema):
            conn.exec_driver_sql(f"CREATE SCHEMA {conn.dialect.identifier_preparer.quote(schema)}")
            space_setup.create_new_space(conn, schema)
            return
        conn.execute(self.backend.create_schema(schema))
        create_internal_tables(conn)
        collation.install(conn, schema)


def _refuse_existing(conn: sa.Connection, name: str) -> None:
    """Conflict when a tenant of that name exists (a concurrent creation that commits later
    fails on the unique name instead, and `create_tenant` answers Conflict too)."""
    if conn.execute(sa.select(tenants.c.id).where(tenants.c.name == name)).first() is not None:
        raise Conflict(f"Tenant '{name}' already exists")


def _forget_grants(space: TenantSpace) -> None:
    """A closed space's saved-query reader grants (granted again if it opens again)."""
    space.backend.grants.forget_schema(str(space.engine.url), space.schema)
