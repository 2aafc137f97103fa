"""Managing a tenant's webhooks (SPEC §14): checks, storage and audit, for the HTTP routes.

Every change is in the tenant's audit log (`webhook.created`, `webhook.deleted`), written in
the same transaction. The secret is never logged and never listed after creation.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from app import webhook_guard
from app.dispatcher import mark_tenant
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import Principal
from ddl import audit, outbox, webhooks
from ddl.access import require_admin
from ddl.errors import NotFound, ValidationError

RESOURCE = "webhook"
MAX_TABLES = 100
MAX_SECRET = 200
MIN_SECRET = 16


def _tables(names: Sequence[str]) -> list[str]:
    if len(names) > MAX_TABLES:
        raise ValidationError(f"Tables lists at most {MAX_TABLES} table names")
    checked = []
    for name in names:  # v3 names, or v1 names (which allow more): printable, 255 at most
        if not name.strip() or len(name) > 255 or not name.isprintable():
            raise ValidationError(f"Tables: {name!r} is not a table name")
        checked.append(name.strip())
    return list(dict.fromkeys(checked))


def _events(kinds: Sequence[str]) -> list[str]:
    if not kinds:
        return list(outbox.EVENT_KINDS)
    unknown = [kind for kind in kinds if kind not in outbox.EVENT_KINDS]
    if unknown:
        raise ValidationError(
            f"Unknown event '{unknown[0]}'; Events takes {', '.join(outbox.EVENT_KINDS)}"
        )
    return list(dict.fromkeys(kinds))


def _secret(given: str | None) -> str:
    if given is None:
        return "whsec_" + secrets.token_urlsafe(32)
    if not MIN_SECRET <= len(given) <= MAX_SECRET or not given.isprintable():
        raise ValidationError(
            f"Secret must be {MIN_SECRET} to {MAX_SECRET} printable characters"
        )
    return given


def create(
    tenancy: Tenancy,
    settings: Settings,
    principal: Principal,
    url: str,
    tables: Sequence[str],
    events: Sequence[str],
    secret: str | None,
) -> webhooks.Webhook:
    require_admin(principal.caller, "manage webhooks")
    parsed = webhook_guard.check_url(url)
    names, kinds, key = _tables(tables), _events(events), _secret(secret)
    webhook_guard.resolve(parsed, settings.webhook_allow_private, principal.tenant.id)
    mark_tenant(tenancy, principal.tenant.id)  # first: a crash after it only costs a visit
    with tenancy.space(principal.tenant).write() as conn:
        if webhooks.count_webhooks(conn) >= settings.max_webhooks:
            raise ValidationError(
                f"A tenant has at most {settings.max_webhooks} webhooks"
            )
        hook = webhooks.create_webhook(conn, str(parsed), names, kinds, key, principal.user)
        audit.record(
            conn, principal.user, "webhook.created", RESOURCE, resource_id=hook.id,
            resource_name=hook.url, details={"Tables": names, "Events": kinds},
        )  # fmt: skip
    return hook


def list_all(tenancy: Tenancy, principal: Principal) -> list[webhooks.Webhook]:
    require_admin(principal.caller, "manage webhooks")
    with tenancy.space(principal.tenant).read() as conn:
        return webhooks.list_webhooks(conn)


def _missing(webhook_id: str) -> NotFound:
    return NotFound(f"Webhook '{webhook_id}' does not exist")


def delete(tenancy: Tenancy, principal: Principal, webhook_id: str) -> None:
    require_admin(principal.caller, "manage webhooks")
    with tenancy.space(principal.tenant).write() as conn:
        hook = webhooks.find_webhook(conn, webhook_id[:64])
        if hook is None:
            raise _missing(webhook_id)
        webhooks.delete_webhook(conn, hook.id)
        audit.record(
            conn, principal.user, "webhook.deleted", RESOURCE, resource_id=hook.id,
            resource_name=hook.url, details={},
        )  # fmt: skip


def attempts(
    tenancy: Tenancy, principal: Principal, webhook_id: str, limit: int
) -> list[webhooks.Attempt]:
    require_admin(principal.caller, "manage webhooks")
    if not 1 <= limit <= 1000:
        raise ValidationError("Top must be from 1 to 1000")
    with tenancy.space(principal.tenant).read() as conn:
        if webhooks.find_webhook(conn, webhook_id[:64]) is None:
            raise _missing(webhook_id)
        return webhooks.recent_attempts(conn, webhook_id, limit)
