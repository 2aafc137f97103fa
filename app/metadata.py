"""The server's own metadata tables (tenants, tokens, rate limits), migrated with Alembic."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

tenants = sa.Table(
    "ct_tenants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("schema_name", sa.String(63), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)

tokens = sa.Table(
    "ct_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # NULL only for a server-admin token, which belongs to no tenant
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("ct_tenants.id")),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("roles", sa.UnicodeText, nullable=False),
    sa.Column("scopes", sa.UnicodeText, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.String(32)),
    sa.Column("revoked_at", sa.String(32)),
    sa.Column("last_used_at", sa.String(32)),
    sa.Column("server_admin", sa.Boolean, nullable=False, server_default=sa.false()),
)

# v1 rate-limit counters shared by every worker (a Litestar Store on the metadata database)
rate_limits = sa.Table(
    "ct_rate_limits",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("expires_at", sa.Float),
)

secrets = sa.Table(
    "ct_secrets",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)

# tenants that have webhooks: the dispatchers of every process visit only these spaces
webhook_tenants = sa.Table(
    "ct_webhook_tenants",
    metadata,
    sa.Column("tenant_id", sa.String(36), primary_key=True),
    sa.Column("since", sa.String(32), nullable=False),
)
