"""Access tokens: random, shown once, stored only as a SHA-256 hash, revocable, expiring."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from app.metadata import tenants, tokens
from app.tenancy import Tenancy, Tenant
from ddl import audit, driver_sql
from ddl.access import Caller
from ddl.catalog import now_text
from ddl.errors import Forbidden, NotAuthenticated, NotFound, ValidationError
from ddl.names import check_no_control

TOKEN_PREFIX = "ct_"  # noqa: S105 (a prefix, not a secret)
SCOPES = frozenset({"workflows:read", "workflows:write"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: one tenant, one user, roles (v3) and scopes (v1)."""

    token_id: str
    tenant: Tenant
    user: str
    roles: tuple[str, ...]
    scopes: frozenset[str]

    @property
    def caller(self) -> Caller:
        return Caller.of(self.user, self.roles)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: the secret (`token`) exists only here, never in the database."""

    id: str
    token: str
    tenant: str | None  # None for a server-admin token
    user: str
    roles: list[str]
    scopes: list[str]
    created_at: str
    expires_at: str | None


def create_token(
    tenancy: Tenancy,
    tenant_name: str,
    user: str,
    roles: Sequence[str],
    scopes: Sequence[str] = (),
    expires_in_days: float | None = None,
    *,
    actor: str = "system",
    require_grant: bool = False,
) -> str:
    """Create a token and return it; only its hash is kept. `actor` (who asked) goes into the
    tenant's audit log. `require_grant` (the CLI) refuses a token with no role and no scope;
    tests still make such tokens to show those callers are refused."""
    issued = issue_token(
        tenancy,
        tenant_name,
        user,
        roles,
        scopes,
        expires_in_days,
        actor=actor,
        require_grant=require_grant,
    )
    return issued.token


def _expiry(expires_in_days: float | None) -> str | None:
    if expires_in_days is None:
        return None
    if expires_in_days <= 0:
        raise ValidationError("--expires-in must be a positive number of days")
    moment = datetime.now(UTC) + timedelta(days=expires_in_days)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token checked and ready to store: its answer (with the secret) and its row's values.
    Split from storing it so a tenant's creation can store its first token in its own
    transaction (one commit for tenant, schema, token and audit event)."""

    issued: IssuedToken
    tenant_id: str | None
    token_hash: str
    server_admin: bool


def prepare_token(
    tenant: Tenant | None,
    user: str,
    roles: Sequence[str],
    scopes: Sequence[str] = (),
    expires_in_days: float | None = None,
    *,
    require_grant: bool = False,
) -> NewToken:
    """Check a token request and make its secret; nothing is written. `tenant` None makes a
    server-admin token."""
    if not user.strip():
        raise ValidationError("A token needs a user name")
    check_no_control(user, "A user name")
    unknown = set(scopes) - SCOPES
    if unknown:
        raise ValidationError(f"Unknown scope(s) {sorted(unknown)}; known: {sorted(SCOPES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = _expiry(expires_in_days)
    if require_grant and not roles and not scopes:  # SPEC §9 (the CLI and the HTTP API)
        raise ValidationError("A token needs at least one role or scope")
    issued = IssuedToken(
        str(uuid.uuid4()),
        token,
        tenant.name if tenant else None,
        user.strip(),
        list(dict.fromkeys(roles)),
        sorted(set(scopes)),
        now_text(),
        expires,
    )
    return NewToken(issued, tenant.id if tenant else None, _hash(token), tenant is None)


def store_token(conn: sa.Connection, new: NewToken) -> None:
    """Insert the token's row (never the secret, only its hash) in the caller's transaction."""
    issued = new.issued
    conn.execute(
        tokens.insert().values(
            id=issued.id,
            tenant_id=new.tenant_id,
            user_name=issued.user,
            token_hash=new.token_hash,
            prefix=issued.token[:10],
            roles=msgspec.json.encode(issued.roles).decode(),
            scopes=msgspec.json.encode(issued.scopes).decode(),
            created_at=issued.created_at,
            expires_at=issued.expires_at,
            server_admin=new.server_admin,
        )
    )


def audit_token_created(conn: sa.Connection, actor: str, new: NewToken) -> None:
    """The tenant's audit event for a new token, in the caller's transaction on its space."""
    issued = new.issued
    values = {
        "user_name": issued.user,
        "prefix": issued.token[:10],
        "roles": issued.roles,
        "scopes": issued.scopes,
        "expires_at": issued.expires_at,
    }
    _record(conn, actor, audit.TOKEN_CREATED, issued.id, values)


def issue_token(
    tenancy: Tenancy,
    tenant_name: str | None,
    user: str,
    roles: Sequence[str],
    scopes: Sequence[str] = (),
    expires_in_days: float | None = None,
    *,
    actor: str = "system",
    server_admin: bool = False,
    require_grant: bool = False,
) -> IssuedToken:
    """Create a token (a tenant's, or with `server_admin` one that belongs to no tenant) and
    return it with its id; the tenant's audit log records who made it."""
    tenant = None if server_admin else tenancy.get_tenant(str(tenant_name))
    new = prepare_token(tenant, user, roles, scopes, expires_in_days, require_grant=require_grant)
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            store_token(conn, new)
    if tenant is not None:
        with tenancy.space(tenant).write() as conn:
            audit_token_created(conn, actor, new)
    return new.issued


def _audit(
    tenancy: Tenancy,
    tenant: Tenant,
    actor: str,
    action: str,
    token_id: str,
    values: Mapping[str, object],
) -> None:
    """Tokens live in the metadata database and the audit log in the tenant's space, so no one
    transaction holds both (except at a tenant's creation): the event is written in its own
    transaction right after the token change commits."""
    with tenancy.space(tenant).write() as conn:
        _record(conn, actor, action, token_id, values)


def _record(
    conn: sa.Connection, actor: str, action: str, token_id: str, values: Mapping[str, object]
) -> None:
    """One token event (never the token or its hash, only its id, prefix, user and grants)."""
    details = {
        "UserName": values.get("user_name"),
        "Prefix": values.get("prefix"),
        "Roles": values.get("roles"),
        "Scopes": values.get("scopes"),
        "ExpiresAt": values.get("expires_at"),
    }
    audit.record(
        conn,
        actor,
        action,
        audit.TOKEN,
        resource_id=token_id,
        resource_name=str(values.get("user_name") or ""),
        details=details,
    )


def revoke_token(
    tenancy: Tenancy,
    token_or_id: str,
    *,
    actor: str = "system",
    tenant_id: str | None = None,
) -> None:
    """Revoke by the token itself or by its id; revoking twice is harmless (and logged once).
    With `tenant_id`, only that tenant's tokens are found (another's: the same NotFound)."""
    condition = sa.or_(tokens.c.token_hash == _hash(token_or_id), tokens.c.id == token_or_id)
    if tenant_id is not None:
        condition = sa.and_(condition, tokens.c.tenant_id == tenant_id)
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            row = conn.execute(sa.select(tokens).where(condition)).first()
            if row is None:
                raise NotFound("No such token")
            changed = conn.execute(
                tokens.update()
                .where(tokens.c.id == row.id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now_text())
            ).rowcount
    if changed and row.tenant_id is not None:
        values = {
            "user_name": row.user_name,
            "prefix": row.prefix,
            "roles": msgspec.json.decode(row.roles),
            "scopes": msgspec.json.decode(row.scopes),
            "expires_at": row.expires_at,
        }
        tenant = tenancy.tenant_by_id(row.tenant_id)
        _audit(tenancy, tenant, actor, audit.TOKEN_REVOKED, row.id, values)


LAST_USED_EVERY = timedelta(minutes=1)  # how stale `last_used_at` may be: one write a minute


TokenRow = namedtuple("TokenRow", [column.name for column in tokens.c])  # type: ignore[misc]


def _token_read(digest: str) -> driver_sql.Read:
    return driver_sql.Read(
        "token_by_hash",
        lambda: sa.select(tokens).where(tokens.c.token_hash == sa.bindparam("digest")),
        {"digest": digest},
    )


def _token_row(tenancy: Tenancy, digest: str) -> Any:
    """The row of a token hash, read anew on every request (one index probe), so a revocation
    or expiry made by any process counts at once."""
    row = driver_sql.fetch_one_alone(tenancy.meta, _token_read(digest))
    return None if row is None else TokenRow(*row)


def _live_row(tenancy: Tenancy, token: str | None) -> Any:
    """The token's row; missing, unknown, revoked and expired all answer 401 alike."""
    if not token:
        raise NotAuthenticated("An access token is required")
    digest = _hash(token)
    row = _checked(_token_row(tenancy, digest), digest)
    _record_use(tenancy, row)
    return row


def _checked(row: Any, digest: str) -> Any:
    """`row` when it is a live token's row for `digest`; else 401."""
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at:
        raise NotAuthenticated("The access token is not valid")
    if row.expires_at and row.expires_at <= now_text():
        raise NotAuthenticated("The access token is not valid")
    return row


def _record_use(tenancy: Tenancy, row: Any) -> None:
    """Note when the token was used, at most once a minute per token (so a busy token costs
    one small write a minute, not one per request); whichever worker comes first writes."""
    stale = (datetime.now(UTC) - LAST_USED_EVERY).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if row.last_used_at is not None and row.last_used_at > stale:
        return
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            conn.execute(
                tokens.update()
                .where(
                    tokens.c.id == row.id,
                    sa.or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at <= stale),
                )
                .values(last_used_at=now_text())
            )


_principals: dict[tuple[Any, ...], Principal] = {}  # what a token row says, decoded once
_PRINCIPALS_KEPT = 4096
# (tenancy, token hash) → the principal its row last gave: a write may act for it at once and
# check the row in its own transaction (TokenGuard)
_vouched: dict[tuple[int, str], Principal] = {}


def _principal_key(tenancy: Tenancy, row: Any) -> tuple[Any, ...]:
    return (id(tenancy), row.id, row.tenant_id, row.user_name, row.roles, row.scopes)


def authenticate(tenancy: Tenancy, token: str | None) -> Principal:
    """The principal of a tenant's token. A server-admin token reaches no tenant's data: 403.
    The row is checked on every request (_live_row); only its decoding is kept, keyed by every
    field it comes from, so a changed grant is never served from memory."""
    row = _live_row(tenancy, token)
    if row.server_admin or row.tenant_id is None:
        raise Forbidden("A server-admin token reaches no tenant's data; use a tenant's token")
    key = _principal_key(tenancy, row)
    principal = _principals.get(key)
    if principal is None:
        principal = Principal(
            token_id=row.id,
            tenant=tenancy.tenant_by_id(row.tenant_id),
            user=row.user_name,
            roles=tuple(msgspec.json.decode(row.roles)),
            scopes=frozenset(msgspec.json.decode(row.scopes)),
        )
        if len(_principals) >= _PRINCIPALS_KEPT:
            _principals.clear()
            _vouched.clear()
        _principals[key] = principal
    _vouched[(id(tenancy), row.token_hash)] = principal
    return principal


class TokenStale(Exception):
    """The token's row is live but no longer gives the principal a write acted for: nothing
    was written; authenticate afresh and write again."""


class TokenGuard:
    """An access token checked inside the write it authorises (a ddl.guard.Guard): its row is
    read in the write's transaction, in the same round trip as the table's definition, so a
    revocation, expiry or deletion committed by any process before that read refuses the write
    as authenticate would have, one round trip sooner. `row` is the live row once checked."""

    def __init__(self, tenancy: Tenancy, digest: str, principal: Principal) -> None:
        self.tenancy = tenancy
        self.digest = digest
        self.principal = principal
        self.row: Any = None

    @property
    def read(self) -> driver_sql.Read:
        return _token_read(self.digest)

    def check(self, row: tuple[Any, ...] | None) -> None:
        live = _checked(None if row is None else TokenRow(*row), self.digest)
        if _principals.get(_principal_key(self.tenancy, live)) is not self.principal:
            raise TokenStale
        self.row = live

    def used(self) -> None:
        """After the write: note the token's use, as authenticate does (once a minute)."""
        if self.row is not None:
            _record_use(self.tenancy, self.row)


def vouched_guard(tenancy: Tenancy, token: str | None) -> TokenGuard | None:
    """A guard for a token this process authenticated before, on a server database (where the
    tokens and the tenant's tables share a connection); None: authenticate first."""
    if not token or not tenancy.backend.schema_per_tenant:
        return None
    digest = _hash(token)
    principal = _vouched.get((id(tenancy), digest))
    return None if principal is None else TokenGuard(tenancy, digest, principal)


def authenticate_server_admin(tenancy: Tenancy, token: str | None) -> str:
    """The user of a server-admin token (the tenant administration routes); a tenant's
    token, even an Admin's, gets 403."""
    row = _live_row(tenancy, token)
    if not row.server_admin:
        raise Forbidden("This needs a server-admin token (token create --server-admin)")
    return str(row.user_name)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What may be shown about a token: everything but the secret and its hash."""

    id: str
    tenant: str | None
    user: str
    roles: list[str]
    scopes: list[str]
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    prefix: str


def list_tokens(tenancy: Tenancy, tenant_id: str | None = None) -> list[TokenInfo]:
    """Live (not revoked) tokens, oldest first; one tenant's when `tenant_id` is given,
    else every tenant's and the server-admin ones."""
    query = (
        sa.select(tokens, tenants.c.name.label("tenant_name"))
        .select_from(tokens.outerjoin(tenants, tenants.c.id == tokens.c.tenant_id))
        .where(tokens.c.revoked_at.is_(None))
        .order_by(tokens.c.created_at, tokens.c.id)
    )
    if tenant_id is not None:
        query = query.where(tokens.c.tenant_id == tenant_id)
    with tenancy.meta.connect() as conn:
        rows = conn.execute(query).all()
    return [
        TokenInfo(
            row.id,
            row.tenant_name,
            row.user_name,
            msgspec.json.decode(row.roles),
            msgspec.json.decode(row.scopes),
            row.created_at,
            row.expires_at,
            row.last_used_at,
            row.prefix,
        )
        for row in rows
    ]
