"""announcements: an English text and an action (event:ID | survey:ID | url:URL)

Revision ID: 0013_announcement_actions
Revises: 0012_answer_channels
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_announcement_actions"
down_revision = "0012_answer_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("text_en", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("action", sa.String(length=1100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("action")
        batch_op.drop_column("text_en")
