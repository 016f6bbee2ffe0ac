"""Tenant keys, step 3: CHECK (user_id IS NOT NULL) NOT VALID on the children and quests.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-22

``<table>_user_id_not_null_check`` on the eight children that gained ``user_id`` (0025) and on
``quests`` (its global rows moved out in 0026). NOT VALID: from now on every new or updated row
must have a user, and the existing rows (filled by 0026) are not scanned under the lock; the
next revision validates the checks without blocking writes and turns them into NOT NULL.

Lock safety: ADD CONSTRAINT ... NOT VALID changes only the catalog (a short ACCESS EXCLUSIVE
lock per table, bounded by lock_timeout).

Downgrade drops the checks.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "goal_milestones",
    "workout_sections",
    "workout_exercises",
    "exercise_sets",
    "program_weeks",
    "program_workouts",
    "flashcards",
    "track_analysis_cache",
    "quests",
)


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_user_id_not_null_check "
            "CHECK (user_id IS NOT NULL) NOT VALID"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_user_id_not_null_check")
