"""the webhook event queue

Revision ID: 0018_event_queue
Revises: 0017_attendee_names
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0018_event_queue"
down_revision = "0017_attendee_names"
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"
HEADS = "status = 'pending' AND head"


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("replied_by_push", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("head", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("leased_until", db.base.UTCDateTime(timezone=True), nullable=True)
        )
    # events left pending by the old code: each its own sender (no order to keep), each a head
    op.execute(f"UPDATE webhook_events SET sender = event_id, head = true WHERE {PENDING}")
    # the queue is taken in arrival order straight from the index (no sort of the backlog)
    op.drop_index("ix_webhook_events_pending", table_name="webhook_events")
    op.create_index(
        "ix_webhook_events_pending",
        "webhook_events",
        ["received_at", "id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    op.create_index(
        "ix_webhook_events_queue",
        "webhook_events",
        ["sender", "id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    op.create_index(
        "ix_webhook_events_heads",
        "webhook_events",
        ["id"],
        postgresql_where=sa.text(HEADS),
        sqlite_where=sa.text(HEADS),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_events_heads", table_name="webhook_events")
    op.drop_index("ix_webhook_events_queue", table_name="webhook_events")
    op.drop_index("ix_webhook_events_pending", table_name="webhook_events")
    op.create_index(
        "ix_webhook_events_pending",
        "webhook_events",
        ["received_at"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    with op.batch_alter_table("webhook_events") as batch_op:
        batch_op.drop_column("leased_until")
        batch_op.drop_column("head")
        batch_op.drop_column("replied_by_push")
        batch_op.drop_column("sender")
