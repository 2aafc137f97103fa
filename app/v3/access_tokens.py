"""`/api/v3/access-tokens`: a tenant's Admin manages that tenant's tokens over HTTP (SPEC §11).

The secret is in the POST answer only; listings never carry it (nor its hash). Another tenant's
token id answers the same 404 as an unknown one. Creation and revocation are in the tenant's
audit log (app.tokens writes them), with the Admin as the actor.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.params import PathParameter, RawBody

from app.auth import PrincipalDep, TenancyDep
from app.openapi import body_of
from app.token_rules import check_grants
from app.tokens import Principal, issue_token, list_tokens, revoke_token
from app.v3.bodies import parse
from ddl.access import require_admin
from ddl.errors import NotFound, ValidationError

MAX_USER = 200
MAX_GRANTS = 50  # roles or scopes on one token


class CreateAccessTokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    User: str
    Roles: list[str] = []
    Scopes: list[str] = []
    ExpiresInDays: float | None = None


class AccessTokenCreated(msgspec.Struct):
    Id: str
    Token: str
    User: str
    Roles: list[str]
    Scopes: list[str]
    CreatedAt: str
    ExpiresAt: str | None


class AccessTokenOut(msgspec.Struct):
    Id: str
    User: str
    Roles: list[str]
    Scopes: list[str]
    CreatedAt: str
    ExpiresAt: str | None
    LastUsedAt: str | None


class RevokedOut(msgspec.Struct):
    Revoked: bool


_create = msgspec.json.Decoder(CreateAccessTokenRequest)
TokenId = Annotated[str, PathParameter(description="The token's id (from the list or POST)")]


def _check(request: CreateAccessTokenRequest) -> None:
    if not request.User.strip() or len(request.User) > MAX_USER:
        raise ValidationError(f"User must be 1 to {MAX_USER} characters")
    if len(request.Roles) > MAX_GRANTS or len(request.Scopes) > MAX_GRANTS:
        raise ValidationError(f"At most {MAX_GRANTS} Roles and {MAX_GRANTS} Scopes")
    if request.ExpiresInDays is not None and not 0 < request.ExpiresInDays <= 36_500:
        raise ValidationError("ExpiresInDays must be a positive number of days (at most 36500)")
    check_grants(request.Roles, request.Scopes)  # the CLI's rules (SPEC §9)


def _admin(principal: Principal, action: str) -> None:
    require_admin(principal.caller, action)


class AccessTokensController(Controller):
    path = "/api/v3/access-tokens"
    tags = ["Access tokens"]
    security = [{"AccessToken": []}]

    @get("/", sync_to_thread=True, description="The tenant's live tokens, without secrets.")
    def list_access_tokens(
        self, principal: PrincipalDep, tenancy: TenancyDep
    ) -> list[AccessTokenOut]:
        _admin(principal, "list access tokens")
        return [
            AccessTokenOut(
                t.id, t.user, t.roles, t.scopes, t.created_at, t.expires_at, t.last_used_at
            )
            for t in list_tokens(tenancy, principal.tenant.id)
        ]

    @post(
        "/",
        sync_to_thread=True,
        status_code=201,
        operation_class=body_of(CreateAccessTokenRequest),
        description="A new token of the caller's tenant; `Token` is shown in this answer only.",
    )
    def create_access_token(
        self, body: RawBody, principal: PrincipalDep, tenancy: TenancyDep
    ) -> Response[AccessTokenCreated]:
        _admin(principal, "create access tokens")
        request: CreateAccessTokenRequest = parse(body, _create)
        _check(request)
        issued = issue_token(
            tenancy,
            principal.tenant.name,
            request.User,
            request.Roles,
            request.Scopes,
            request.ExpiresInDays,
            actor=principal.user,
            require_grant=True,
        )
        created = AccessTokenCreated(
            issued.id, issued.token, issued.user, issued.roles, issued.scopes,
            issued.created_at, issued.expires_at,
        )  # fmt: skip
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @delete(
        "/{token_id:str}",
        sync_to_thread=True,
        status_code=200,
        description="Revoke at once (every worker checks the database on each request).",
    )
    def revoke_access_token(
        self, token_id: TokenId, principal: PrincipalDep, tenancy: TenancyDep
    ) -> RevokedOut:
        _admin(principal, "revoke access tokens")
        if len(token_id) > 64:
            raise ValidationError("Not a token id")
        try:
            revoke_token(tenancy, token_id, actor=principal.user, tenant_id=principal.tenant.id)
        except NotFound:  # unknown, or another tenant's: the same answer
            raise NotFound(f"Access token '{token_id}' does not exist") from None
        return RevokedOut(Revoked=True)
