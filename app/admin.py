"""`/api/admin/tenants`: the server administrator's API (SPEC §11), for a server-admin token
(`customtables token create --server-admin`) only; tenant tokens, even an Admin's, get 403, and
a server-admin token gets 403 on every tenant route (app.tokens.authenticate)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter, RawBody
from sqlalchemy import Connection

from app.auth import TenancyDep
from app.openapi import body_of
from app.tenancy import Tenant
from app.tenant_admin import delete_tenant, summaries
from app.tokens import (
    NewToken,
    audit_token_created,
    authenticate_server_admin,
    prepare_token,
    store_token,
)
from app.v3.bodies import parse
from ddl.catalog import now_text
from ddl.errors import ValidationError

FIRST_ADMIN_SCOPES = ("workflows:read", "workflows:write")  # as the default tenant's first token


class CreateTenantRequest(msgspec.Struct, forbid_unknown_fields=True):
    Name: str
    AdminToken: bool = False


class TenantCreated(msgspec.Struct, omit_defaults=True):
    Name: str
    CreatedAt: str
    AdminToken: str | None = None  # the new tenant's first Admin token, shown this once


class TenantOut(msgspec.Struct):
    Name: str
    Tables: int
    Rows: int
    CreatedAt: str


class TenantDeleted(msgspec.Struct):
    Deleted: bool


_create = msgspec.json.Decoder(CreateTenantRequest)
AdminDep = NamedDependency[str]


def server_admin(request: Request[Any, Any, Any], tenancy: TenancyDep) -> str:
    """The server administrator's user name, from a server-admin X-AccessToken."""
    return authenticate_server_admin(tenancy, request.headers.get("x-accesstoken"))


class TenantsAdminController(Controller):
    path = "/api/admin/tenants"
    tags = ["Server administration"]
    security = [{"AccessToken": []}]
    dependencies = {"admin": Provide(server_admin, sync_to_thread=True)}

    @post(
        "/",
        sync_to_thread=True,
        status_code=201,
        operation_class=body_of(CreateTenantRequest),
        description="Create a tenant (and, with `AdminToken: true`, its first Admin token).",
    )
    def create_tenant(
        self, body: RawBody, admin: AdminDep, tenancy: TenancyDep
    ) -> Response[TenantCreated]:
        request: CreateTenantRequest = parse(body, _create)
        created = now_text()
        first_token: list[NewToken] = []

        def with_admin_token(meta: Connection, space: Connection, tenant: Tenant) -> None:
            """The tenant's first Admin token and its audit event, in the creation's commit."""
            new = prepare_token(tenant, "admin", ["Admin"], FIRST_ADMIN_SCOPES)
            store_token(meta, new)
            audit_token_created(space, admin, new)
            first_token.append(new)

        tenant = tenancy.create_tenant(
            request.Name,
            created_at=created,
            with_tenant=with_admin_token if request.AdminToken else None,
        )
        token = first_token[0].issued.token if first_token else None
        answer = TenantCreated(tenant.name, created, token)
        return Response(answer, status_code=201, headers={"Cache-Control": "no-store"})

    @get("/", sync_to_thread=True, description="Every tenant with its table and row counts.")
    def list_tenants(self, admin: AdminDep, tenancy: TenancyDep) -> list[TenantOut]:
        return [TenantOut(t.name, t.tables, t.rows, t.created_at) for t in summaries(tenancy)]

    @delete(
        "/{name:str}",
        sync_to_thread=True,
        status_code=200,
        description=(
            "Delete a tenant: its whole space (tables, saved queries, audit log) and tokens. "
            "`confirm` must repeat the name."
        ),
    )
    def delete_tenant(
        self,
        name: Annotated[str, PathParameter(description="The tenant's name")],
        admin: AdminDep,
        tenancy: TenancyDep,
        confirm: Annotated[str | None, QueryParameter(description="The name again")] = None,
    ) -> TenantDeleted:
        if confirm != name:
            raise ValidationError(f"Deleting tenant '{name}' needs ?confirm={name}")
        delete_tenant(tenancy, name)
        return TenantDeleted(Deleted=True)
