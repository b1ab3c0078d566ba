"""anonymous answers: unlinkable storage (the holding pool, answers sealed)

Revision ID: 0015_anonymous_unlinkable
Revises: 0014_staff_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_anonymous_unlinkable"
down_revision = "0014_staff_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_pending_answers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("age_band", sa.String(length=32), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("residency", sa.String(length=16), nullable=True),
        sa.Column("pooled_on", sa.Date(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_pending_answers_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_pending_answers")),
    )
    op.create_index(
        op.f("ix_survey_pending_answers_survey_id"),
        "survey_pending_answers",
        ["survey_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_pending_answers_survey_id"), table_name="survey_pending_answers")
    op.drop_table("survey_pending_answers")
