"""attendee names for the door list

Revision ID: 0017_attendee_names
Revises: 0016_opinion_workflow
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_attendee_names"
down_revision = "0016_opinion_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_signups") as batch_op:
        batch_op.add_column(sa.Column("door_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_signups") as batch_op:
        batch_op.drop_column("door_name")
