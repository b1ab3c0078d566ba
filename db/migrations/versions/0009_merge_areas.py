"""merge the area branches (surveys, events, broadcasts, digest, opinions) into one head

Revision ID: 0009_merge_areas
Revises: 0003_surveys, 0004_events, 0005_broadcasts, 0006_digest, 0008_opinions
"""

revision = "0009_merge_areas"
down_revision = ("0003_surveys", "0004_events", "0005_broadcasts", "0006_digest", "0008_opinions")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
