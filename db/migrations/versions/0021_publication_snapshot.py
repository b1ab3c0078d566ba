"""published survey results are a snapshot taken at publication

`content_items.snapshot` holds a publication's results as published (already under the
public rule), with when they were counted; the public page and its static copy show it, and
publishing again replaces it. Publications published before this revision have none: their
public page takes one at its first visit (or staff publish again).

Revision ID: 0021_publication_snapshot
Revises: 0020_survey_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_publication_snapshot"
down_revision = "0020_survey_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_items") as batch:
        batch.add_column(sa.Column("snapshot", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_items") as batch:
        batch.drop_column("snapshot")
