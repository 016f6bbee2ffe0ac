"""Tenant keys, step 6: composite primary and foreign keys; delete_user and delete helpers.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-22

The key swap of docs/distribution.md, closing the hole of the second security round: a row of
user A can no longer point at user B's parent row (``habit_logs.habit_id`` at B's habit,
``reading_sessions.book_id`` at B's book, ...), because every such foreign key now pairs the
child's ``user_id`` with the parent's.

- ``habits_today`` and ``goals_with_milestones`` join on ``user_id`` too and group by every
  column they select (grouping by the primary key made them depend on it, which would block
  its swap); ``user_session_count`` becomes an aggregate over ``sessions`` (users without
  sessions have no row), as ``sessions`` no longer joins ``users`` on Citus. Replaced first.
- The single-column foreign keys to the parents are dropped, each parent's primary key
  ``(id)`` is swapped for ``(id, user_id)`` with ``PRIMARY KEY USING INDEX`` on the index
  revision 0030 built concurrently (the columns are NOT NULL already: no scan), and the
  composite foreign keys ``(parent_id, user_id) -> parent (id, user_id)`` are added NOT VALID
  (validated by the next revisions, without blocking writes). ``sessions`` and ``accounts``
  get ``(id, token_hash)`` and ``(id, provider_account_id)``; ``track_analysis_cache``'s
  ``(track_id, user_id)`` index becomes a unique constraint.
- The four ON DELETE SET NULL keys (``calendar_events.workout_id``,
  ``workout_sessions.workout_id``, ``workout_exercises.section_id``,
  ``personal_records.exercise_set_id``) become NO ACTION: Citus refuses SET NULL on a key
  holding the distribution column. ``delete_workout``, ``delete_workout_section``,
  ``delete_workout_session`` and ``delete_exercise_set`` (SECURITY INVOKER) clear the
  references first and delete, in one call.
- The foreign keys to ``users`` that cannot exist on Citus (from the lookup tables, the
  reference tables and the coordinator's local tables, and ``user_roles.granted_by``) are
  dropped; ``delete_user(uuid)`` (SECURITY DEFINER, service only: no EXECUTE for the app, and
  it checks ``app_is_service()``) does what their actions did and deletes the user last.

Lock safety: every statement changes only the catalog (no table scan, no index build), each
under a short ACCESS EXCLUSIVE lock; env.py's lock_timeout makes the revision give up (and
roll back whole) instead of queueing behind a long transaction.

Downgrade restores the previous views, primary keys, foreign keys (validated, with their
actions) and the unique indexes of 0030, and drops the five functions. It fails, changing
nothing, if rows have come to name a user that no longer exists (a user deleted without
``delete_user``), as those foreign keys would refuse them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose primary key becomes (id, user_id).
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
# (table, the index of the new primary key, built by 0030, and its columns)
PRIMARY_KEYS = (
    *((table, f"{table}_id_user_id_key", "id, user_id") for table in BY_USER),
    ("sessions", "sessions_id_token_hash_key", "id, token_hash"),
    ("accounts", "accounts_id_provider_account_id_key", "id, provider_account_id"),
)
# (child, column, parent, ON DELETE before, ON DELETE now)
COMPOSITE = (
    ("habit_logs", "habit_id", "habits", "CASCADE", "CASCADE"),
    ("goal_milestones", "goal_id", "goals", "CASCADE", "CASCADE"),
    ("calendar_events", "parent_event_id", "calendar_events", "CASCADE", "CASCADE"),
    ("calendar_events", "workout_id", "workouts", "SET NULL", "NO ACTION"),
    ("workout_sections", "workout_id", "workouts", "CASCADE", "CASCADE"),
    ("workout_exercises", "workout_id", "workouts", "CASCADE", "CASCADE"),
    ("workout_exercises", "section_id", "workout_sections", "SET NULL", "NO ACTION"),
    ("workout_sessions", "workout_id", "workouts", "SET NULL", "NO ACTION"),
    ("exercise_sets", "session_id", "workout_sessions", "CASCADE", "CASCADE"),
    ("personal_records", "exercise_set_id", "exercise_sets", "SET NULL", "NO ACTION"),
    ("program_weeks", "program_id", "training_programs", "CASCADE", "CASCADE"),
    ("program_workouts", "program_week_id", "program_weeks", "CASCADE", "CASCADE"),
    ("program_workouts", "workout_id", "workouts", "CASCADE", "CASCADE"),
    ("reading_sessions", "book_id", "books", "CASCADE", "CASCADE"),
    ("flashcards", "deck_id", "flashcard_decks", "CASCADE", "CASCADE"),
    ("track_analysis_cache", "track_id", "reference_tracks", "CASCADE", "CASCADE"),
)
# Foreign keys to users that Citus cannot keep: (table, column, ON DELETE); delete_user acts.
TO_USERS = (
    ("accounts", "user_id", "CASCADE"),
    ("sessions", "user_id", "CASCADE"),
    ("authenticators", "user_id", "CASCADE"),
    ("exercises", "user_id", "CASCADE"),
    ("plan_templates", "user_id", "CASCADE"),
    ("infobase_entries", "user_id", "CASCADE"),
    ("market_items", "created_by_user_id", "SET NULL"),
    ("universal_quests", "created_by", "SET NULL"),
    ("audit_log", "user_id", "SET NULL"),
    ("feedback", "user_id", "SET NULL"),
    ("access_requests", "reviewed_by", "SET NULL"),
    ("admin_audit_log", "admin_id", "CASCADE"),
    ("user_roles", "granted_by", "SET NULL"),
)


def upgrade() -> None:
    op.execute("""
CREATE OR REPLACE VIEW habits_today WITH (security_invoker = true) AS
SELECT h.id AS habit_id,
       h.user_id,
       h.name,
       h.frequency,
       h.target_count,
       count(l.id) AS completions_today,
       count(l.id) >= h.target_count AS is_done
FROM habits h
LEFT JOIN habit_logs l
       ON l.habit_id = h.id
      AND l.user_id = h.user_id
      AND l.completed_at >= date_trunc('DAY', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
WHERE h.is_active
GROUP BY h.id, h.user_id, h.name, h.frequency, h.target_count""")
    op.execute("""
CREATE OR REPLACE VIEW goals_with_milestones WITH (security_invoker = true) AS
SELECT g.id AS goal_id,
       g.user_id,
       g.title,
       g.status,
       g.progress,
       g.target_date,
       count(m.id) AS milestones_total,
       count(m.id) FILTER (WHERE m.is_completed) AS milestones_completed,
       COALESCE(jsonb_agg(jsonb_build_object('id', m.id, 'title', m.title, 'is_completed', m.is_completed, 'sort_order', m.sort_order) ORDER BY m.sort_order) FILTER (WHERE m.id IS NOT NULL), '[]'::jsonb) AS milestones
FROM goals g
LEFT JOIN goal_milestones m ON m.goal_id = g.id AND m.user_id = g.user_id
GROUP BY g.id, g.user_id, g.title, g.status, g.progress, g.target_date""")
    op.execute("""
CREATE OR REPLACE VIEW user_session_count WITH (security_invoker = true) AS
SELECT s.user_id,
       count(s.id) FILTER (WHERE s.expires_at > CURRENT_TIMESTAMP) AS active_sessions,
       count(s.id) AS total_sessions,
       max(s.last_active_at) AS last_active_at
FROM sessions s
GROUP BY s.user_id""")
    for child, column, _, _, _ in COMPOSITE:
        op.execute(
            "-- squawk-ignore ban-drop-constraint\n"
            f"ALTER TABLE {child} DROP CONSTRAINT {child}_{column}_fkey"
        )
    # Citus cannot keep these; delete_user() below does what their actions did.
    for table, column, _ in TO_USERS:
        op.execute(
            "-- squawk-ignore ban-drop-constraint\n"
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey"
        )
    for table, index, _ in PRIMARY_KEYS:
        # The new key holds the old one: (id) is still unique inside (id, user_id) for every
        # row, as user_id is a function of id.
        op.execute(
            "-- squawk-ignore ban-drop-constraint\n"
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
            f"ADD CONSTRAINT {table}_pkey PRIMARY KEY USING INDEX {index}"
        )
    op.execute(
        "ALTER TABLE track_analysis_cache ADD CONSTRAINT track_analysis_cache_track_id_user_id_key "
        "UNIQUE USING INDEX track_analysis_cache_track_id_user_id_key"
    )
    for child, column, parent, _, on_delete in COMPOSITE:
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT {child}_{column}_user_id_fkey "
            f"FOREIGN KEY ({column}, user_id) REFERENCES {parent} (id, user_id) "
            f"ON DELETE {on_delete} NOT VALID"
        )
    op.execute("""
CREATE FUNCTION delete_workout(p_user_id uuid, p_workout_id uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    UPDATE calendar_events SET workout_id = NULL
    WHERE user_id = p_user_id AND workout_id = p_workout_id;
    UPDATE workout_sessions SET workout_id = NULL
    WHERE user_id = p_user_id AND workout_id = p_workout_id;
    DELETE FROM workouts WHERE id = p_workout_id AND user_id = p_user_id;
    RETURN FOUND;
END;
$$""")
    op.execute("""
CREATE FUNCTION delete_workout_section(p_user_id uuid, p_section_id uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    UPDATE workout_exercises SET section_id = NULL
    WHERE user_id = p_user_id AND section_id = p_section_id;
    DELETE FROM workout_sections WHERE id = p_section_id AND user_id = p_user_id;
    RETURN FOUND;
END;
$$""")
    op.execute("""
CREATE FUNCTION delete_workout_session(p_user_id uuid, p_session_id uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    UPDATE personal_records SET exercise_set_id = NULL
    WHERE user_id = p_user_id
      AND exercise_set_id IN (SELECT s.id FROM exercise_sets s
                              WHERE s.user_id = p_user_id AND s.session_id = p_session_id);
    DELETE FROM workout_sessions WHERE id = p_session_id AND user_id = p_user_id;
    RETURN FOUND;
END;
$$""")
    op.execute("""
CREATE FUNCTION delete_exercise_set(p_user_id uuid, p_set_id uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    UPDATE personal_records SET exercise_set_id = NULL
    WHERE user_id = p_user_id AND exercise_set_id = p_set_id;
    DELETE FROM exercise_sets WHERE id = p_set_id AND user_id = p_user_id;
    RETURN FOUND;
END;
$$""")
    op.execute("""
CREATE FUNCTION delete_user(p_user_id uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT app_is_service() THEN
        RAISE EXCEPTION 'delete_user: deleting a user is service work'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM sessions WHERE user_id = p_user_id;
    DELETE FROM accounts WHERE user_id = p_user_id;
    DELETE FROM authenticators WHERE user_id = p_user_id;
    DELETE FROM user_emails WHERE user_id = p_user_id;
    DELETE FROM exercises WHERE user_id = p_user_id;
    DELETE FROM plan_templates WHERE user_id = p_user_id;
    DELETE FROM infobase_entries WHERE user_id = p_user_id;
    DELETE FROM admin_audit_log WHERE admin_id = p_user_id;
    UPDATE market_items SET created_by_user_id = NULL WHERE created_by_user_id = p_user_id;
    UPDATE universal_quests SET created_by = NULL WHERE created_by = p_user_id;
    UPDATE audit_log SET user_id = NULL WHERE user_id = p_user_id;
    UPDATE feedback SET user_id = NULL WHERE user_id = p_user_id;
    UPDATE access_requests SET reviewed_by = NULL WHERE reviewed_by = p_user_id;
    UPDATE user_roles SET granted_by = NULL WHERE granted_by = p_user_id;
    DELETE FROM users WHERE id = p_user_id;
    RETURN FOUND;
END;
$$""")
    op.execute("REVOKE EXECUTE ON FUNCTION delete_user(uuid) FROM ignition_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION delete_user(uuid)")
    op.execute("DROP FUNCTION delete_exercise_set(uuid, uuid)")
    op.execute("DROP FUNCTION delete_workout_session(uuid, uuid)")
    op.execute("DROP FUNCTION delete_workout_section(uuid, uuid)")
    op.execute("DROP FUNCTION delete_workout(uuid, uuid)")
    for child, column, _, _, _ in reversed(COMPOSITE):
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {child}_{column}_user_id_fkey")
    op.execute(
        "ALTER TABLE track_analysis_cache DROP CONSTRAINT track_analysis_cache_track_id_user_id_key"
    )
    op.execute(
        "CREATE UNIQUE INDEX track_analysis_cache_track_id_user_id_key "
        "ON track_analysis_cache (track_id, user_id)"
    )
    for table, index, columns in reversed(PRIMARY_KEYS):
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
            f"ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)"
        )
        op.execute(f"CREATE UNIQUE INDEX {index} ON {table} ({columns})")
    for table, column, on_delete in reversed(TO_USERS):
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY ({column}) "
            f"REFERENCES users(id) ON DELETE {on_delete}"
        )
    for child, column, parent, on_delete, _ in reversed(COMPOSITE):
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT {child}_{column}_fkey FOREIGN KEY ({column}) "
            f"REFERENCES {parent}(id) ON DELETE {on_delete}"
        )
    op.execute("""
CREATE OR REPLACE VIEW user_session_count WITH (security_invoker = true) AS
SELECT u.id AS user_id,
       count(s.id) FILTER (WHERE s.expires_at > CURRENT_TIMESTAMP) AS active_sessions,
       count(s.id) AS total_sessions,
       max(s.last_active_at) AS last_active_at
FROM users u
LEFT JOIN sessions s ON s.user_id = u.id
GROUP BY u.id""")
    op.execute("""
CREATE OR REPLACE VIEW goals_with_milestones WITH (security_invoker = true) AS
SELECT g.id AS goal_id,
       g.user_id,
       g.title,
       g.status,
       g.progress,
       g.target_date,
       count(m.id) AS milestones_total,
       count(m.id) FILTER (WHERE m.is_completed) AS milestones_completed,
       COALESCE(jsonb_agg(jsonb_build_object('id', m.id, 'title', m.title, 'is_completed', m.is_completed, 'sort_order', m.sort_order) ORDER BY m.sort_order) FILTER (WHERE m.id IS NOT NULL), '[]'::jsonb) AS milestones
FROM goals g
LEFT JOIN goal_milestones m ON m.goal_id = g.id
GROUP BY g.id""")
    op.execute("""
CREATE OR REPLACE VIEW habits_today WITH (security_invoker = true) AS
SELECT h.id AS habit_id,
       h.user_id,
       h.name,
       h.frequency,
       h.target_count,
       count(l.id) AS completions_today,
       count(l.id) >= h.target_count AS is_done
FROM habits h
LEFT JOIN habit_logs l
       ON l.habit_id = h.id
      AND l.completed_at >= date_trunc('DAY', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
WHERE h.is_active
GROUP BY h.id""")
