"""events: workshops and meetings, sign-ups with mode, waitlist, attendance, reminders

Revision ID: 0004_events
Revises: 0002_staff
Create Date: 2026-11-28 19:10:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0004_events"
down_revision = "0002_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("series", sa.String(length=64), nullable=True),
        sa.Column("series_title", sa.JSON(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("venue", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("starts_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity_onsite", sa.Integer(), nullable=False),
        sa.Column("capacity_online", sa.Integer(), nullable=False),
        sa.Column("online_url", sa.String(length=1000), nullable=True),
        sa.Column("signup_closes_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_series"), ["series"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "event_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("waitlist_seq", sa.Integer(), nullable=True),
        sa.Column("attendance_code", sa.String(length=8), nullable=False),
        sa.Column("attended_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_signups_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_event_signups_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_signups")),
        sa.UniqueConstraint(
            "attendance_code", "event_id", name=op.f("uq_event_signups_attendance_code")
        ),
        sa.UniqueConstraint("resident_id", "event_id", name=op.f("uq_event_signups_resident_id")),
    )
    with op.batch_alter_table("event_signups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_signups_event_mode_status", ["event_id", "mode", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("event_signups", schema=None) as batch_op:
        batch_op.drop_index("ix_event_signups_event_mode_status")
    op.drop_table("event_signups")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_events_series"))
    op.drop_table("events")
