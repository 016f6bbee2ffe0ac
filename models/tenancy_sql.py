"""Tenant keys (revisions 0025-): what keeps every user-owned row carrying its ``user_id``.

- Revisions 0025-0029 gave the eight ``CHILDREN`` a ``user_id`` of their own (filled from the
  parent by a temporary trigger until revision 0035: every writer sends it now); 0031 made the
  primary keys ``(id, user_id)`` and the foreign keys to a parent ``(parent_id, user_id)``, so
  a row can only hang off a parent of its own user.
- ``delete_workout``, ``delete_workout_section``, ``delete_workout_session``,
  ``delete_exercise_set``: clear what points at the row (a NO ACTION key now), then delete it.
- ``delete_user``: service work; deletes what has no foreign key to ``users`` on Citus, then
  the user (the rest goes by cascade).
"""

from __future__ import annotations

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

# --- deleting (revision 0031) -------------------------------------------------------------
# The foreign keys that pointed at a workout, a section or an exercise set and set NULL on
# delete became composite (parent_id, user_id) NO ACTION keys (Citus refuses SET NULL on a key
# holding the distribution column): deleting one of those parents clears the references to
# it first, in the same transaction. These helpers do it; SECURITY INVOKER, so row-level
# security and the caller's grants apply as to the statements themselves.

DELETE_WORKOUT = declare_function(
    "delete_workout",
    """
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
""",
    returns="boolean",
    parameters=("p_user_id uuid", "p_workout_id uuid"),
)

DELETE_WORKOUT_SECTION = declare_function(
    "delete_workout_section",
    """
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
""",
    returns="boolean",
    parameters=("p_user_id uuid", "p_section_id uuid"),
)

DELETE_WORKOUT_SESSION = declare_function(
    "delete_workout_session",
    """
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
""",
    returns="boolean",
    parameters=("p_user_id uuid", "p_session_id uuid"),
)

DELETE_EXERCISE_SET = declare_function(
    "delete_exercise_set",
    """
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
""",
    returns="boolean",
    parameters=("p_user_id uuid", "p_set_id uuid"),
)

# Deleting a user: the tables colocated with users still go by cascade on their user_id
# foreign keys; what cannot have a foreign key to users on Citus (the lookup tables, the
# shared reference rows, the coordinator's logs) is handled here, and the users row goes last.
# Service work only: the app has no EXECUTE, and the function checks the caller too.
DELETE_USER = declare_function(
    "delete_user",
    """
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
""",
    returns="boolean",
    parameters=("p_user_id uuid",),
    security_definer=True,
)
