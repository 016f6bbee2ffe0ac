"""Tenant keys, step 5b: the unique indexes of the composite keys, CONCURRENTLY.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-22

The indexes the next revision turns into primary keys and unique constraints, built while
writes go on:

- ``<table>_id_user_id_key`` UNIQUE ``(id, user_id)`` on the 42 tables distributed by
  ``user_id`` that have an ``id`` (``user_roles``' key already holds ``user_id``): their
  primary keys become ``(id, user_id)``, the key a composite foreign key references;
- ``track_analysis_cache_track_id_user_id_key`` UNIQUE ``(track_id, user_id)`` (one analysis
  per track stays the rule, with the distribution column in the key);
- ``sessions_id_token_hash_key`` and ``accounts_id_provider_account_id_key``: the lookup
  tables' primary keys with their distribution column.

``id`` is already unique, so no build can fail on duplicates. Each build runs in its own
autocommit block (CREATE INDEX CONCURRENTLY cannot run in a transaction) and the revision
holds nothing else (see 0022). IF NOT EXISTS lets a re-run go on (an interrupted concurrent
build leaves an INVALID index: drop it before re-running).

Downgrade drops the indexes, CONCURRENTLY.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_USER = (
    "activity_events",
    "books",
    "calendar_events",
    "daily_plans",
    "exercise_sets",
    "flashcard_decks",
    "flashcards",
    "focus_pause_state",
    "focus_sessions",
    "goal_milestones",
    "goals",
    "habit_logs",
    "habits",
    "ideas",
    "journal_entries",
    "notifications",
    "personal_records",
    "points_ledger",
    "program_weeks",
    "program_workouts",
    "quests",
    "reading_sessions",
    "reference_tracks",
    "track_analysis_cache",
    "training_programs",
    "user_achievements",
    "user_drill_stats",
    "user_interests",
    "user_lesson_progress",
    "user_onboarding_state",
    "user_progress",
    "user_purchases",
    "user_quest_progress",
    "user_settings",
    "user_skills",
    "user_streaks",
    "user_ui_modules",
    "user_wallet",
    "workout_exercises",
    "workout_sections",
    "workout_sessions",
    "workouts",
)
# (index, table, columns)
INDEXES = (
    *((f"{table}_id_user_id_key", table, ("id", "user_id")) for table in BY_USER),
    ("track_analysis_cache_track_id_user_id_key", "track_analysis_cache", ("track_id", "user_id")),
    ("sessions_id_token_hash_key", "sessions", ("id", "token_hash")),
    ("accounts_id_provider_account_id_key", "accounts", ("id", "provider_account_id")),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        with op.get_context().autocommit_block():
            op.create_index(
                name,
                table,
                list(columns),
                unique=True,
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        with op.get_context().autocommit_block():
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
