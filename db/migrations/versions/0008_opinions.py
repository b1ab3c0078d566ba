"""opinions and public comments

Revision ID: 0008_opinions
Revises: 0002_staff
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0008_opinions"
down_revision = "0002_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opinions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.String(length=64), nullable=True),
        sa.Column("section", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("receipt_no", sa.String(length=32), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_opinions_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinions")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_opinions_receipt_no")),
    )
    with op.batch_alter_table("opinions") as batch_op:
        batch_op.create_index(batch_op.f("ix_opinions_resident_id"), ["resident_id"])
        batch_op.create_index(batch_op.f("ix_opinions_consultation_id"), ["consultation_id"])
        batch_op.create_index(batch_op.f("ix_opinions_created_at"), ["created_at"])


def downgrade() -> None:
    op.drop_table("opinions")
