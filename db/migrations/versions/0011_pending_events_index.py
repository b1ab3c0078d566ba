"""webhook events: index only the pending rows (the ones recovery looks up by time)

Revision ID: 0011_pending_events_index
Revises: 0010_deliveries_without_fks
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_pending_events_index"
down_revision = "0010_deliveries_without_fks"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch_op:
        batch_op.drop_index("ix_webhook_events_status_received")
        batch_op.create_index(
            "ix_webhook_events_pending",
            ["received_at"],
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch_op:
        batch_op.drop_index("ix_webhook_events_pending")
        batch_op.create_index(
            "ix_webhook_events_status_received", ["status", "received_at"], unique=False
        )
