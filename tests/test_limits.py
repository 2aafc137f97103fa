"""Batch limits and atomicity: 10,000 rows accepted, 10,001 refused with 413, the limits are
settings, and a batch with one bad row writes nothing (checked through the API and in the
physical table)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from app.main import create_app
from app.tenancy import Tenancy
from tests.conftest import Api, Backend, TenantCtx
from tests.support import (
    assert_error,
    column,
    create_table,
    flat,
    row,
    row_count,
    upsert,
    upsert_ok,
)

COLUMNS = [column("Name", 6), column("Price", 4), column("Active", 0)]


def _rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [row(i, Name=f"n{i}", Price=f"{i}.25", Active=i % 2 == 0) for i in range(start, count)]


def _physical_rows(tenant: TenantCtx, table: str) -> list[tuple[Any, ...]]:
    """What the database itself holds, read with SQLAlchemy past the API."""
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.read() as conn:
        physical = sa.Table(table, sa.MetaData(), schema=space.schema, autoload_with=conn)
        return [tuple(r) for r in conn.execute(sa.select(physical).order_by(physical.c.Id))]


def test_ten_thousand_rows_in_one_batch(api: Api) -> None:
    create_table(api, "Big", columns=COLUMNS)
    result = upsert_ok(api, "Big", _rows(10_000))
    assert result["Inserted"] == 10_000
    assert result["Updated"] == 0
    assert result["KeyValues"] == list(range(10_000))
    assert row_count(api, "Big") == 10_000
    again = upsert_ok(api, "Big", _rows(10_000, start=5_000) + _rows(5_000))
    assert (again["Inserted"], again["Updated"]) == (0, 10_000)
    rows = flat(api, "Big", Skip=9_998)
    assert rows == [
        {"Id": 9998, "Name": "n9998", "Price": 9998.25, "Active": True},
        {"Id": 9999, "Name": "n9999", "Price": 9999.25, "Active": False},
    ]
    assert len(flat(api, "Big")) == 10_000


def test_ten_thousand_and_one_rows_is_413(tenant: TenantCtx) -> None:
    api = tenant.admin
    create_table(api, "Big", columns=COLUMNS)
    response = upsert(api, "Big", _rows(10_001))
    assert_error(response, 413, "at most 10000 rows", "10001", code="PAYLOAD_TOO_LARGE")
    assert row_count(api, "Big") == 0
    assert _physical_rows(tenant, "Big") == []


def test_bad_last_row_of_a_big_batch_writes_nothing(tenant: TenantCtx) -> None:
    api = tenant.admin
    create_table(api, "Big", columns=COLUMNS)
    rows = _rows(10_000)
    rows[-1]["Columns"].append({"ColumnName": "Colour", "Value": "red"})
    assert_error(upsert(api, "Big", rows), 400, "Row 9999, column 'Colour'")
    assert row_count(api, "Big") == 0
    assert _physical_rows(tenant, "Big") == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"ColumnName": "Price", "Value": "ten"}, "Row 2, column 'Price': expected a number"),
        ({"ColumnName": "Name", "Value": "x" * 101}, "Row 2, column 'Name'"),
        ({"ColumnName": "Nope", "Value": 1}, "Row 2, column 'Nope'"),
        ({"ColumnName": "Active", "Value": "maybe"}, "Row 2, column 'Active'"),
    ],
)
def test_one_bad_row_rejects_the_whole_batch(
    tenant: TenantCtx, bad: dict[str, Any], message: str
) -> None:
    api = tenant.admin
    create_table(api, "Atomic", columns=COLUMNS)
    upsert_ok(api, "Atomic", [row(0, Name="before", Price=1)])
    before = _physical_rows(tenant, "Atomic")
    rows = [row(0, Name="after", Price=2), row(1, Name="new"), row(2, Name="bad"), row(3)]
    rows[2]["Columns"].append(bad)
    assert_error(upsert(api, "Atomic", rows), 400, message)
    assert flat(api, "Atomic") == [{"Id": 0, "Name": "before", "Price": 1, "Active": None}]
    assert _physical_rows(tenant, "Atomic") == before
    assert len(before) == 1


def test_bad_key_rejects_the_whole_batch(tenant: TenantCtx) -> None:
    api = tenant.admin
    create_table(api, "Atomic", columns=COLUMNS)
    response = upsert(api, "Atomic", [row(1, Name="a"), row("two", Name="b")])
    assert_error(response, 400, "Row 1, column 'Id'")
    assert _physical_rows(tenant, "Atomic") == []


@pytest.fixture
def small_limits(backend: Backend, tenancy: Tenancy) -> Iterator[TestClient[Any]]:
    """The same databases served with CUSTOMTABLES_MAX_BATCH_ROWS=3, MAX_BODY_BYTES=4096."""
    settings = dataclasses.replace(backend.settings, max_batch_rows=3, max_body_bytes=4096)
    limited = Tenancy(settings)
    app = create_app(settings, limited)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    limited.dispose()


def test_limits_are_settings(tenant: TenantCtx, small_limits: TestClient[Any]) -> None:
    create_table(tenant.admin, "Small", columns=COLUMNS)
    api = Api(small_limits, tenant.admin.token)
    assert upsert_ok(api, "Small", _rows(3))["Inserted"] == 3
    assert_error(upsert(api, "Small", _rows(4)), 413, "at most 3 rows")
    big_body = [row(1, Name="y" * 5000)]  # one row: only the body size can refuse it with 413
    assert_error(upsert(api, "Small", big_body), 413, "too large", code="PAYLOAD_TOO_LARGE")
    assert row_count(api, "Small") == 3
