"""Tenant keys, step 7: validate the composite foreign keys, each in its own transaction.

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-22

The sixteen ``(parent_id, user_id) -> parent (id, user_id)`` keys of 0031 were added NOT
VALID (new rows were checked from then on). VALIDATE CONSTRAINT scans the existing rows
under SHARE UPDATE EXCLUSIVE on the child and ROW SHARE on the parent: reads and writes go
on. Each runs in an autocommit block, so each validation is its own short transaction and a
failure (a row pointing at another user's parent: the hole these keys close) stops at that
key, naming it, with the earlier ones kept; a re-run validates the rest (validating a valid
key again is a no-op).

Downgrade puts the keys back NOT VALID, as 0031 left them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child, column, parent, ON DELETE)
COMPOSITE = (
    ("habit_logs", "habit_id", "habits", "CASCADE"),
    ("goal_milestones", "goal_id", "goals", "CASCADE"),
    ("calendar_events", "parent_event_id", "calendar_events", "CASCADE"),
    ("calendar_events", "workout_id", "workouts", "NO ACTION"),
    ("workout_sections", "workout_id", "workouts", "CASCADE"),
    ("workout_exercises", "workout_id", "workouts", "CASCADE"),
    ("workout_exercises", "section_id", "workout_sections", "NO ACTION"),
    ("workout_sessions", "workout_id", "workouts", "NO ACTION"),
    ("exercise_sets", "session_id", "workout_sessions", "CASCADE"),
    ("personal_records", "exercise_set_id", "exercise_sets", "NO ACTION"),
    ("program_weeks", "program_id", "training_programs", "CASCADE"),
    ("program_workouts", "program_week_id", "program_weeks", "CASCADE"),
    ("program_workouts", "workout_id", "workouts", "CASCADE"),
    ("reading_sessions", "book_id", "books", "CASCADE"),
    ("flashcards", "deck_id", "flashcard_decks", "CASCADE"),
    ("track_analysis_cache", "track_id", "reference_tracks", "CASCADE"),
)


def upgrade() -> None:
    for child, column, _, _ in COMPOSITE:
        with op.get_context().autocommit_block():
            # Re-runnable: validating a valid key again is a no-op.
            op.execute(
                "-- squawk-ignore prefer-robust-stmts\n"
                f"ALTER TABLE {child} VALIDATE CONSTRAINT {child}_{column}_user_id_fkey"
            )


def downgrade() -> None:
    for child, column, parent, on_delete in reversed(COMPOSITE):
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {child}_{column}_user_id_fkey")
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT {child}_{column}_user_id_fkey "
            f"FOREIGN KEY ({column}, user_id) REFERENCES {parent} (id, user_id) "
            f"ON DELETE {on_delete} NOT VALID"
        )
