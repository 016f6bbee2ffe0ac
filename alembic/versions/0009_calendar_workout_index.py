"""Index calendar_events.workout_id, CONCURRENTLY.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

calendar_events may be populated, so the index on its new foreign key column is built with
CREATE INDEX CONCURRENTLY (writes go on meanwhile), which cannot run inside a transaction: it
runs in an autocommit block, alone in this revision so that nothing else is committed with
it. IF NOT EXISTS lets a re-run after an interrupted build go through (an interrupted
concurrent build leaves an INVALID index: drop it before re-running).

Downgrade drops the index, CONCURRENTLY.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "calendar_events_workout_id_idx",
            "calendar_events",
            ["workout_id"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "calendar_events_workout_id_idx",
            table_name="calendar_events",
            postgresql_concurrently=True,
            if_exists=True,
        )
