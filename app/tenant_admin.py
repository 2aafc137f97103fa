"""Tenants as a server administrator sees them: name, tables, rows, created (CLI `tenant
list`, `GET /api/admin/tenants`). Counts come from each tenant's own catalog, never from a
cache, so every worker and host gives the same answer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.metadata import tenants, tokens, webhook_tenants
from app.tenancy import Tenancy, Tenant
from ddl import catalog, schema, tenant_files
from ddl.errors import ValidationError
from ddl.names import check_tenant_name


@dataclass(frozen=True, slots=True)
class TenantSummary:
    name: str
    tables: int
    rows: int
    created_at: str


def all_tenants(tenancy: Tenancy) -> list[tuple[Tenant, str]]:
    """Every tenant with its creation time, by name."""
    with tenancy.meta.connect() as conn:
        rows = conn.execute(sa.select(tenants).order_by(tenants.c.name)).all()
    return [(Tenant(row.id, row.name, row.schema_name), row.created_at) for row in rows]


def summary(tenancy: Tenancy, tenant: Tenant, created_at: str) -> TenantSummary:
    space = tenancy.space(tenant)
    with space.read() as conn:
        tables = catalog.list_tables(conn)
        rows = sum(schema.row_count(conn, space, table) for table in tables)
    return TenantSummary(tenant.name, len(tables), rows, created_at)


def summaries(tenancy: Tenancy) -> list[TenantSummary]:
    return [summary(tenancy, tenant, created) for tenant, created in all_tenants(tenancy)]


def delete_tenant(tenancy: Tenancy, name: str) -> None:
    """Delete a tenant: its tokens, its row, and its whole space (tables, catalog, saved
    queries, audit log). On a server database it is one transaction (DROP SCHEMA … CASCADE
    with the rows); on SQLite the rows go first, then the tenant's file, so a failure halfway
    leaves at worst an orphan file that no tenant points at, never a tenant without data."""
    check_tenant_name(name)
    tenant = tenancy.get_tenant(name)
    backend = tenancy.backend
    if not backend.drops_tenants:
        raise ValidationError("Deleting a tenant is not supported on SQL Server yet")
    tenancy.forget(tenant)
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            if backend.schema_per_tenant:
                schema_name = conn.dialect.identifier_preparer.quote(tenant.schema_name)
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")
            conn.execute(tokens.delete().where(tokens.c.tenant_id == tenant.id))
            conn.execute(webhook_tenants.delete().where(webhook_tenants.c.tenant_id == tenant.id))
            conn.execute(tenants.delete().where(tenants.c.id == tenant.id))
    if not backend.schema_per_tenant:
        tenant_files.remove(tenancy.tenant_file(tenant.name))
    tenancy.forget(tenant)  # a request may have reopened it meanwhile
