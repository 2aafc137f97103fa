"""Tenants as a server administrator sees them: name, tables, rows, created (CLI `tenant
list`, `GET /api/admin/tenants`). Counts come from each tenant's own catalog, never from a
cache, so every worker and host gives the same answer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.metadata import tenants
from app.tenancy import Tenancy, Tenant
from ddl import catalog, schema


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
