"""answer channels: the response's channel, invitation codes, web drafts, paper sheets entered

Revision ID: 0012_answer_channels
Revises: 0011_pending_events_index
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0012_answer_channels"
down_revision = "0011_pending_events_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_responses") as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), server_default="line", nullable=False)
        )
    op.create_table(
        "survey_invitations",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_invitations_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_survey_invitations")),
    )
    with op.batch_alter_table("survey_invitations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_survey_id"), ["survey_id"], unique=False
        )
    op.create_table(
        "survey_drafts",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_drafts_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_survey_drafts")),
    )
    op.create_table(
        "survey_paper_sheets",
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("sheet_no", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_paper_sheets_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "sheet_no", name=op.f("pk_survey_paper_sheets")),
    )


def downgrade() -> None:
    op.drop_table("survey_paper_sheets")
    op.drop_table("survey_drafts")
    with op.batch_alter_table("survey_invitations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitations_survey_id"))
    op.drop_table("survey_invitations")
    with op.batch_alter_table("survey_responses") as batch_op:
        batch_op.drop_column("channel")
