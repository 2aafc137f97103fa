"""Row change events (issue 19): which tenants have webhooks.

- `ct_webhook_tenants`: one row per tenant that has (or had) a webhook, so the dispatcher of
  every process visits only those tenants' spaces for due deliveries. No foreign key: a
  deleted tenant's row is dropped by the dispatcher (and by tenant deletion).

The outbox, webhooks and deliveries themselves live in each tenant's space; an existing space
gets those tables when it is next opened (app.tenancy `_upgrade_space`, as for every internal
table), so tenants made by earlier releases emit events without any other step.

Revision ID: 0004_webhooks
Revises: 0003_operations
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_webhooks"
down_revision = "0003_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ct_webhook_tenants",
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("since", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ct_webhook_tenants")
