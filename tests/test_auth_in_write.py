"""A row write checks its token inside its own transaction once this process has seen the token
(app/tokens.TokenGuard): a revocation, expiry or deletion committed elsewhere (here straight in
the database, as another process would) still refuses the very next write, and an invalid
token answers 401 even when the body or table would be refused too."""

from __future__ import annotations

import sqlalchemy as sa

from app.metadata import tokens
from app.tenant_admin import delete_tenant
from tests.conftest import Api, TenantCtx
from tests.support import assert_error, column, create_table, row, upsert_ok, values

KEY = "a1b2c3d4-0000-0000-0000-000000000001"


def _update(name: str) -> dict[str, object]:
    return {"OperationType": "Update", "UpdateModel": row(KEY, Name=name)}


def _ready(tenant: TenantCtx) -> tuple[Api, str]:
    """A writer whose token already wrote once (so this process vouches for it) and a table."""
    columns = [column("Name", 5)]
    create_table(tenant.admin, "Guarded", key_type=9, columns=columns, SaveRoles=["Writer"])
    table = "Guarded"
    api = tenant.api("Writer", user="writer")
    upsert_ok(api, table, [row(KEY, Name="first")])
    assert api.put(f"custom-tables/{table}/rows", json=_update("second")).status_code == 200
    return api, table


def _set_in_database(tenant: TenantCtx, api: Api, **values: object) -> None:
    """Change the token's row with no help from this process's code (another process)."""
    with tenant.tenancy.meta.begin() as conn:
        conn.execute(tokens.update().where(tokens.c.prefix == api.token[:10]).values(**values))


def _stored_name(tenant: TenantCtx, table: str) -> str:
    [stored] = values(tenant.admin, table)
    return str(stored["Columns"][0]["Value"])


def test_revoked_elsewhere_refuses_the_next_write(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    _set_in_database(tenant, api, revoked_at="2020-01-01T00:00:00.000000Z")
    assert_error(api.put(f"custom-tables/{table}/rows", json=_update("third")), 401, "not valid")
    assert _stored_name(tenant, table) == "second"


def test_expired_refuses_the_next_write(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    _set_in_database(tenant, api, expires_at="2020-01-01T00:00:00.000000Z")
    assert_error(api.put(f"custom-tables/{table}/rows", json=_update("third")), 401, "not valid")
    assert _stored_name(tenant, table) == "second"


def test_revoked_token_is_401_before_a_bad_body_or_table(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    _set_in_database(tenant, api, revoked_at="2020-01-01T00:00:00.000000Z")
    bad_body = {"OperationType": "Update", "UpdateModel": row(KEY, Nope=1)}
    assert_error(api.put(f"custom-tables/{table}/rows", json=bad_body), 401, "not valid")
    assert_error(api.put("custom-tables/Missing/rows", json=_update("x")), 401, "not valid")
    assert_error(api.put(f"custom-tables/{table}/rows", content=b"{"), 401, "not valid")


def test_a_live_token_still_gets_the_write_errors(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    missing = {"OperationType": "Update", "UpdateModel": row(KEY.replace("1", "2"), Name="x")}
    assert_error(api.put(f"custom-tables/{table}/rows", json=missing), 404)
    assert_error(api.put("custom-tables/Missing/rows", json=_update("x")), 404)
    reader = tenant.api("Reader", user="reader")
    assert_error(reader.put(f"custom-tables/{table}/rows", json=_update("x")), 403)
    assert reader.get("custom-tables").status_code == 200  # vouched for now
    assert_error(reader.put(f"custom-tables/{table}/rows", json=_update("x")), 403)
    assert_error(reader.put(f"custom-tables/{table}/rows", json=_update("y")), 403)
    assert _stored_name(tenant, table) == "second"


def test_token_deleted_with_its_tenant_is_401(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    delete_tenant(tenant.tenancy, tenant.name)
    assert_error(api.put(f"custom-tables/{table}/rows", json=_update("third")), 401)


def test_a_write_records_the_token_use(tenant: TenantCtx) -> None:
    api, table = _ready(tenant)
    _set_in_database(tenant, api, last_used_at=None)
    assert api.put(f"custom-tables/{table}/rows", json=_update("third")).status_code == 200
    with tenant.tenancy.meta.connect() as conn:
        used = conn.execute(
            sa.select(tokens.c.last_used_at).where(tokens.c.prefix == api.token[:10])
        ).scalar_one()
    assert used is not None
