"""Edge cases found in review, each once a 500 or a wrong answer, now a clear answer."""

from __future__ import annotations

import pytest

from tests.conftest import Api, TenantCtx
from tests.v1_support import BOTH, create_table, error, v1_api

HUGE = "99999999999999999999"  # past 64 bits


def test_v1_table_named_like_sqlites_own_tables(tenant: TenantCtx) -> None:
    table = create_table(v1_api(tenant, *BOTH), name="sqlite_master")
    assert table["name"] == "sqlite_master"
    assert table["sqlName"] == "t_sqlite_master"


def test_paging_past_64_bits_is_a_400(tenant: TenantCtx, api: Api) -> None:
    response = api.get("audit-logs", params={"Skip": HUGE})
    assert response.status_code == 400
    assert "Skip" in response.json()["Message"]
    v1 = v1_api(tenant, *BOTH)
    table = create_table(v1, name="Paged")
    error(v1.get(f"/api/v1/tables/{table['id']}/rows", params={"offset": HUGE}), 400, "BAD_REQUEST")


@pytest.mark.parametrize("roles", [[""], ["   "], [3]])
def test_roles_given_at_create_are_checked(api: Api, roles: list[object]) -> None:
    response = api.post("custom-tables/Roles", json={"KeyColumnName": "K", "ReadRoles": roles})
    assert response.status_code == 400
    assert "ReadRoles" in response.json()["Message"]
    assert api.get("custom-tables/Roles").status_code == 404


def test_money_has_no_negative_zero(api: Api, products: str) -> None:
    row = {
        "KeyValue": "a1b2c3d4-0000-0000-0000-000000000001",
        "Columns": [{"ColumnName": "Price", "Value": -0.00001}],
    }
    response = api.put(
        f"custom-tables/{products}/rows",
        json={"OperationType": "UpsertMany", "UpsertManyModel": [row]},
    )
    assert response.status_code == 200
    body = api.get(f"custom-tables/{products}/rows/values", params={"Format": "flat"}).content
    assert b'"Price":0,' in body or b'"Price":0}' in body
