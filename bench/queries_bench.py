"""Saved-query overhead: parse + check + plan (cold and cached), and a full run through the
service against the translated SQL run directly on the driver.

    .venv/bin/python -m bench.queries_bench                 # SQLite in a temporary directory
    .venv/bin/python -m bench.queries_bench postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import msgspec

from app.cli import bootstrap
from app.settings import Settings
from app.tenancy import Tenancy
from app.v3.schemas import UpdateModel, decoder
from bench.common import scratch_database
from ddl import rows, schema
from ddl.access import Caller
from queries import plan as plan_module
from queries import service
from queries.parse import parse

SQL = """
WITH Totals AS (
    SELECT ProductOid, SUM(Qty) AS Units, COUNT(*) AS Orders
    FROM [customtables].[Orders] WHERE CreatedOn >= @since GROUP BY ProductOid
)
SELECT TOP 50 p.Name, ISNULL(t.Units, 0) AS Units, t.Units * p.Price AS Revenue,
       ROW_NUMBER() OVER (ORDER BY t.Units DESC) AS Position
FROM [customtables].[ProductCatalog] p
JOIN Totals t ON t.ProductOid = p.Oid
WHERE p.IsActive = 1
ORDER BY Units DESC, p.Name
"""
PRODUCTS, ORDERS = 200, 5000
ADMIN = Caller.of("bench", ["Admin"])
TENANT = f"bench{uuid.uuid4().hex[:8]}"  # its reader role is cluster-wide: unique per run
LIMITS = service.Limits(5.0, 10_000)


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median seconds per call."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def setup(url: str) -> Tenancy:
    data = Path(tempfile.mkdtemp())
    tenancy = Tenancy(Settings.from_env(data_dir=data, database_url=url))
    bootstrap(tenancy)
    tenancy.create_tenant(TENANT)
    space = tenancy.space(tenancy.get_tenant(TENANT))
    for name, key, key_type, columns in (
        (
            "ProductCatalog",
            "Oid",
            9,
            [("Name", 6, None), ("Price", 4, None), ("IsActive", 0, None)],
        ),
        ("Orders", "Id", 3, [("ProductOid", 9, None), ("Qty", 3, None), ("CreatedOn", 1, None)]),
    ):
        schema.create_or_extend(space, ADMIN, schema.check_spec(name, key, key_type, None, columns))
    oids = [str(uuid.uuid4()) for _ in range(PRODUCTS)]
    write = rows.WriteOperation.UPSERT_MANY

    def cells(**values: object) -> list[dict[str, object]]:
        return [{"ColumnName": k, "Value": v} for k, v in values.items()]

    product_rows = [
        {"KeyValue": oid, "Columns": cells(Name=f"P{i}", Price=i + 0.99, IsActive=i % 3 != 0)}
        for i, oid in enumerate(oids)
    ]
    order_rows = [
        {
            "KeyValue": i,
            "Columns": cells(ProductOid=oids[i % PRODUCTS], Qty=i % 7 + 1, CreatedOn="2026-01-02"),
        }
        for i in range(ORDERS)
    ]
    models = decoder(list[UpdateModel])
    rows.write_rows(
        space,
        ADMIN,
        "ProductCatalog",
        write,
        models.decode(msgspec.json.encode(product_rows)),
        100_000,
    )
    rows.write_rows(
        space, ADMIN, "Orders", write, models.decode(msgspec.json.encode(order_rows)), 100_000
    )
    params = [service.ParameterDef("since", 1, "2026-01-01")]
    service.create(
        space, ADMIN, service.QueryInput("Top", "CustomTable", SQL, None, params), LIMITS
    )
    return tenancy


def main() -> None:
    with scratch_database(sys.argv[1] if len(sys.argv) > 1 else "") as url:
        measure(setup(url))


def measure(tenancy: Tenancy) -> None:
    space = tenancy.space(tenancy.get_tenant(TENANT))
    backend = space.backend.name

    def cold() -> None:
        service.checked.cache_clear()
        service._plans.clear()
        with space.read() as conn:
            service.compile_query(space, conn, SQL, "tsql", LIMITS.max_rows)

    def cached() -> None:
        with space.read() as conn:
            service.compile_query(space, conn, SQL, "tsql", LIMITS.max_rows)

    parse_only = timed(lambda: parse(SQL, "tsql"), 50)
    cold_s = timed(cold, 50)
    cached_s = timed(cached, 500)
    with space.read() as conn:
        _, made = service.compile_query(space, conn, SQL, "tsql", LIMITS.max_rows)
    since = "2026-01-01 00:00:00" if backend == "sqlite" else datetime(2026, 1, 1)
    values = dict.fromkeys(made.binds.values(), since)

    def through_service() -> None:
        result = service.execute(space, ADMIN, "Top", {}, LIMITS, from_text=False)
        assert len(result.rows) == 50

    def direct() -> None:
        with space.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            cursor = raw.cursor()
            cursor.execute(made.sql, values)
            assert len(cursor.fetchall()) == 50
            cursor.close()
            raw.rollback()

    through_service()
    direct()
    run_s = timed(through_service, 200)
    direct_s = timed(direct, 200)
    ms = 1000
    print(f"backend: {backend}   plan module: {plan_module.__name__}")
    print(f"parse only (sqlglot, T-SQL)          {parse_only * ms:8.3f} ms")
    print(f"parse+check+plan, cold               {cold_s * ms:8.3f} ms")
    print(f"compile, cached (+ catalog reads)    {cached_s * ms:8.3f} ms")
    print(f"run through the service              {run_s * ms:8.3f} ms")
    print(f"translated SQL run directly          {direct_s * ms:8.3f} ms")
    print(f"overhead per run (cached plan)       {(run_s - direct_s) * ms:8.3f} ms "
          f"({(run_s / direct_s - 1) * 100:.0f}%)")  # fmt: skip
    tenancy.dispose()


if __name__ == "__main__":
    main()
