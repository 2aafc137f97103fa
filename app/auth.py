"""Token → Principal, as Litestar dependencies (v3: X-AccessToken; v1: x-api-key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State
from litestar.di import NamedDependency

from app.observe import remember_tenant
from app.tenancy import Tenancy
from app.tokens import Principal, TokenStale, authenticate, vouched_guard
from ddl.errors import NotAuthenticated
from ddl.guard import Guard

T = TypeVar("T")
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


async def as_principal(
    request: Request[Any, Any, Any],
    tenancy: Tenancy,
    work: Callable[[Principal, Guard | None], T],
) -> T:
    """Authenticate (v3) and run `work` for the principal in one hop to a worker thread. A hot
    route (a single-row write) would otherwise pay a hop for the `principal` dependency and
    another for its sync handler, each worth a good part of the work itself. `work` must hand
    the guard it gets to the one transaction it writes in (rows.commit)."""
    return await sync_to_thread(lambda: _authenticated_work(request, tenancy, work))


def _authenticated_work(
    request: Request[Any, Any, Any],
    tenancy: Tenancy,
    work: Callable[[Principal, Guard | None], T],
) -> T:
    """`work` for a token authenticated before by this process runs at once, its token checked
    inside the write's transaction (TokenGuard). When it fails before that check (a body
    refused, say), the token is checked on its own first, so an invalid token still answers
    401 whatever else is wrong, as it does when checked first."""
    guard = vouched_guard(tenancy, request.headers.get("x-accesstoken"))
    if guard is None:
        return work(principal_v3(request, tenancy), None)
    remember_tenant(request.scope, guard.principal.tenant.name)
    try:
        result = work(guard.principal, guard)
    except TokenStale:
        return work(principal_v3(request, tenancy), None)
    except Exception:
        if guard.row is None:
            principal_v3(request, tenancy)
        raise
    if guard.row is None:  # a `work` that never wrote: the token is checked as usual
        principal_v3(request, tenancy)
    guard.used()
    return result
