"""`GET /api/v3/me`: who the token acts for, so a console (the Studio) can show the tenant and
user and offer only what the roles allow. It reveals nothing the token's holder cannot already
do: its own tenant, user, roles and scopes, never the secret."""

from __future__ import annotations

import msgspec
from litestar import get

from app.auth import PrincipalDep


class WhoAmI(msgspec.Struct):
    Tenant: str
    User: str
    Roles: list[str]
    Scopes: list[str]
    IsAdmin: bool


@get("/api/v3/me", sync_to_thread=True, tags=["Access"], security=[{"AccessToken": []}])
def who_am_i(principal: PrincipalDep) -> WhoAmI:
    return WhoAmI(
        Tenant=principal.tenant.name,
        User=principal.user,
        Roles=list(principal.roles),
        Scopes=sorted(principal.scopes),
        IsAdmin=principal.caller.is_admin,
    )
