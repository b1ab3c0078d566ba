"""job runs: what the clock has done, one row per job and period

Revision ID: 0006_digest
Revises: 0002_staff
Create Date: 2026-11-28 20:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0006_digest"
down_revision = "0002_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("name", "period", name=op.f("uq_job_runs_name")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
