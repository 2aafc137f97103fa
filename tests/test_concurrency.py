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


def test_concurrent_upserts_of_the_same_new_keys_count_each_row_once(tenant: TenantCtx) -> None:
    """Inserted counts rows this request created: writers racing on the same new keys must
    together report each row inserted exactly once (and the rest as updated)."""
    from app.v3.schemas import ColumnValueIn, UpdateModel
    from ddl import rows

    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    caller = Caller.of("admin", ["Admin"])
    spec = schema.check_spec("Counted", "Id", 3, None, [("Name", 6, None)])
    schema.create_or_extend(space, caller, spec)
    keys = range(3000)

    def upsert(writer: int) -> rows.WriteResult:
        batch = [
            UpdateModel(KeyValue=k, Columns=[ColumnValueIn("Name", f"w{writer}")]) for k in keys
        ]
        return rows.write_rows(
            space, caller, "Counted", rows.WriteOperation.UPSERT_MANY, batch, 10_000
        )

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upsert, range(4)))
    assert sum(result.inserted for result in results) == len(keys)
    assert sum(result.updated for result in results) == 3 * len(keys)
    assert tenant.admin.get("custom-tables/Counted").json()["RowCount"] == len(keys)
