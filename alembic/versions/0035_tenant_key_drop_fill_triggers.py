"""Tenant keys, step 9: the writers send user_id; the fill triggers go.

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-22

Drops the temporary ``<table>_fill_user_id`` triggers of 0025 and their function
``fill_user_id_from_parent``: from here on every insert into the eight child tables carries
``user_id`` itself (the app, the D1 import and the seeds do), and a row without it fails on
NOT NULL (23502). A trigger that reads another table cannot run on a Citus shard, so it could
not stay anyway (the distribution check reports it).

Lock safety: DROP TRIGGER changes only the catalog (short lock, lock_timeout).

Downgrade recreates the function and the triggers as 0025 made them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child, parent, the child's column that references the parent)
CHILDREN = (
    ("goal_milestones", "goals", "goal_id"),
    ("workout_sections", "workouts", "workout_id"),
    ("workout_exercises", "workouts", "workout_id"),
    ("exercise_sets", "workout_sessions", "session_id"),
    ("program_weeks", "training_programs", "program_id"),
    ("program_workouts", "program_weeks", "program_week_id"),
    ("flashcards", "flashcard_decks", "deck_id"),
    ("track_analysis_cache", "reference_tracks", "track_id"),
)


def upgrade() -> None:
    for table, _, _ in CHILDREN:
        op.execute(f"DROP TRIGGER {table}_fill_user_id ON {table}")
    # Only the triggers above ran it (the app had no EXECUTE on it).
    op.execute("-- squawk-ignore ban-drop-function\nDROP FUNCTION fill_user_id_from_parent()")


def downgrade() -> None:
    op.execute("""
CREATE FUNCTION fill_user_id_from_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL THEN
        EXECUTE format('SELECT user_id FROM public.%I WHERE id = $1', TG_ARGV[0])
            INTO NEW.user_id
            USING (to_jsonb(NEW) ->> TG_ARGV[1])::uuid;
    END IF;
    RETURN NEW;
END;
$$""")
    op.execute("REVOKE EXECUTE ON FUNCTION fill_user_id_from_parent() FROM ignition_app")
    for table, parent, column in reversed(CHILDREN):
        op.execute(
            f"CREATE TRIGGER {table}_fill_user_id BEFORE INSERT ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION fill_user_id_from_parent('{parent}', '{column}')"
        )
