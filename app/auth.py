"""Token → Principal, as Litestar dependencies (v3: X-AccessToken; v1: x-api-key)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from app.observe import remember_tenant
from app.tenancy import Tenancy
from app.tokens import Principal, authenticate
from ddl.errors import NotAuthenticated

TenancyDep = NamedDependency[Tenancy]
PrincipalDep = NamedDependency[Principal]


def provide_tenancy(state: State) -> Tenancy:
    return state.tenancy  # type: ignore[no-any-return]


def principal_v3(request: Request[Any, Any, Any], tenancy: NamedDependency[Tenancy]) -> Principal:
    principal = authenticate(tenancy, request.headers.get("x-accesstoken"))
    remember_tenant(request.scope, principal.tenant.name)
    return principal


def principal_v1(request: Request[Any, Any, Any], tenancy: NamedDependency[Tenancy]) -> Principal:
    key = request.headers.get("x-api-key")
    if not key:
        raise NotAuthenticated("An API key (header x-api-key) is required")
    principal = authenticate(tenancy, key)
    remember_tenant(request.scope, principal.tenant.name)
    return principal
