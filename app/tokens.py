"""Access tokens: random, shown once, stored only as a SHA-256 hash, revocable, expiring."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
import sqlalchemy as sa

from app.metadata import tokens
from app.tenancy import Tenancy, Tenant
from ddl import audit
from ddl.access import Caller
from ddl.catalog import now_text
from ddl.errors import NotAuthenticated, NotFound, ValidationError

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
    tenant = tenancy.get_tenant(tenant_name)
    if not user.strip():
        raise ValidationError("A token needs a user name")
    unknown = set(scopes) - SCOPES
    if unknown:
        raise ValidationError(f"Unknown scope(s) {sorted(unknown)}; known: {sorted(SCOPES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None
    if expires_in_days is not None:
        if expires_in_days <= 0:
            raise ValidationError("--expires-in must be a positive number of days")
        moment = datetime.now(UTC) + timedelta(days=expires_in_days)
        expires = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if require_grant and not roles and not scopes:  # the CLI's rule (SPEC §9)
        raise ValidationError("A token needs at least one --role or --scope")
    token_id = str(uuid.uuid4())
    values = {
        "user_name": user.strip(),
        "prefix": token[:10],
        "roles": list(dict.fromkeys(roles)),
        "scopes": sorted(set(scopes)),
        "expires_at": expires,
    }
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            conn.execute(
                tokens.insert().values(
                    id=token_id,
                    tenant_id=tenant.id,
                    user_name=values["user_name"],
                    token_hash=_hash(token),
                    prefix=values["prefix"],
                    roles=msgspec.json.encode(values["roles"]).decode(),
                    scopes=msgspec.json.encode(values["scopes"]).decode(),
                    created_at=now_text(),
                    expires_at=expires,
                )
            )
    _audit(tenancy, tenant, actor, audit.TOKEN_CREATED, token_id, values)
    return token


def _audit(
    tenancy: Tenancy,
    tenant: Tenant,
    actor: str,
    action: str,
    token_id: str,
    values: dict[str, object],
) -> None:
    """Tokens live in the metadata database and the audit log in the tenant's space, so no one
    transaction holds both: the event is written in its own transaction right after the token
    change commits (never the token or its hash, only its id, prefix, user and grants)."""
    details = {
        "UserName": values.get("user_name"),
        "Prefix": values.get("prefix"),
        "Roles": values.get("roles"),
        "Scopes": values.get("scopes"),
        "ExpiresAt": values.get("expires_at"),
    }
    with tenancy.space(tenant).write() as conn:
        audit.record(
            conn,
            actor,
            action,
            audit.TOKEN,
            resource_id=token_id,
            resource_name=str(values.get("user_name") or ""),
            details=details,
        )


def revoke_token(tenancy: Tenancy, token_or_id: str, *, actor: str = "system") -> None:
    """Revoke by the token itself or by its id; revoking twice is harmless (and logged once)."""
    condition = sa.or_(tokens.c.token_hash == _hash(token_or_id), tokens.c.id == token_or_id)
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
    if changed:
        values = {
            "user_name": row.user_name,
            "prefix": row.prefix,
            "roles": msgspec.json.decode(row.roles),
            "scopes": msgspec.json.decode(row.scopes),
            "expires_at": row.expires_at,
        }
        tenant = tenancy.tenant_by_id(row.tenant_id)
        _audit(tenancy, tenant, actor, audit.TOKEN_REVOKED, row.id, values)


def authenticate(tenancy: Tenancy, token: str | None) -> Principal:
    """The principal of a token; missing, unknown, revoked and expired all answer 401 alike."""
    if not token:
        raise NotAuthenticated("An access token is required")
    digest = _hash(token)
    with tenancy.meta.connect() as conn:
        row = conn.execute(sa.select(tokens).where(tokens.c.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at:
        raise NotAuthenticated("The access token is not valid")
    if row.expires_at and row.expires_at <= now_text():
        raise NotAuthenticated("The access token is not valid")
    return Principal(
        token_id=row.id,
        tenant=tenancy.tenant_by_id(row.tenant_id),
        user=row.user_name,
        roles=tuple(msgspec.json.decode(row.roles)),
        scopes=frozenset(msgspec.json.decode(row.scopes)),
    )
