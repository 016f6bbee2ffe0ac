"""Identity that SQL injection cannot forge: session tokens, ignition_service, hashed secrets.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-22

- ``app_user_id()`` is SECURITY DEFINER (plpgsql, so its plan is cached): the acting user is
  the owner of the unexpired session whose token hash is the SHA-256 of ``app.session_token``
  (the request's raw session token, ``SET LOCAL`` per transaction), else NULL. ``app.user_id`` means nothing any more.
- ``app_is_service()``: the login (``session_user``, which SET ROLE and settings cannot change)
  is a member of ``ignition_service`` or ``ignition_owner`` (a superuser is both).
  ``app.service_context`` means nothing any more. ``app_may_act_for`` is unchanged.
- Policies for ``ignition_app`` compare with ``(SELECT app_user_id())``, an init-plan run once
  per statement, and no longer admit a service context; the service policies
  (``<table>_service``) are for the role ``ignition_service``, which gets DML on the app's
  tables, ``verification_tokens``, ``user_roles`` and ``admin_audit_log``, SELECT on the rest
  and the views, EXECUTE on every function.
- FORCE ROW LEVEL SECURITY on the user-owned tables the SECURITY DEFINER functions could reach
  (not ``sessions``: ``app_user_id()`` reads it), with ``<table>_owner`` policies: a function
  running as ``ignition_owner`` touches only the acting user's rows, or any in service.
- ``sessions``: the app reads its own sessions without ``token_hash``, may delete them (sign
  out) and update ``last_active_at`` only; creating sessions is service work (sign-in), and so
  is linking an OAuth account or a passkey (``accounts``, ``authenticators``: the app may read
  and delete its user's, not add or change them).
- ``verification_tokens.token`` becomes ``token_hash`` (bytea, the SHA-256, hashed in place);
  only the service role has access. ``audit_log``: the app may only INSERT, for its user or none.

Downgrade restores the 0019 policies, grants and functions, drops the service and owner
policies, and turns the token hashes back into text (hex): the raw tokens cannot come back,
so pending sign-in links stop working.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with a FOR ALL ``<table>_own_rows`` policy on user_id (from 0019).
OWN_ROWS = (
    "accounts",
    "activity_events",
    "authenticators",
    "books",
    "calendar_events",
    "daily_plans",
    "feedback",
    "flashcard_decks",
    "focus_pause_state",
    "focus_sessions",
    "goals",
    "habit_logs",
    "habits",
    "ideas",
    "journal_entries",
    "notifications",
    "personal_records",
    "points_ledger",
    "reading_sessions",
    "reference_tracks",
    "sessions",
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
    "workout_sessions",
    "workouts",
)
# Tables whose rows are shared (user_id NULL) or the user's own: (table, visible also if public)
SHARED = (
    ("exercises", False),
    ("quests", False),
    ("plan_templates", True),
    ("infobase_entries", True),
)
# Tables without a user_id that hang off a parent: (table, parent, foreign key column)
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
SERVICE_ONLY = ("user_roles", "admin_audit_log", "access_requests")  # their <table>_service
# FORCE ROW LEVEL SECURITY: user-owned tables with a NOT NULL owner (sessions excepted).
FORCED = (
    *(t for t in OWN_ROWS if t not in ("sessions", "feedback")),
    "user_roles",
    "users",
)

OWN = "(user_id = (SELECT app_user_id()))"
OWN_0019 = "((user_id = app_user_id()) OR app_is_service())"
OWNER = "(({column} = (SELECT app_user_id())) OR (SELECT app_is_service()))"

APP_DML = (
    "access_requests, accounts, activity_events, audit_log, authenticators, books, "
    "calendar_events, daily_plans, exercise_sets, exercises, feedback, flashcard_decks, "
    "flashcards, focus_pause_state, focus_sessions, goal_milestones, goals, habit_logs, habits, "
    "ideas, infobase_entries, journal_entries, notifications, personal_records, plan_templates, "
    "program_weeks, program_workouts, quests, reading_sessions, reference_tracks, sessions, "
    "track_analysis_cache, training_programs, user_achievements, user_drill_stats, "
    "user_interests, user_lesson_progress, user_onboarding_state, user_settings, user_skills, "
    "user_ui_modules, users, verification_tokens, workout_exercises, workout_sections, "
    "workout_sessions, workouts"
)
SERVICE_DML = f"{APP_DML}, admin_audit_log, user_roles"
SERVICE_SELECT = (
    "achievement_definitions, daw_shortcuts, db_metadata, entitlements, glossary_terms, "
    "ignition_packs, learn_drills, learn_lessons, learn_topics, market_items, onboarding_flows, "
    "onboarding_steps, points_ledger, recipe_templates, role_entitlements, roles, "
    "skill_definitions, universal_quests, user_progress, user_purchases, user_quest_progress, "
    "user_streaks, user_wallet, user_with_roles, user_session_count, active_focus_session, "
    "user_focus_stats, user_gamification_summary, habits_today, goals_with_milestones, "
    "available_market_items, user_unredeemed_purchases, market_stats, todays_events, "
    "this_weeks_events, user_available_quests, quest_completion_stats"
)
SESSION_COLUMNS_FOR_APP = (
    "id, user_id, expires_at, ip_address, user_agent, created_at, last_active_at"
)


def upgrade() -> None:
    op.execute("""
CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT s.user_id FROM sessions s
            WHERE s.token_hash = sha256(convert_to(NULLIF(current_setting('app.session_token', true), ''), 'UTF8'))
              AND s.expires_at > now());
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION app_is_service() RETURNS boolean LANGUAGE sql STABLE AS $$SELECT pg_has_role(session_user, 'ignition_service', 'MEMBER') OR pg_has_role(session_user, 'ignition_owner', 'MEMBER')$$""")

    # verification_tokens: only the SHA-256 is kept (in place: same column, same constraints).
    op.execute("""
-- squawk-ignore changing-column-type
ALTER TABLE verification_tokens ALTER COLUMN token TYPE bytea USING sha256(convert_to(token, 'UTF8'))""")
    op.execute("""
-- squawk-ignore renaming-column
ALTER TABLE verification_tokens RENAME COLUMN token TO token_hash""")
    op.execute(
        "-- squawk-ignore renaming-object\n"
        "ALTER TABLE verification_tokens "
        "RENAME CONSTRAINT verification_tokens_token_key TO verification_tokens_token_hash_key"
    )
    op.execute("REVOKE SELECT, INSERT, UPDATE, DELETE ON verification_tokens FROM ignition_app")

    # sessions: sign-in is service work; the app never sees token hashes.
    op.execute("REVOKE SELECT, INSERT, UPDATE ON sessions FROM ignition_app")
    op.execute(f"GRANT SELECT ({SESSION_COLUMNS_FOR_APP}) ON sessions TO ignition_app")
    op.execute("GRANT UPDATE (last_active_at) ON sessions TO ignition_app")

    # Linking a sign-in method (OAuth account, passkey) is service work: one planted by an
    # injected request would let the attacker sign in as that user after the session ends.
    op.execute("REVOKE INSERT, UPDATE ON accounts, authenticators FROM ignition_app")

    # audit_log: insert-only for the app.
    op.execute("REVOKE SELECT, UPDATE, DELETE ON audit_log FROM ignition_app")
    op.execute("DROP POLICY audit_log_own_rows ON audit_log")
    op.execute(
        "CREATE POLICY audit_log_app_insert ON audit_log AS PERMISSIVE FOR INSERT TO ignition_app "
        "WITH CHECK (user_id IS NULL OR user_id = (SELECT app_user_id()))"
    )

    # The app's policies: the proven user only, as an init-plan.
    for table in OWN_ROWS:
        op.execute(f"ALTER POLICY {table}_own_rows ON {table} USING {OWN} WITH CHECK {OWN}")
    for table, public in SHARED:
        visible = "user_id IS NULL OR is_public" if public else "user_id IS NULL"
        op.execute(
            f"ALTER POLICY {table}_visible_rows ON {table} "
            f"USING ({visible} OR user_id = (SELECT app_user_id()))"
        )
        op.execute(f"ALTER POLICY {table}_own_rows_insert ON {table} WITH CHECK {OWN}")
        op.execute(f"ALTER POLICY {table}_own_rows_update ON {table} USING {OWN} WITH CHECK {OWN}")
        op.execute(f"ALTER POLICY {table}_own_rows_delete ON {table} USING {OWN}")
    op.execute(
        "ALTER POLICY users_own_row ON users "
        "USING (id = (SELECT app_user_id())) WITH CHECK (id = (SELECT app_user_id()))"
    )
    op.execute(f"ALTER POLICY user_roles_own_rows ON user_roles USING {OWN}")

    # The service role: every row, by role rather than by a setting.
    for table in SERVICE_ONLY:
        op.execute(
            f"ALTER POLICY {table}_service ON {table} TO ignition_service "
            "USING (true) WITH CHECK (true)"
        )
    service_tables = (
        *OWN_ROWS,
        *(t for t, _ in SHARED),
        *(t for t, _, _ in CHILDREN),
        "audit_log",
        "users",
        "verification_tokens",
    )
    for table in service_tables:
        op.execute(
            f"CREATE POLICY {table}_service ON {table} AS PERMISSIVE FOR ALL "
            "TO ignition_service USING (true) WITH CHECK (true)"
        )
    op.execute("GRANT USAGE ON SCHEMA public TO ignition_service")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {SERVICE_DML} TO ignition_service")
    op.execute(f"GRANT SELECT ON {SERVICE_SELECT} TO ignition_service")
    op.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ignition_service")
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ignition_service"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "GRANT EXECUTE ON FUNCTIONS TO ignition_service"
    )

    # The owner (SECURITY DEFINER functions) is bound to the acting user too.
    for table in FORCED:
        column = "id" if table == "users" else "user_id"
        check = OWNER.format(column=column)
        op.execute(
            f"CREATE POLICY {table}_owner ON {table} AS PERMISSIVE FOR ALL TO ignition_owner "
            f"USING {check} WITH CHECK {check}"
        )
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for table, parent, column in CHILDREN:
        through = f"(EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column}))"
        op.execute(
            f"CREATE POLICY {table}_owner ON {table} AS PERMISSIVE FOR ALL TO ignition_owner "
            f"USING {through} WITH CHECK {through}"
        )
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for table, _, _ in reversed(CHILDREN):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY {table}_owner ON {table}")
    for table in reversed(FORCED):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY {table}_owner ON {table}")

    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "REVOKE EXECUTE ON FUNCTIONS FROM ignition_service"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ignition_service"
    )
    op.execute("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM ignition_service")
    op.execute(f"REVOKE SELECT ON {SERVICE_SELECT} FROM ignition_service")
    op.execute(f"REVOKE SELECT, INSERT, UPDATE, DELETE ON {SERVICE_DML} FROM ignition_service")
    op.execute("REVOKE USAGE ON SCHEMA public FROM ignition_service")
    service_tables = (
        *OWN_ROWS,
        *(t for t, _ in SHARED),
        *(t for t, _, _ in CHILDREN),
        "audit_log",
        "users",
        "verification_tokens",
    )
    for table in reversed(service_tables):
        op.execute(f"DROP POLICY {table}_service ON {table}")
    for table in reversed(SERVICE_ONLY):
        op.execute(
            f"ALTER POLICY {table}_service ON {table} TO ignition_app "
            "USING (app_is_service()) WITH CHECK (app_is_service())"
        )

    op.execute(f"ALTER POLICY user_roles_own_rows ON user_roles USING {OWN_0019}")
    op.execute(
        "ALTER POLICY users_own_row ON users USING ((id = app_user_id()) OR app_is_service()) "
        "WITH CHECK ((id = app_user_id()) OR app_is_service())"
    )
    for table, public in reversed(SHARED):
        visible = "user_id IS NULL OR is_public" if public else "user_id IS NULL"
        op.execute(f"ALTER POLICY {table}_own_rows_delete ON {table} USING {OWN_0019}")
        op.execute(
            f"ALTER POLICY {table}_own_rows_update ON {table} USING {OWN_0019} WITH CHECK {OWN_0019}"
        )
        op.execute(f"ALTER POLICY {table}_own_rows_insert ON {table} WITH CHECK {OWN_0019}")
        op.execute(
            f"ALTER POLICY {table}_visible_rows ON {table} "
            f"USING ({visible} OR user_id = app_user_id() OR app_is_service())"
        )
    for table in reversed(OWN_ROWS):
        op.execute(
            f"ALTER POLICY {table}_own_rows ON {table} USING {OWN_0019} WITH CHECK {OWN_0019}"
        )

    op.execute("DROP POLICY audit_log_app_insert ON audit_log")
    op.execute(
        f"CREATE POLICY audit_log_own_rows ON audit_log AS PERMISSIVE FOR ALL TO ignition_app "
        f"USING {OWN_0019} WITH CHECK {OWN_0019}"
    )
    op.execute("GRANT SELECT, UPDATE, DELETE ON audit_log TO ignition_app")

    op.execute("GRANT INSERT, UPDATE ON accounts, authenticators TO ignition_app")
    op.execute("REVOKE UPDATE (last_active_at) ON sessions FROM ignition_app")
    op.execute(f"REVOKE SELECT ({SESSION_COLUMNS_FOR_APP}) ON sessions FROM ignition_app")
    op.execute("GRANT SELECT, INSERT, UPDATE ON sessions TO ignition_app")

    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON verification_tokens TO ignition_app")
    op.execute(
        "ALTER TABLE verification_tokens "
        "RENAME CONSTRAINT verification_tokens_token_hash_key TO verification_tokens_token_key"
    )
    op.execute("ALTER TABLE verification_tokens RENAME COLUMN token_hash TO token")
    op.execute(
        "ALTER TABLE verification_tokens ALTER COLUMN token TYPE text USING encode(token, 'hex')"
    )

    op.execute("""
CREATE OR REPLACE FUNCTION app_is_service() RETURNS boolean LANGUAGE sql STABLE AS $$SELECT COALESCE(current_setting('app.service_context', true), '') = 'on'$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE SECURITY INVOKER AS $$SELECT NULLIF(current_setting('app.user_id', true), '')::uuid$$""")
