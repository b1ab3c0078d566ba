"""opinions: status, category, memo, replies

Revision ID: 0016_opinion_workflow
Revises: 0015_anonymous_unlinkable
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0016_opinion_workflow"
down_revision = "0015_anonymous_unlinkable"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opinions") as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("category", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("memo", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("handled_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_opinions_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_opinions_category"), ["category"])
    op.create_table(
        "opinion_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("staff", sa.String(length=120), nullable=False),
        sa.Column("retry_key", sa.String(length=36), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_opinion_replies_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_replies")),
        sa.UniqueConstraint("retry_key", name=op.f("uq_opinion_replies_retry_key")),
    )
    with op.batch_alter_table("opinion_replies") as batch_op:
        batch_op.create_index(batch_op.f("ix_opinion_replies_opinion_id"), ["opinion_id"])


def downgrade() -> None:
    op.drop_table("opinion_replies")
    with op.batch_alter_table("opinions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_opinions_category"))
        batch_op.drop_index(batch_op.f("ix_opinions_status"))
        batch_op.drop_column("handled_at")
        batch_op.drop_column("memo")
        batch_op.drop_column("category")
        batch_op.drop_column("status")
