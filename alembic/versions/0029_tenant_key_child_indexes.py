"""Tenant keys, step 5a: index user_id on the eight children, CONCURRENTLY.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-22

``<table>_user_id_idx`` on the tables that gained ``user_id`` in 0025: the index every
user-owned table has on its owner (row-level security filters by it; deleting a user cascades
through it). CREATE INDEX CONCURRENTLY cannot run in a transaction: each build runs in its own
autocommit block, and the revision holds nothing else, so nothing is committed with them (see
0022). IF NOT EXISTS lets a re-run after an interruption go on (an interrupted concurrent
build leaves an INVALID index: drop it before re-running).

Downgrade drops the indexes, CONCURRENTLY.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
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
)


def upgrade() -> None:
    for table in TABLES:
        with op.get_context().autocommit_block():
            op.create_index(
                f"{table}_user_id_idx",
                table,
                ["user_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.get_context().autocommit_block():
            op.drop_index(
                f"{table}_user_id_idx",
                table_name=table,
                postgresql_concurrently=True,
                if_exists=True,
            )
