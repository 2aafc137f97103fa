"""`/api/v3/access-tokens` (SPEC §11) on SQLite and PostgreSQL: an Admin creates a token
(secret shown once), it works at once, the list shows it without secrets (with its last use),
revoking it shuts it out at once; other tenants' tokens are 404s; non-Admins get 403; both
changes are in the audit log; bad bodies are 400s that write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, TenantCtx

BASE = "access-tokens"


def _create(api: Api, **body: Any) -> Any:
    return api.post(BASE, json={"User": "robot", "Roles": ["Sales"], **body})


def test_create_use_list_revoke(tenant: TenantCtx) -> None:
    admin = tenant.admin
    created = _create(admin, Scopes=["workflows:read"], ExpiresInDays=7)
    assert created.status_code == 201, created.text
    token = created.json()
    assert set(token) == {"Id", "Token", "User", "Roles", "Scopes", "CreatedAt", "ExpiresAt"}
    assert token["Token"].startswith("ct_")
    assert (token["User"], token["Roles"], token["Scopes"]) == (
        "robot", ["Sales"], ["workflows:read"]
    )  # fmt: skip
    assert token["ExpiresAt"] > token["CreatedAt"]

    robot = Api(admin.client, token["Token"])
    assert robot.get("custom-tables").status_code == 200  # works at once, as Sales
    assert robot.post("custom-tables/T", json={"KeyColumnName": "Id"}).status_code == 403
    v1 = Api(admin.client, token["Token"], header="x-api-key")
    assert v1.get("/api/v1/tables").status_code == 200

    listed = admin.get(BASE)
    assert listed.status_code == 200
    mine = {t["Id"]: t for t in listed.json()}[token["Id"]]
    assert mine["LastUsedAt"] is not None
    assert set(mine) == {"Id", "User", "Roles", "Scopes", "CreatedAt", "ExpiresAt", "LastUsedAt"}
    assert token["Token"] not in listed.text
    assert token["Token"][3:12] not in listed.text

    revoked = admin.delete(f"{BASE}/{token['Id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"Revoked": True}
    assert robot.get("custom-tables").status_code == 401
    assert token["Id"] not in [t["Id"] for t in admin.get(BASE).json()]
    assert admin.delete(f"{BASE}/{token['Id']}").status_code == 200  # twice: harmless

    events = admin.get("audit-logs", params={"Action": "token.created,token.revoked"}).json()
    about = [(e["Action"], e["ResourceId"], e["User"]) for e in events]
    assert ("token.created", token["Id"], "admin") in about
    assert ("token.revoked", token["Id"], "admin") in about
    assert all(token["Token"] not in str(e) for e in events)


def test_other_tenants_tokens_are_not_found(tenant: TenantCtx, other_tenant: TenantCtx) -> None:
    theirs = _create(other_tenant.admin).json()
    answer = tenant.admin.delete(f"{BASE}/{theirs['Id']}")
    assert answer.status_code == 404
    assert answer.json() == {
        "Code": "NOT_FOUND", "Message": f"Access token '{theirs['Id']}' does not exist"
    }  # fmt: skip
    unknown = tenant.admin.delete(f"{BASE}/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert theirs["Id"] not in tenant.admin.get(BASE).text
    still = Api(tenant.admin.client, theirs["Token"])
    assert still.get("custom-tables").status_code == 200  # not revoked
    # the secret itself is no id here either
    assert tenant.admin.delete(f"{BASE}/{theirs['Token']}").status_code == 404


def test_only_admins_manage_tokens(tenant: TenantCtx) -> None:
    sales = tenant.api("Sales")
    for answer in (
        sales.get(BASE),
        _create(sales),
        sales.delete(f"{BASE}/{tenant.admin.token}"),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.json()["Code"] == "FORBIDDEN"
    assert tenant.admin.client.get("/api/v3/access-tokens").status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Roles": ["Admin"]}, "User"),
        ({"User": " ", "Roles": ["Admin"]}, "User must be"),
        ({"User": "x" * 201, "Roles": ["Admin"]}, "User must be"),
        ({"User": "u", "Scopes": ["all"]}, "Unknown scope"),
        ({"User": "u", "Roles": ["Sales team"]}, "Invalid role"),
        ({"User": "u"}, "at least one role or scope"),
        ({"User": "u", "Roles": ["A"], "ExpiresInDays": 0}, "ExpiresInDays"),
        ({"User": "u", "Roles": "Admin"}, "Roles"),
        ({"User": "u", "Roles": ["A"], "Extra": 1}, "Extra"),
        ({"User": "u", "Roles": ["A"] * 51}, "At most"),
    ],
)
def test_bad_bodies_write_nothing(tenant: TenantCtx, body: dict[str, Any], message: str) -> None:
    before = tenant.admin.get(BASE).json()
    answer = tenant.admin.post(BASE, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["Code"] == "VALIDATION_ERROR"
    assert message in answer.json()["Message"]
    assert tenant.admin.get(BASE).json() == before
