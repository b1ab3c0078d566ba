"""announcements: broadcasts, deliveries, batches, notify opt-outs

Revision ID: 0005_broadcasts
Revises: 0002_staff
Create Date: 2026-11-28 20:30:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0005_broadcasts"
down_revision = "0002_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=2000), nullable=True),
        sa.Column("link_url", sa.String(length=1000), nullable=True),
        sa.Column("link_label", sa.String(length=40), nullable=True),
        sa.Column("segment", sa.String(length=1000), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=300), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("cancelled_by", sa.String(length=254), nullable=True),
        sa.Column("cancelled_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcasts_status_scheduled", ["status", "scheduled_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_broadcasts_content_hash"), ["content_hash"], unique=False
        )

    op.create_table(
        "broadcast_deliveries",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_deliveries_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_broadcast_deliveries_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "broadcast_id", "resident_id", name=op.f("pk_broadcast_deliveries")
        ),
    )
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcast_deliveries_batch", ["broadcast_id", "batch_no"], unique=False
        )

    op.create_table(
        "broadcast_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("retry_key", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_attempt_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_batches_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_batches")),
        sa.UniqueConstraint(
            "broadcast_id", "batch_no", name=op.f("uq_broadcast_batches_broadcast_id")
        ),
        sa.UniqueConstraint("retry_key", name=op.f("uq_broadcast_batches_retry_key")),
    )
    with op.batch_alter_table("broadcast_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcast_batches_status", ["broadcast_id", "status"], unique=False
        )

    op.create_table(
        "notify_optouts",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_notify_optouts_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", "topic", name=op.f("pk_notify_optouts")),
    )


def downgrade() -> None:
    op.drop_table("notify_optouts")
    with op.batch_alter_table("broadcast_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_batches_status")
    op.drop_table("broadcast_batches")
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_deliveries_batch")
    op.drop_table("broadcast_deliveries")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_content_hash"))
        batch_op.drop_index("ix_broadcasts_status_scheduled")
    op.drop_table("broadcasts")
