"""Tenant keys (revisions 0025-): what keeps every user-owned row carrying its ``user_id``.

- ``fill_user_id_from_parent(parent, column)``: a temporary ``BEFORE INSERT`` trigger on the
  eight tables that gained ``user_id`` in revision 0025 fills it from the parent row when the
  writer does not send it (SECURITY INVOKER: a writer sees only the parents row-level security
  shows it, so it can only copy a user it may act for). It goes once the app sends ``user_id``.
"""

from __future__ import annotations

from sqlalchemy_declarative_extensions import register_trigger
from sqlalchemy_declarative_extensions.dialects.postgresql import Trigger

from models.base import metadata
from models.sql import declare_function

# (child, parent, the child's column that references the parent)
CHILDREN: tuple[tuple[str, str, str], ...] = (
    ("goal_milestones", "goals", "goal_id"),
    ("workout_sections", "workouts", "workout_id"),
    ("workout_exercises", "workouts", "workout_id"),
    ("exercise_sets", "workout_sessions", "session_id"),
    ("program_weeks", "training_programs", "program_id"),
    ("program_workouts", "program_weeks", "program_week_id"),
    ("flashcards", "flashcard_decks", "deck_id"),
    ("track_analysis_cache", "reference_tracks", "track_id"),
)
"""The tables that reach their user through a parent until revision 0025 gave them user_id."""

FILL_USER_ID_FROM_PARENT = declare_function(
    "fill_user_id_from_parent",
    """
BEGIN
    IF NEW.user_id IS NULL THEN
        EXECUTE format('SELECT user_id FROM public.%I WHERE id = $1', TG_ARGV[0])
            INTO NEW.user_id
            USING (to_jsonb(NEW) ->> TG_ARGV[1])::uuid;
    END IF;
    RETURN NEW;
END;
""",
    returns="trigger",
)

for _table, _parent, _column in CHILDREN:
    register_trigger(
        metadata,
        Trigger.before("insert", on=_table, execute="fill_user_id_from_parent")
        .named(f"{_table}_fill_user_id")
        .for_each_row()
        .with_arguments(_parent, _column),
    )
