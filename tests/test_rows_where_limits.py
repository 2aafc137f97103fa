"""Limits on what a `Where` may cost (SPEC §9, §10), from a hostile tenant's probes: a top-level
OR never breaks paging, a condition that runs too long is stopped (408, nothing deleted), and
a filtered read counts against the tenant's share of heavy work (429 past it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from app.main import create_app
from tests.conftest import Api, Backend, TenantCtx
from tests.support import assert_error, create_table, upsert_rows

SLOW = "LEN(REPLACE(REPLACE(Name, 'a', 'bb'), 'b', 'cc')) > 100000"


def test_a_top_level_or_pages_every_row_once(api: Api) -> None:
    create_table(
        api, "Seven", key="Id", key_type=3, columns=[{"ColumnName": "Name", "ColumnDataTypeId": 6}]
    )
    upsert_rows(api, "Seven", [{"Id": i, "Name": f"n{i}"} for i in range(1, 8)], key="Id")
    seen: list[int] = []
    params: dict[str, Any] = {"Format": "flat", "Top": 2, "Where": "Id > 0 OR Id < 0"}
    url = "custom-tables/Seven/rows/values"
    for _ in range(10):
        response = api.get(url, params=params or None)  # a followed link carries its query
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= 2
        seen += [row["Id"] for row in page]
        link = response.headers.get("link")
        if link is None:
            break
        url, params = link.split(";")[0].strip("<> "), {}
    assert seen == list(range(1, 8))


@pytest.fixture
def impatient(backend: Backend, tenant: TenantCtx) -> Iterator[Api]:
    """The tenant's admin on an app whose time limit is a few milliseconds."""
    settings = dataclasses.replace(backend.settings, query_timeout_seconds=0.005)
    app = create_app(settings, tenant.tenancy)
    app.on_shutdown.clear()  # the suite's tenancy owns the engines
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tenant.admin.token)


def _fill(tenant: TenantCtx, table: str, rows: int) -> None:
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    with space.write() as conn:
        numbers = (
            f"SELECT g, 'name ' || g FROM generate_series(1, {rows}) AS g"
            if conn.dialect.name == "postgresql"
            else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            f"WHERE x < {rows}) "
            "SELECT x, 'name ' || x FROM c"
        )
        conn.execute(sa.text(f'INSERT INTO "{space.schema}"."{table}" ("Id", "Name") {numbers}'))


def test_a_where_past_the_time_limit_is_stopped(
    api: Api, impatient: Api, tenant: TenantCtx
) -> None:
    create_table(
        api, "Many", key="Id", key_type=3, columns=[{"ColumnName": "Name", "ColumnDataTypeId": 6}]
    )
    _fill(tenant, "Many", 200_000)
    read = impatient.get("custom-tables/Many/rows/values", params={"Where": SLOW, "Top": 1})
    assert_error(read, 408, "Where took longer than the time limit", code="TIMEOUT")
    counted = impatient.get(
        "custom-tables/Many/rows/values", params={"Where": SLOW, "Count": "true"}
    )
    assert_error(counted, 408, "time limit", code="TIMEOUT")
    deleted = impatient.request(
        "DELETE",
        "custom-tables/Many/rows",
        json={
            "OperationType": "DeleteWhere",
            "DeleteWhereModel": {"Where": f"NOT ({SLOW})"},
        },
    )
    assert_error(deleted, 408, "time limit", code="TIMEOUT")
    count = api.get("custom-tables/Many/rows/values", params={"Top": 0, "Count": "true"})
    assert count.headers["x-total-count"] == "200000"  # nothing was deleted
    plain = impatient.get("custom-tables/Many/rows/values", params={"Top": 5, "Format": "flat"})
    assert [row["Id"] for row in plain.json()] == [1, 2, 3, 4, 5]  # no Where: no limit


def test_filtered_reads_count_in_the_tenants_heavy_share(
    client: TestClient[Any], api: Api, tenant: TenantCtx
) -> None:
    create_table(
        api, "Shared", key="Id", key_type=3, columns=[{"ColumnName": "Name", "ColumnDataTypeId": 6}]
    )
    first = api.get("custom-tables/Shared/rows/values", params={"Where": "Id = 1"})
    assert first.status_code == 200, first.text  # (the first heavy request makes the pool)
    heavy = client.app.state.heavy
    owner = tenant.tenancy.get_tenant(tenant.name)  # the key the routes admit under
    held = [heavy.admit(owner) for _ in range(heavy.per_tenant)]
    try:
        refused = api.get("custom-tables/Shared/rows/values", params={"Where": "Id = 1"})
        assert_error(refused, 429, code="RATE_LIMITED")
        assert refused.headers["retry-after"]
        counted = api.get("custom-tables/Shared/rows/values", params={"Count": "true"})
        assert counted.status_code == 429
        plain = api.get("custom-tables/Shared/rows/values")  # light: never refused
        assert plain.status_code == 200, plain.text
    finally:
        for slot in held:
            slot.release()
    again = api.get("custom-tables/Shared/rows/values", params={"Where": "Id = 1"})
    assert again.status_code == 200, again.text


def test_where_and_delete_where_compare_text_as_sql_server_does(api: Api) -> None:
    """SPEC §10: a Where has the meaning of §5.1, collation included (case-insensitive,
    accent-sensitive, dictionary order), for reads and for DeleteWhere alike."""
    names = ["apple", "Apple", "APPLE", "Banana", "cherry", "éclair", "eclair"]
    create_table(api, "Words", key="Id", key_type=3,
                 columns=[{"ColumnName": "Name", "ColumnDataTypeId": 6}])  # fmt: skip
    upsert_rows(api, "Words", [{"Id": i, "Name": n} for i, n in enumerate(names)], key="Id")

    def matching(where: str) -> list[str]:
        response = api.get(
            "custom-tables/Words/rows/values", params={"Format": "flat", "Where": where}
        )
        assert response.status_code == 200, response.text
        return [row["Name"] for row in response.json()]

    assert matching("Name = 'APPLE'") == ["apple", "Apple", "APPLE"]
    assert matching("Name < 'b'") == ["apple", "Apple", "APPLE"]
    assert matching("Name LIKE 'b%'") == ["Banana"]
    assert matching("Name = 'eclair'") == ["eclair"]
    deleted = api.request("DELETE", "custom-tables/Words/rows", json={
        "OperationType": "DeleteWhere", "DeleteWhereModel": {"Where": "Name <> 'APPLE'"},
    })  # fmt: skip
    assert deleted.json() == {"Deleted": 4}
    assert matching("1 = 1") == ["apple", "Apple", "APPLE"]


@pytest.mark.parametrize(
    ("where", "written", "internal"),
    [
        ("STRING_AGG(Name, ',') = 'x'", "STRING_AGG", "GROUP_CONCAT"),
        ("SCHEMA_NAME() = 'x'", "SCHEMA_NAME", "CURRENT_SCHEMA"),
        ("SUSER_SNAME() = 'x'", "SUSER_SNAME", "CURRENT_USER"),
    ],
)
def test_where_messages_name_functions_as_written(
    api: Api, where: str, written: str, internal: str
) -> None:
    create_table(api, "Named", key="Id", key_type=3,
                 columns=[{"ColumnName": "Name", "ColumnDataTypeId": 6}])  # fmt: skip
    response = api.get("custom-tables/Named/rows/values", params={"Where": where})
    message = assert_error(response, 400, f"function {written} is not allowed")
    assert internal not in message


def test_format_and_newid_work_in_where(api: Api) -> None:
    """FORMAT and NEWID are functions of SPEC §5.1: a Where may use them."""
    create_table(api, "Fmt", key="Id", key_type=3,
                 columns=[{"ColumnName": "Qty", "ColumnDataTypeId": 3}])  # fmt: skip
    upsert_rows(api, "Fmt", [{"Id": 1, "Qty": 1234}, {"Id": 2, "Qty": 5}], key="Id")
    response = api.get("custom-tables/Fmt/rows/values", params={
        "Format": "flat", "Where": "FORMAT(Qty, 'N2') = '1,234.00' AND NEWID() IS NOT NULL",
    })  # fmt: skip
    assert response.status_code == 200, response.text
    assert [row["Id"] for row in response.json()] == [1]
