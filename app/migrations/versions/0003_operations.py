"""Operating it (issue 17): token last use, server-admin tokens, shared rate-limit counters.

- `ct_tokens.last_used_at`: when a token was last used (recorded at most once a minute).
- `ct_tokens.server_admin`: a server-admin token belongs to no tenant, so `tenant_id` may be
  NULL for it (and only for it).
- `ct_rate_limits`: the v1 rate-limit counters, shared by every worker and host, when no
  Redis is configured.

Existing tokens keep working unchanged: they get `server_admin = false`, `last_used_at` NULL.

Revision ID: 0003_operations
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_operations"
down_revision = "0002"  # after 0002_server_secrets
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ct_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.String(32)))
        batch.add_column(
            sa.Column("server_admin", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.alter_column("tenant_id", existing_type=sa.String(36), nullable=True)
    op.create_table(
        "ct_rate_limits",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("ct_rate_limits")
    with op.batch_alter_table("ct_tokens") as batch:
        batch.alter_column("tenant_id", existing_type=sa.String(36), nullable=False)
        batch.drop_column("server_admin")
        batch.drop_column("last_used_at")
