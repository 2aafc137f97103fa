"""The audit log of schema-level changes, one per tenant, kept in the tenant's space so each
event is written in the same transaction as the change it records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl import outbox
from ddl.catalog import TableDef, internal_metadata, now_text

audit_events = sa.Table(
    "_ct_audit",
    internal_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("created_at", sa.String(32), nullable=False, index=True),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("resource_id", sa.String(64)),
    sa.Column("resource_name", sa.String(255), index=True),
    sa.Column("details", sa.UnicodeText, nullable=False),
)


# Actions of the v3 engine (resource type "custom_table") and of tokens (resource type "token").
CUSTOM_TABLE = "custom_table"
TOKEN = "token"  # noqa: S105 (a resource type, not a secret)
TABLE_CREATED = "table.created"
COLUMNS_ADDED = "table.columns_added"
TABLE_DROPPED = "table.dropped"
PERMISSIONS_CHANGED = "table.permissions_changed"
ROWS_IMPORTED = "rows.imported"
ROWS_DELETED_ALL = "rows.deleted_all"
ROWS_DELETED_WHERE = "rows.deleted_where"
TOKEN_CREATED = "token.created"  # noqa: S105
TOKEN_REVOKED = "token.revoked"  # noqa: S105


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    created_at: str
    user: str
    action: str
    resource_type: str
    resource_id: str | None
    resource_name: str | None
    details: dict[str, Any]


def record(
    conn: sa.Connection,
    user: str,
    action: str,
    resource_type: str,
    *,
    resource_id: str | None = None,
    resource_name: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one event inside the caller's transaction (it commits or rolls back with it);
    a table's change is also a change event of the outbox (ddl/outbox.py)."""
    conn.execute(
        audit_events.insert().values(
            id=str(uuid.uuid4()),
            created_at=now_text(),
            user_name=user,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            resource_name=resource_name,
            details=msgspec.json.encode(details or {}).decode(),
        )
    )
    outbox.table_audited(conn, action, resource_type, resource_id, resource_name, details)


def record_table(
    conn: sa.Connection, user: str, action: str, table: TableDef, details: dict[str, Any]
) -> None:
    """An event about a v3 custom table, named by its id and its current spelling."""
    record(
        conn,
        user,
        action,
        CUSTOM_TABLE,
        resource_id=table.id,
        resource_name=table.name,
        details=details,
    )


def list_events(
    conn: sa.Connection,
    *,
    actions: list[str] | None = None,
    resource_type: str | None = None,
    resource_types: list[str] | None = None,
    resource_name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEvent]:
    """Events newest first, filtered; `resource_name` matches case-insensitively."""
    table = audit_events
    query = sa.select(table).order_by(table.c.seq.desc()).limit(limit).offset(offset)
    if actions:
        query = query.where(table.c.action.in_(actions))
    if resource_type:
        query = query.where(table.c.resource_type == resource_type)
    if resource_types:
        query = query.where(table.c.resource_type.in_(resource_types))
    if resource_name:
        query = query.where(sa.func.lower(table.c.resource_name) == resource_name.lower())
    if since:
        query = query.where(table.c.created_at >= since)
    if until:
        query = query.where(table.c.created_at < until)
    return [
        AuditEvent(
            row.id,
            row.created_at,
            row.user_name,
            row.action,
            row.resource_type,
            row.resource_id,
            row.resource_name,
            msgspec.json.decode(row.details),
        )
        for row in conn.execute(query)
    ]
