"""A saved query's run checks its token inside the run's own transaction once this process has
seen the token (app/tokens.TokenGuard, read with the saved query): a revocation, expiry, grant
change or deletion committed elsewhere (here straight in the database, as another process
would) still counts on the very next run, and an invalid token answers 401 before the
arguments, the query's name or the tenant's share are judged."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from app.metadata import tokens
from app.tenant_admin import delete_tenant
from tests.conftest import Api, TenantCtx
from tests.support import assert_error, column, create_table, row, upsert_ok

KEY = "a1b2c3d4-0000-0000-0000-000000000001"
REVOKED = {"revoked_at": "2020-01-01T00:00:00.000000Z"}


def _ready(tenant: TenantCtx) -> Api:
    """A reader whose token already ran the query once (so this process vouches for it)."""
    create_table(
        tenant.admin, "Watched", "Oid", 9, columns=[column("Name", 5)], ReadRoles=["Reader"]
    )
    upsert_ok(tenant.admin, "Watched", [row(KEY, Name="first")])
    saved = tenant.admin.post(
        "queries",
        json={
            "Name": "ByKey",
            "Namespace": "CustomTable",
            "Sql": "SELECT Name FROM [customtables].[Watched] WHERE Oid = @k",
            "Parameters": [{"Name": "k", "DataTypeId": 9}],
        },
    )
    assert saved.status_code == 201, saved.text
    api = tenant.api("Reader", user="reader")
    assert _names(api.get("queries/ByKey/execute", params={"k": KEY})) == ["first"]
    return api


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [found["Name"] for found in response.json()["Rows"]]


def _set_in_database(tenant: TenantCtx, api: Api, **changed: object) -> None:
    """Change the token's row with no help from this process's code (another process)."""
    with tenant.tenancy.meta.begin() as conn:
        conn.execute(tokens.update().where(tokens.c.prefix == api.token[:10]).values(**changed))


def test_revoked_elsewhere_refuses_the_next_run(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    _set_in_database(tenant, api, **REVOKED)
    assert_error(api.get("queries/ByKey/execute", params={"k": KEY}), 401, "not valid")
    assert_error(api.post("queries/ByKey/execute", json={"k": KEY}), 401, "not valid")
    csv = api.get("queries/ByKey/execute", params={"k": KEY, "Format": "csv"})
    assert_error(csv, 401, "not valid")


def test_expired_refuses_the_next_run(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    _set_in_database(tenant, api, expires_at="2020-01-01T00:00:00.000000Z")
    assert_error(api.get("queries/ByKey/execute", params={"k": KEY}), 401, "not valid")


def test_revoked_token_is_401_before_any_other_refusal(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    _set_in_database(tenant, api, **REVOKED)
    assert_error(api.get("queries/ByKey/execute", params={"k": "not-a-uuid"}), 401, "not valid")
    assert_error(api.post("queries/ByKey/execute", content=b"{"), 401, "not valid")
    assert_error(api.get("queries/Missing/execute"), 401, "not valid")


def test_a_live_token_still_gets_the_run_errors(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    assert_error(api.get("queries/ByKey/execute", params={"k": "not-a-uuid"}), 400)
    assert_error(api.post("queries/ByKey/execute", content=b"{"), 400)
    assert_error(api.get("queries/Missing/execute"), 404)
    assert _names(api.get("queries/ByKey/execute", params={"k": KEY})) == ["first"]


def test_grants_changed_elsewhere_count_on_the_next_run(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    _set_in_database(tenant, api, roles=msgspec.json.encode(["Stranger"]).decode())
    assert_error(api.get("queries/ByKey/execute", params={"k": KEY}), 403)
    _set_in_database(tenant, api, roles=msgspec.json.encode(["Reader"]).decode())
    assert _names(api.get("queries/ByKey/execute", params={"k": KEY})) == ["first"]


def test_token_deleted_with_its_tenant_is_401(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    delete_tenant(tenant.tenancy, tenant.name)
    assert_error(api.get("queries/ByKey/execute", params={"k": KEY}), 401)


def test_a_run_records_the_token_use(tenant: TenantCtx) -> None:
    api = _ready(tenant)
    _set_in_database(tenant, api, last_used_at=None)
    assert _names(api.get("queries/ByKey/execute", params={"k": KEY})) == ["first"]
    with tenant.tenancy.meta.connect() as conn:
        used = conn.execute(
            sa.select(tokens.c.last_used_at).where(tokens.c.prefix == api.token[:10])
        ).scalar_one()
    assert used is not None


def test_an_unknown_format_is_401_first_for_a_bad_token(tenant: TenantCtx) -> None:
    """`Format` was judged in the route before the run's token check: a revoked token (or
    none) got the 400 'Format must be …' instead of its 401."""
    api = _ready(tenant)
    assert_error(api.get("queries/ByKey/execute", params={"k": KEY, "Format": "xml"}), 400)
    assert_error(api.post("queries/ByKey/execute", params={"Format": "xml"}), 400)
    _set_in_database(tenant, api, **REVOKED)
    for answer in (
        api.get("queries/ByKey/execute", params={"k": KEY, "Format": "xml"}),
        api.post("queries/ByKey/execute", params={"Format": "xml"}, json={"k": KEY}),
        api.get("queries/Missing/execute", params={"Format": "xml"}),
    ):
        assert_error(answer, 401, "not valid")
    nobody = tenant.client.get("/api/v3/queries/ByKey/execute", params={"Format": "xml"})
    assert_error(nobody, 401)
