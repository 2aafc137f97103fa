"""The row cap under concurrent inserts, per-key rate limits, and v1 tables as real SQL tables
sharing one name space with v3 tables."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from app.main import create_app
from app.tenancy import Tenancy
from tests.conftest import Backend, TenantCtx, new_tenant
from tests.v1_support import BOTH, create_row, create_table, error, ok, v1_api


def test_row_cap_holds_under_20_concurrent_inserts(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, maxRows=10)
    create_row(api, table["id"], {"i": -1})
    url = f"/api/v1/tables/{table['id']}/rows"

    def insert(i: int) -> Any:
        return api.post(url, json={"data": {"i": i}})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(insert, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 9 + [400] * 11
    for response in responses:
        if response.status_code == 400:
            message = error(response, 400, "BAD_REQUEST")
            assert message == "Table has reached its maximum row limit of 10"
    assert ok(api.get(f"/api/v1/tables/{table['id']}"))["rowCount"] == 10
    assert len(ok(api.get(url, params={"limit": 100}))) == 10


def test_row_count_stays_right_under_concurrent_inserts_and_deletes(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, maxRows=100)
    url = f"/api/v1/tables/{table['id']}/rows"
    doomed = [create_row(api, table["id"], {"old": i})["id"] for i in range(10)]

    def work(i: int) -> Any:
        if i < 10:
            return api.delete(f"{url}/{doomed[i]}")
        if i < 20:  # each old row deleted twice at once: exactly one wins
            return api.delete(f"{url}/{doomed[i - 10]}")
        return api.post(url, json={"data": {"new": i}})

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [r.status_code for r in pool.map(work, range(30))]
    assert sorted(statuses[:20]) == [200] * 10 + [404] * 10
    assert statuses[20:] == [201] * 10
    listed = ok(api.get(url, params={"limit": 100}))
    assert len(listed) == 10
    assert ok(api.get(f"/api/v1/tables/{table['id']}"))["rowCount"] == 10


# --- rate limits --------------------------------------------------------------------------------


class Clock:
    """Litestar's rate-limit middleware reads `time()`; a clock the test moves forward shows
    recovery without waiting a real minute."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("litestar.middleware.rate_limit.time", clock)
    return clock


def _limited_client(
    backend: Backend, tenancy: Tenancy, **overrides: Any
) -> Iterator[TestClient[Any]]:
    settings = dataclasses.replace(
        backend.settings, rate_limit_reads=5, rate_limit_writes=3, **overrides
    )
    app = create_app(settings, tenancy)
    app.on_shutdown.clear()  # the session's tenancy owns the engines
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _check_limits(client: TestClient[Any], tenancy: Tenancy, clock: Clock) -> None:
    tenant = new_tenant(tenancy, client)
    api, other = v1_api(tenant, *BOTH), v1_api(tenant, *BOTH)
    table = create_table(api)  # write 1 of 3
    url = f"/api/v1/tables/{table['id']}"
    for _ in range(5):
        ok(api.get(url))
    limited = api.get(url)
    error(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["Retry-After"]) == 60
    assert limited.headers["RateLimit-Limit"] == "5"
    # writes have a bucket of their own, and so does every other key
    create_row(api, table["id"], {"a": 1})
    create_row(api, table["id"], {"a": 2})
    error(api.post(f"{url}/rows", json={"data": {"a": 3}}), 429, "RATE_LIMITED")
    ok(other.get(url))
    # a refused request does nothing
    assert ok(other.get(url))["rowCount"] == 2
    # the window ends: both buckets recover
    clock.now += 61
    assert ok(api.get(url))["rowCount"] == 2
    create_row(api, table["id"], {"a": 3})
    error(v1_api(tenant).get(url), 403, "FORBIDDEN")  # a key is counted before its scopes


def test_rate_limits_reached_and_recovered(
    backend: Backend, tenancy: Tenancy, clock: Clock
) -> None:
    for client in _limited_client(backend, tenancy):
        _check_limits(client, tenancy, clock)


def test_rate_limits_in_redis(backend: Backend, tenancy: Tenancy, clock: Clock) -> None:
    """Redis is a real dependency of this test, like PostgreSQL: .ci/run starts it."""
    redis_url = os.environ.get("CUSTOMTABLES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    for client in _limited_client(backend, tenancy, redis_url=redis_url):
        _check_limits(client, tenancy, clock)


# --- real tables, one name space ----------------------------------------------------------------


def test_a_v1_table_is_a_real_sql_table(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, name="Processed Invoices")
    create_row(api, table["id"], {"stripeInvoiceId": "in_1", "amountCents": 9900}, position=1)
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        columns = sa.inspect(conn).get_columns("Processed_Invoices", schema=space.schema)
        assert [c["name"] for c in columns] == ["id", "data", "position", "createdAt", "updatedAt"]
        physical = sa.Table("Processed_Invoices", sa.MetaData(), schema=space.schema)
        row = conn.execute(
            sa.select(sa.text("*")).select_from(physical)  # what a saved query would see
        ).one()
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    assert data == {"stripeInvoiceId": "in_1", "amountCents": 9900}
    assert row.position == 1


def test_sql_names_are_unique_across_v1_and_v3(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    v3_table = {"KeyColumnName": "Oid", "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}
    assert tenant.admin.post("custom-tables/Invoices", json=v3_table).status_code == 201
    first = create_table(api, name="invoices")  # taken by the v3 table, any case
    second = create_table(api, name="Invoices!")
    assert (first["sqlName"], second["sqlName"]) == ("invoices_2", "Invoices_3")
    assert create_table(api, name="2024 report")["sqlName"] == "t_2024_report"
    assert create_table(api, name="Café Überblick")["sqlName"] == "Cafe_Uberblick"
    assert create_table(api, name="???")["sqlName"] == "Table"

    refused = tenant.admin.post("custom-tables/INVOICES_2", json=v3_table)
    assert refused.status_code == 409, refused.text
    assert refused.json()["Code"] == "CONFLICT"
    assert "v1" in refused.json()["Message"]
    # a rename keeps the SQL name, so the name stays taken
    ok(api.patch(f"/api/v1/tables/{first['id']}", json={"name": "Renamed"}))
    assert tenant.admin.post("custom-tables/invoices_2", json=v3_table).status_code == 409
    ok(api.delete(f"/api/v1/tables/{first['id']}"))
    assert tenant.admin.post("custom-tables/invoices_2", json=v3_table).status_code == 201


def test_expired_counters_of_the_memory_store_are_purged() -> None:
    """Counters of keys never seen again must not pile up in the in-memory store."""
    from litestar.stores.memory import MemoryStore

    from app.v1.ratelimit import purge_forever

    async def scenario() -> list[bool]:
        store = MemoryStore()
        await store.set("made-up-key-1", b"1", expires_in=1)
        await store.set("kept", b"1", expires_in=3600)
        await anyio.sleep(1.05)
        with anyio.move_on_after(0.3):
            await purge_forever(store, every=0.05)
        return ["made-up-key-1" in store._store, "kept" in store._store]

    assert anyio.run(scenario) == [False, True]
