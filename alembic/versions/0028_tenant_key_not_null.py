"""Tenant keys, step 4: validate, then user_id NOT NULL on the children and quests.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-22

- VALIDATE the ``user_id IS NOT NULL`` checks of 0027 and the children's ``user_id`` foreign
  keys to ``users`` of 0025: a scan under SHARE UPDATE EXCLUSIVE, so reads and writes go on.
- ``ALTER COLUMN user_id SET NOT NULL``: PostgreSQL sees the valid check and skips the scan,
  so the ACCESS EXCLUSIVE lock lasts only for the catalog change; then the checks go (the
  column's NOT NULL says the same).

Downgrade makes the columns nullable again and puts back the checks and foreign keys as 0027
left them, NOT VALID.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHILDREN = (
    "goal_milestones",
    "workout_sections",
    "workout_exercises",
    "exercise_sets",
    "program_weeks",
    "program_workouts",
    "flashcards",
    "track_analysis_cache",
)
TABLES = (*CHILDREN, "quests")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_user_id_not_null_check")
        if table in CHILDREN:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_user_id_fkey")
        # The valid check above lets PostgreSQL skip the scan.
        op.execute(
            f"-- squawk-ignore adding-not-nullable-field\n"
            f"ALTER TABLE {table} ALTER COLUMN user_id SET NOT NULL"
        )
        # The NOT NULL just set holds the same guarantee.
        op.execute(
            "-- squawk-ignore ban-drop-constraint\n"
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_user_id_not_null_check"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_user_id_not_null_check "
            "CHECK (user_id IS NOT NULL) NOT VALID"
        )
        op.execute(f"ALTER TABLE {table} ALTER COLUMN user_id DROP NOT NULL")
        if table in CHILDREN:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_user_id_fkey")
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_user_id_fkey FOREIGN KEY (user_id) "
                "REFERENCES users (id) ON DELETE CASCADE NOT VALID"
            )
