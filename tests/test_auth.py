"""Authentication (401 for missing, unknown, revoked, expired tokens), tenant isolation (another
tenant's table is the same 404 as a missing one, on every route), and roles (403s)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.metadata import tokens
from app.tokens import create_token, revoke_token
from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx
from tests.support import assert_error, column, create_table, row, upsert_ok

KEY = "a1b2c3d4-0000-0000-0000-000000000001"
WRITE = {"OperationType": "UpsertMany", "UpsertManyModel": [row(KEY, Name="x")]}
DELETE_ALL = {"OperationType": "DeleteAll"}


def every_route(table: str, definition_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, body) for every v3 route that names a table or a definition."""
    return [
        ("GET", f"custom-tables/{table}", None),
        ("DELETE", f"custom-tables/{table}", None),
        ("PUT", f"custom-tables/{table}/rows", WRITE),
        ("DELETE", f"custom-tables/{table}/rows", DELETE_ALL),
        ("GET", f"custom-tables/{table}/rows/values", None),
        ("GET", f"custom-tables/{table}/row?KeyValue={KEY}", None),
        ("GET", f"custom-tables/{table}/rows/columnValue?KeyValue={KEY}&ColumnName=Name", None),
        ("PUT", f"custom-table-definitions/{definition_id}", {"ReadRoles": ["x"]}),
    ]


def _call(api: Api, method: str, path: str, body: dict[str, Any] | None) -> Any:
    return api.request(method, path, json=body) if body is not None else api.request(method, path)


# --- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-AccessToken": ""},
        {"X-AccessToken": "ct_not-a-real-token"},
        {"x-api-key": "placeholder"},  # the v1 header does not authenticate v3
        {"Authorization": "Bearer placeholder"},
    ],
)
def test_missing_or_unknown_token_is_401_everywhere(
    tenant: TenantCtx, products: str, headers: dict[str, str]
) -> None:
    definition = tenant.admin.get(f"custom-tables/{products}").json()
    token = tenant.admin.token
    headers = {k: (token if v == "placeholder" else v) for k, v in headers.items()}
    routes = [
        ("GET", "custom-tables", None),
        ("POST", "custom-tables/New", {"KeyColumnName": "Id"}),
        *every_route(products, definition["Id"]),
    ]
    for method, path, body in routes:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        response = tenant.client.request(method, f"/api/v3/{path}", **kwargs)
        assert_error(response, 401, code="UNAUTHORIZED")
    assert tenant.admin.get("custom-tables").json()[0]["RowCount"] == 0
    assert len(tenant.admin.get("custom-tables").json()) == 1


def test_revoked_token_is_401(tenant: TenantCtx) -> None:
    api = tenant.api("Admin", user="leaver")
    assert api.get("custom-tables").status_code == 200
    revoke_token(tenant.tenancy, api.token)
    assert_error(api.get("custom-tables"), 401, "not valid")
    assert_error(api.post("custom-tables/T", json={"KeyColumnName": "Id"}), 401)
    revoke_token(tenant.tenancy, api.token)  # twice is harmless
    assert tenant.admin.get("custom-tables").json() == []


def test_expired_token_is_401(tenant: TenantCtx) -> None:
    token = create_token(tenant.tenancy, tenant.name, "brief", ["Admin"], expires_in_days=2e-6)
    api = Api(tenant.client, token)
    time.sleep(0.3)  # 2e-6 days is about 0.17 s
    assert_error(api.get("custom-tables"), 401, "not valid")
    lasting = Api(tenant.client, create_token(tenant.tenancy, tenant.name, "u", [], [], 1.0))
    assert lasting.get("custom-tables").status_code == 200


def test_tokens_are_stored_only_as_a_hash(tenant: TenantCtx) -> None:
    token = tenant.api("Reader", user="hashed").token
    with tenant.tenancy.meta.connect() as conn:
        stored = [tuple(r) for r in conn.execute(sa.select(tokens))]
    assert stored
    for record in stored:
        for value in record:
            assert token not in str(value)
            assert token[len("ct_") + 8 :] not in str(value)
    assert len(token) >= len("ct_") + 43  # 32 random bytes, url-safe base64


def test_tokens_are_random_and_distinct(tenant: TenantCtx) -> None:
    made = {tenant.api("Admin").token for _ in range(20)}
    assert len(made) == 20


# --- tenant isolation ---------------------------------------------------------------------------


def test_other_tenants_table_is_404_on_every_route(
    tenant: TenantCtx, other_tenant: TenantCtx, products: str
) -> None:
    upsert_ok(tenant.admin, products, WRITE["UpsertManyModel"])
    definition = tenant.admin.get(f"custom-tables/{products}").json()
    before = tenant.admin.get(f"custom-tables/{products}/rows/values").json()
    stranger = other_tenant.admin
    for method, path, body in every_route(products, definition["Id"]):
        answer = _call(stranger, method, path, body)
        if path.startswith("custom-table-definitions"):
            expected = f"Custom table definition '{definition['Id']}' does not exist"
        else:
            expected = f"Custom table '{products}' does not exist"
        message = assert_error(answer, 404, code="NOT_FOUND")
        assert message == expected, (method, path, message)
        missing = _call(stranger, method, path.replace(products, "NoSuchTable"), body)
        if not path.startswith("custom-table-definitions"):
            assert missing.json()["Message"] == expected.replace(products, "NoSuchTable")
    assert stranger.get("custom-tables").json() == []
    assert tenant.admin.get(f"custom-tables/{products}").json() == definition
    assert tenant.admin.get(f"custom-tables/{products}/rows/values").json() == before


def test_same_table_name_in_two_tenants_is_two_tables(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    create_table(tenant.admin, "Shared", columns=[column("A", 3)])
    response = other_tenant.admin.post(
        "custom-tables/shared", json={"KeyColumnName": "Code", "KeyDataTypeId": 5}
    )
    assert response.status_code == 201, response.text
    upsert_ok(tenant.admin, "Shared", [row(1, A=1)])
    upsert_ok(other_tenant.admin, "Shared", [row("x")])
    assert tenant.admin.get("custom-tables/Shared/rows/values?Format=flat").json() == [
        {"Id": 1, "A": 1}
    ]
    assert other_tenant.admin.get("custom-tables/Shared/rows/values?Format=flat").json() == [
        {"Code": "x"}
    ]
    other_tenant.admin.delete("custom-tables/Shared")
    assert tenant.admin.get("custom-tables/Shared").json()["RowCount"] == 1


# --- roles --------------------------------------------------------------------------------------


@pytest.fixture
def guarded(api: Api) -> str:
    """ProductCatalog readable by Reader and Writer, writable by Writer only, with one row."""
    body = {**PRODUCT_CATALOG, "ReadRoles": ["Reader", "Writer"], "SaveRoles": ["Writer"]}
    assert api.post("custom-tables/Guarded", json=body).status_code == 201
    upsert_ok(api, "Guarded", [row(KEY, Name="kept")])
    return "Guarded"


READS = [
    ("GET", "custom-tables/Guarded/rows/values", None),
    ("GET", f"custom-tables/Guarded/row?KeyValue={KEY}", None),
    ("GET", f"custom-tables/Guarded/rows/columnValue?KeyValue={KEY}&ColumnName=Name", None),
]
WRITES = [
    ("PUT", "custom-tables/Guarded/rows", WRITE),
    (
        "DELETE",
        "custom-tables/Guarded/rows",
        {"OperationType": "Delete", "DeleteModel": {"KeyValue": KEY}},
    ),
    ("DELETE", "custom-tables/Guarded/rows", DELETE_ALL),
]


@pytest.mark.parametrize(
    ("roles", "can_read", "can_write"),
    [
        ((), False, False),
        (("Reader",), True, False),
        (("reader",), True, False),
        (("Writer",), True, True),
        (("Other", "WRITER"), True, True),
        (("Saver",), False, False),
        (("Admin",), True, True),
        (("admin",), True, True),
    ],
)
def test_read_and_save_roles(
    tenant: TenantCtx, guarded: str, roles: tuple[str, ...], can_read: bool, can_write: bool
) -> None:
    user = tenant.api(*roles)
    assert user.get("custom-tables").status_code == 200  # any user lists and reads definitions
    assert user.get(f"custom-tables/{guarded}").status_code == 200
    for method, path, body in READS:
        answer = _call(user, method, path, body)
        if can_read:
            assert answer.status_code == 200, (path, answer.text)
        else:
            assert_error(answer, 403, "read role of custom table 'Guarded'", code="FORBIDDEN")
    for method, path, body in WRITES:
        answer = _call(user, method, path, body)
        if can_write:
            assert answer.status_code == 200, (path, answer.text)
            upsert_ok(tenant.admin, guarded, [row(KEY, Name="kept")])
        else:
            assert_error(answer, 403, "save role of custom table 'Guarded'", code="FORBIDDEN")
    assert tenant.admin.get(f"custom-tables/{guarded}/rows/values?Format=flat").json() == [
        {"Oid": KEY, "Name": "kept", "Price": None, "IsActive": None}
    ]


def test_empty_role_lists_let_any_user_read_and_write(tenant: TenantCtx, products: str) -> None:
    nobody = tenant.api()
    assert upsert_ok(nobody, products, [row(KEY, Name="a")])["Inserted"] == 1
    for method, path, body in [
        ("GET", f"custom-tables/{products}/rows/values", None),
        ("GET", f"custom-tables/{products}/row?KeyValue={KEY}", None),
        ("GET", f"custom-tables/{products}/rows/columnValue?KeyValue={KEY}&ColumnName=Name", None),
        ("DELETE", f"custom-tables/{products}/rows", DELETE_ALL),
    ]:
        assert _call(nobody, method, path, body).status_code == 200, path


def test_roles_change_takes_effect_at_once(tenant: TenantCtx, products: str) -> None:
    user = tenant.api("Clerk")
    assert user.get(f"custom-tables/{products}/rows/values").status_code == 200
    definition_id = tenant.admin.get(f"custom-tables/{products}").json()["Id"]
    tenant.admin.put(f"custom-table-definitions/{definition_id}", json={"ReadRoles": ["Boss"]})
    assert_error(user.get(f"custom-tables/{products}/rows/values"), 403)
    assert upsert_ok(user, products, [row(KEY)])["Inserted"] == 1  # SaveRoles still empty


@pytest.mark.parametrize("roles", [(), ("Reader", "Writer"), ("Administrator",)])
def test_schema_changes_need_admin(
    tenant: TenantCtx, products: str, roles: tuple[str, ...]
) -> None:
    user = tenant.api(*roles)
    definition = tenant.admin.get(f"custom-tables/{products}").json()
    attempts = [
        ("POST", "custom-tables/Fresh", {"KeyColumnName": "Id"}, "create or change"),
        (
            "POST",
            f"custom-tables/{products}",
            {"KeyColumnName": "Oid", "Columns": [column("Extra", 6)]},
            "create or change",
        ),
        ("POST", f"custom-tables/{products}", PRODUCT_CATALOG, "create or change"),
        ("DELETE", f"custom-tables/{products}", None, "drop"),
        (
            "PUT",
            f"custom-table-definitions/{definition['Id']}",
            {"ReadRoles": [], "SaveRoles": []},
            "permissions",
        ),
    ]
    for method, path, body, words in attempts:
        answer = _call(user, method, path, body)
        assert_error(answer, 403, "Admin role", words, code="FORBIDDEN")
    assert tenant.admin.get(f"custom-tables/{products}").json() == definition
    assert [t["TableName"] for t in tenant.admin.get("custom-tables").json()] == [products]


def test_a_token_acts_for_its_own_tenant_only(tenant: TenantCtx, other_tenant: TenantCtx) -> None:
    create_table(tenant.admin, "Mine")
    assert other_tenant.admin.get("custom-tables").json() == []
    fresh = uuid.uuid4().hex[:8]
    create_table(other_tenant.admin, f"Theirs{fresh}")
    assert [t["TableName"] for t in tenant.admin.get("custom-tables").json()] == ["Mine"]
