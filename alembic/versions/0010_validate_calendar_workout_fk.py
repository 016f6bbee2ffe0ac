"""Validate the calendar_events.workout_id foreign key added NOT VALID by 0008.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21

VALIDATE CONSTRAINT scans calendar_events under a SHARE UPDATE EXCLUSIVE lock, which lets
reads and writes go on; in the transaction that added the constraint, the ALTER's stronger
lock would have been held for the whole scan. So it has a revision (a transaction) of its own.

Downgrade returns the constraint to NOT VALID (dropped and re-added so), as 0008 left it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE calendar_events VALIDATE CONSTRAINT calendar_events_workout_id_fkey")


def downgrade() -> None:
    op.drop_constraint("calendar_events_workout_id_fkey", "calendar_events", type_="foreignkey")
    op.create_foreign_key(
        "calendar_events_workout_id_fkey",
        "calendar_events",
        "workouts",
        ["workout_id"],
        ["id"],
        ondelete="SET NULL",
        postgresql_not_valid=True,
    )
