"""Concurrent schema changes on one table: one creates it, the others extend it; no 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ddl import schema
from ddl.access import Caller
from tests.conftest import TenantCtx


def test_concurrent_creates_of_one_table(tenant: TenantCtx) -> None:
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    caller = Caller.of("admin", ["Admin"])

    def create(index: int) -> bool:
        spec = schema.check_spec("Race", "Id", 3, None, [(f"C{index}", 6, None)])
        return schema.create_or_extend(space, caller, spec)[1]

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(create, range(8)))
    assert created.count(True) == 1
    definition = tenant.admin.get("custom-tables/Race").json()
    assert sorted(c["ColumnName"] for c in definition["Columns"]) == [f"C{i}" for i in range(8)]
