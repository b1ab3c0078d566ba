"""the frequent words of free-text answers, counted by the clock (job `words`)

Web workers read the words from `survey_words` instead of running the Japanese analyser
(about 80 MB per process). One row per (survey, free-text question, channel or `all`): the
words with their counts, the answers they were counted from, and when. The first run of the
`words` job fills it; until then the results page says the words are not counted yet.

Revision ID: 0020_survey_words
Revises: 0019_parked_surveys
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_survey_words"
down_revision = "0019_parked_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_words",
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_words_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "survey_id", "question_id", "channel", name=op.f("pk_survey_words")
        ),
    )


def downgrade() -> None:
    op.drop_table("survey_words")
