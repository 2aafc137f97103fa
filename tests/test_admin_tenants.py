"""`/api/admin/tenants` with a server-admin token (SPEC §11), on SQLite and PostgreSQL:
create (with a first Admin token that works at once), list with counts, delete (space,
saved queries, audit and tokens gone; the name reusable, empty); tenant tokens are refused
there and a server-admin token reaches no tenant's data; the CLI's `tenant delete`."""

from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.metadata import tokens
from app.tenancy import Tenant, schema_for
from app.tokens import (
    audit_token_created,
    issue_token,
    prepare_token,
    store_token,
)
from ddl import audit
from ddl.errors import Conflict
from tests.conftest import Api, TenantCtx

BASE = "/api/admin/tenants"
TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
         "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}  # fmt: skip


@pytest.fixture
def root(tenant: TenantCtx) -> Api:
    issued = issue_token(tenant.tenancy, None, "root", [], server_admin=True)
    return Api(tenant.client, issued.token)


def _name() -> str:
    return f"a{uuid.uuid4().hex[:12]}"


def test_create_list_delete(root: Api) -> None:
    name = _name()
    created = root.post(BASE, json={"Name": name, "AdminToken": True})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert set(answer) == {"Name", "CreatedAt", "AdminToken"}
    admin = Api(root.client, answer["AdminToken"])
    assert admin.post("custom-tables/T", json=TABLE).status_code == 201
    rows = {"OperationType": "UpsertMany",
            "UpsertManyModel": [{"KeyValue": i, "Columns": []} for i in range(4)]}  # fmt: skip
    assert admin.put("custom-tables/T/rows", json=rows).status_code == 200
    query = {"Name": "Q", "Namespace": "CustomTable", "Sql": "SELECT Id FROM [customtables].[T]"}
    assert admin.post("queries", json=query).status_code in (200, 201)
    assert admin.get("/api/v1/tables", headers={"x-api-key": admin.token}).status_code == 200

    listed = {t["Name"]: t for t in root.get(BASE).json()}
    assert listed[name] == {"Name": name, "Tables": 1, "Rows": 4, "CreatedAt": answer["CreatedAt"]}

    plain = root.post(BASE, json={"Name": _name()})
    assert plain.status_code == 201
    assert "AdminToken" not in plain.json()
    assert root.post(BASE, json={"Name": name}).status_code == 409

    refused = root.delete(f"{BASE}/{name}")
    assert refused.status_code == 400
    assert f"confirm={name}" in refused.json()["Message"]
    assert root.delete(f"{BASE}/{name}", params={"confirm": "other"}).status_code == 400
    deleted = root.delete(f"{BASE}/{name}", params={"confirm": name})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"Deleted": True}
    assert name not in [t["Name"] for t in root.get(BASE).json()]
    assert admin.get("custom-tables").status_code == 401  # its tokens are gone
    assert root.delete(f"{BASE}/{name}", params={"confirm": name}).status_code == 404

    again = root.post(BASE, json={"Name": name, "AdminToken": True}).json()
    fresh = Api(root.client, again["AdminToken"])
    assert fresh.get("custom-tables").json() == []  # nothing of the old tenant came back
    assert fresh.get("queries").json() == []
    events = fresh.get("audit-logs").json()
    assert all(e["Action"] == "token.created" for e in events), events


def test_tokens_stay_on_their_side(root: Api, tenant: TenantCtx) -> None:
    for answer in (
        root.get("custom-tables"),
        root.get("access-tokens"),
        root.get("/api/v1/tables", headers={"x-api-key": root.token}),
    ):
        assert answer.status_code == 403, answer.text
    for answer in (
        tenant.admin.get(BASE),
        tenant.admin.post(BASE, json={"Name": _name()}),
        tenant.admin.delete(f"{BASE}/{tenant.name}", params={"confirm": tenant.name}),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.json()["Code"] == "FORBIDDEN"
    assert root.client.get(BASE).status_code == 401
    assert tenant.admin.get("custom-tables").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"Name": "Bad-Name"}, 400),
        ({"Name": ""}, 400),
        ({"Name": "x" * 100}, 400),
        ({"Name": "ok", "Extra": 1}, 400),
        ({"AdminToken": True}, 400),
        ({"Name": 5}, 400),
    ],
)
def test_bad_tenant_bodies(root: Api, body: dict[str, object], status: int) -> None:
    before = root.get(BASE).json()
    answer = root.post(BASE, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["Code"] == "VALIDATION_ERROR"
    assert root.get(BASE).json() == before


def test_bad_names_in_delete(root: Api) -> None:
    for name in ("Bad-Name", "x" * 100):
        answer = root.delete(f"{BASE}/{name}", params={"confirm": name})
        assert answer.status_code == 400, answer.text


def test_first_admin_token_is_audited_in_the_creation(root: Api) -> None:
    """The tenant, its first Admin token and that token's audit event commit together: the
    event is there at once, naming the server administrator who asked."""
    name = _name()
    answer = root.post(BASE, json={"Name": name, "AdminToken": True}).json()
    admin = Api(root.client, answer["AdminToken"])
    events = admin.get("audit-logs").json()
    assert [(e["Action"], e["User"]) for e in events] == [("token.created", "root")], events
    listed = admin.get("access-tokens").json()
    assert [(t["User"], t["Roles"]) for t in listed] == [("admin", ["Admin"])], listed


def test_new_space_holds_its_first_event(root: Api, tenant: TenantCtx) -> None:
    """The new tenant's space holds its first audit event as stored data. SQLite: the file,
    written whole from an in-memory image, is a sound WAL-mode database; PostgreSQL: the
    schema's audit table has the row."""
    name = _name()
    assert root.post(BASE, json={"Name": name, "AdminToken": True}).status_code == 201
    tenancy = tenant.tenancy
    if tenancy.backend.schema_per_tenant:
        with tenancy.meta.connect() as conn:
            table = f'"{schema_for(name)}"._ct_audit'
            actions = conn.exec_driver_sql(f"SELECT action FROM {table}").all()
        assert [tuple(a) for a in actions] == [("token.created",)]
        return
    conn = sqlite3.connect(tenancy.tenant_file(name))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT action FROM _ct_audit").fetchall() == [("token.created",)]
    finally:
        conn.close()


def test_failed_creation_leaves_no_tenant(root: Api, tenant: TenantCtx) -> None:
    """A creation whose work fails inside its transaction (here the first token stored twice:
    the database refuses the duplicate key) leaves no tenant row, no token, no schema and no
    audit event; the name can then be created normally."""
    tenancy = tenant.tenancy
    name = _name()
    count_tokens = sa.select(sa.func.count()).select_from(tokens)
    with tenancy.meta.connect() as conn:
        tokens_before = conn.execute(count_tokens).scalar_one()

    def token_twice(meta: sa.Connection, space: sa.Connection, made: Tenant) -> None:
        new = prepare_token(made, "admin", ["Admin"])
        audit_token_created(space, "root", new)
        store_token(meta, new)
        store_token(meta, new)

    with pytest.raises(sa.exc.IntegrityError):
        tenancy.create_tenant(name, with_tenant=token_twice)
    assert tenancy.find_tenant(name) is None
    assert name not in [t["Name"] for t in root.get(BASE).json()]
    with tenancy.meta.connect() as conn:
        assert conn.execute(count_tokens).scalar_one() == tokens_before
        if tenancy.backend.schema_per_tenant:
            assert not sa.inspect(conn).has_schema(schema_for(name))
    if not tenancy.backend.schema_per_tenant:
        assert not tenancy.tenant_file(name).exists()
    answer = root.post(BASE, json={"Name": name, "AdminToken": True})
    assert answer.status_code == 201, answer.text
    admin = Api(root.client, answer.json()["AdminToken"])
    assert len(admin.get("audit-logs").json()) == 1  # nothing of the failed attempt
    assert admin.post("custom-tables/T", json=TABLE).status_code == 201


def test_concurrent_creations_of_one_name(tenant: TenantCtx) -> None:
    """Clients creating the same tenant at once (the bench creates in parallel): one wins,
    the others get Conflict (409), never a server error; the winner's space works."""
    tenancy = tenant.tenancy
    name = _name()

    def create(_: int) -> str:
        try:
            tenancy.create_tenant(name)
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(create, range(4)))
    assert outcomes == ["conflict", "conflict", "conflict", "created"]
    made = tenancy.get_tenant(name)
    with tenancy.space(made).write() as conn:
        audit.record(conn, "u", "x", audit.TOKEN)
    with tenancy.space(made).read() as conn:
        assert len(audit.list_events(conn)) == 1
