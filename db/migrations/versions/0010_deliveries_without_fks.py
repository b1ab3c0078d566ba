"""broadcast deliveries without per-row foreign-key checks (fan-out speed)

Revision ID: 0010_deliveries_without_fks
Revises: 0009_merge_areas
"""

from alembic import op

revision = "0010_deliveries_without_fks"
down_revision = "0009_merge_areas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast_deliveries") as batch_op:
        batch_op.drop_constraint(
            "fk_broadcast_deliveries_resident_id_residents", type_="foreignkey"
        )
        batch_op.drop_constraint(
            "fk_broadcast_deliveries_broadcast_id_broadcasts", type_="foreignkey"
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast_deliveries") as batch_op:
        batch_op.create_foreign_key(
            "fk_broadcast_deliveries_broadcast_id_broadcasts",
            "broadcasts",
            ["broadcast_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_broadcast_deliveries_resident_id_residents",
            "residents",
            ["resident_id"],
            ["id"],
            ondelete="CASCADE",
        )
