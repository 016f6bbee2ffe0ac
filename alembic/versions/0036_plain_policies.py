"""Row-level security policies call app_user_id() and app_is_service() directly, not as init-plans.

Revision ID: 0036
Revises: 0035
Create Date: 2026-11-22

Revision 0021 wrote every policy as ``user_id = (SELECT app_user_id())``: the sub-select makes
PostgreSQL evaluate the function once per statement (an init-plan). Citus refuses any sub-select
in a policy of a distributed or reference table (measured on 13.2.2: "Subqueries are not
supported in policies on distributed tables"; on an already distributed table "unexpected
non-SELECT command in SubLink"), so no table of the distribution design could keep its policies.
This revision rewrites the 89 policies that still use the init-plan form to the plain call
(``user_id = app_user_id()``, owner twins ``... OR app_is_service()``), which is what the
tenant-key revisions (0031/0032) already wrote. Meaning is unchanged: both functions are STABLE,
so the plain call is evaluated as an index condition once per scan where an index on the
policy's column serves (every app query by id or by user), and once per row only in a scan that
filters (BENCHMARKS.md, "Policies without init-plans", has the measured cost).

Lock safety: ALTER POLICY changes only the catalog; each takes the table's ACCESS EXCLUSIVE lock
for that moment, under the migration's lock_timeout. The whole revision is one transaction.

Downgrade restores the init-plan form of the same 89 policies.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER POLICY accounts_own_rows ON accounts USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY accounts_owner ON accounts USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY activity_events_own_rows ON activity_events USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY activity_events_owner ON activity_events USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY audit_log_app_insert ON audit_log WITH CHECK ((user_id IS NULL) OR (user_id = app_user_id()));
ALTER POLICY authenticators_own_rows ON authenticators USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY authenticators_owner ON authenticators USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY books_own_rows ON books USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY books_owner ON books USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY calendar_events_own_rows ON calendar_events USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY calendar_events_owner ON calendar_events USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY daily_plans_own_rows ON daily_plans USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY daily_plans_owner ON daily_plans USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY exercises_own_rows_delete ON exercises USING (user_id = app_user_id());
ALTER POLICY exercises_own_rows_insert ON exercises WITH CHECK (user_id = app_user_id());
ALTER POLICY exercises_own_rows_update ON exercises USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY exercises_visible_rows ON exercises USING ((user_id IS NULL) OR (user_id = app_user_id()));
ALTER POLICY feedback_own_rows ON feedback USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY flashcard_decks_own_rows ON flashcard_decks USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY flashcard_decks_owner ON flashcard_decks USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY focus_pause_state_own_rows ON focus_pause_state USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY focus_pause_state_owner ON focus_pause_state USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY focus_sessions_own_rows ON focus_sessions USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY focus_sessions_owner ON focus_sessions USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY goals_own_rows ON goals USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY goals_owner ON goals USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY habit_logs_own_rows ON habit_logs USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY habit_logs_owner ON habit_logs USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY habits_own_rows ON habits USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY habits_owner ON habits USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY ideas_own_rows ON ideas USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY ideas_owner ON ideas USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY infobase_entries_own_rows_delete ON infobase_entries USING (user_id = app_user_id());
ALTER POLICY infobase_entries_own_rows_insert ON infobase_entries WITH CHECK (user_id = app_user_id());
ALTER POLICY infobase_entries_own_rows_update ON infobase_entries USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY infobase_entries_visible_rows ON infobase_entries USING ((user_id IS NULL) OR is_public OR (user_id = app_user_id()));
ALTER POLICY journal_entries_own_rows ON journal_entries USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY journal_entries_owner ON journal_entries USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY notifications_own_rows ON notifications USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY notifications_owner ON notifications USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY personal_records_own_rows ON personal_records USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY personal_records_owner ON personal_records USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY plan_templates_own_rows_delete ON plan_templates USING (user_id = app_user_id());
ALTER POLICY plan_templates_own_rows_insert ON plan_templates WITH CHECK (user_id = app_user_id());
ALTER POLICY plan_templates_own_rows_update ON plan_templates USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY plan_templates_visible_rows ON plan_templates USING ((user_id IS NULL) OR is_public OR (user_id = app_user_id()));
ALTER POLICY points_ledger_own_rows ON points_ledger USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY points_ledger_owner ON points_ledger USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY reading_sessions_own_rows ON reading_sessions USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY reading_sessions_owner ON reading_sessions USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY reference_tracks_own_rows ON reference_tracks USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY reference_tracks_owner ON reference_tracks USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY sessions_own_rows ON sessions USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY training_programs_own_rows ON training_programs USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY training_programs_owner ON training_programs USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_achievements_own_rows ON user_achievements USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_achievements_owner ON user_achievements USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_drill_stats_own_rows ON user_drill_stats USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_drill_stats_owner ON user_drill_stats USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_interests_own_rows ON user_interests USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_interests_owner ON user_interests USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_lesson_progress_own_rows ON user_lesson_progress USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_lesson_progress_owner ON user_lesson_progress USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_onboarding_state_own_rows ON user_onboarding_state USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_onboarding_state_owner ON user_onboarding_state USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_progress_own_rows ON user_progress USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_progress_owner ON user_progress USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_purchases_own_rows ON user_purchases USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_purchases_owner ON user_purchases USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_quest_progress_own_rows ON user_quest_progress USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_quest_progress_owner ON user_quest_progress USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_roles_own_rows ON user_roles USING (user_id = app_user_id());
ALTER POLICY user_roles_owner ON user_roles USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_settings_own_rows ON user_settings USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_settings_owner ON user_settings USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_skills_own_rows ON user_skills USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_skills_owner ON user_skills USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_streaks_own_rows ON user_streaks USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_streaks_owner ON user_streaks USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_ui_modules_own_rows ON user_ui_modules USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_ui_modules_owner ON user_ui_modules USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY user_wallet_own_rows ON user_wallet USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY user_wallet_owner ON user_wallet USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY users_own_row ON users USING (id = app_user_id()) WITH CHECK (id = app_user_id());
ALTER POLICY users_owner ON users USING ((id = app_user_id()) OR app_is_service()) WITH CHECK ((id = app_user_id()) OR app_is_service());
ALTER POLICY workout_sessions_own_rows ON workout_sessions USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY workout_sessions_owner ON workout_sessions USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
ALTER POLICY workouts_own_rows ON workouts USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
ALTER POLICY workouts_owner ON workouts USING ((user_id = app_user_id()) OR app_is_service()) WITH CHECK ((user_id = app_user_id()) OR app_is_service());
"""

DOWNGRADE = """
ALTER POLICY accounts_own_rows ON accounts USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY accounts_owner ON accounts USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY activity_events_own_rows ON activity_events USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY activity_events_owner ON activity_events USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY audit_log_app_insert ON audit_log WITH CHECK ((user_id IS NULL) OR (user_id = ( SELECT app_user_id() AS app_user_id)));
ALTER POLICY authenticators_own_rows ON authenticators USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY authenticators_owner ON authenticators USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY books_own_rows ON books USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY books_owner ON books USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY calendar_events_own_rows ON calendar_events USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY calendar_events_owner ON calendar_events USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY daily_plans_own_rows ON daily_plans USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY daily_plans_owner ON daily_plans USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY exercises_own_rows_delete ON exercises USING (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY exercises_own_rows_insert ON exercises WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY exercises_own_rows_update ON exercises USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY exercises_visible_rows ON exercises USING ((user_id IS NULL) OR (user_id = ( SELECT app_user_id() AS app_user_id)));
ALTER POLICY feedback_own_rows ON feedback USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY flashcard_decks_own_rows ON flashcard_decks USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY flashcard_decks_owner ON flashcard_decks USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY focus_pause_state_own_rows ON focus_pause_state USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY focus_pause_state_owner ON focus_pause_state USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY focus_sessions_own_rows ON focus_sessions USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY focus_sessions_owner ON focus_sessions USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY goals_own_rows ON goals USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY goals_owner ON goals USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY habit_logs_own_rows ON habit_logs USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY habit_logs_owner ON habit_logs USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY habits_own_rows ON habits USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY habits_owner ON habits USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY ideas_own_rows ON ideas USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY ideas_owner ON ideas USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY infobase_entries_own_rows_delete ON infobase_entries USING (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY infobase_entries_own_rows_insert ON infobase_entries WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY infobase_entries_own_rows_update ON infobase_entries USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY infobase_entries_visible_rows ON infobase_entries USING ((user_id IS NULL) OR is_public OR (user_id = ( SELECT app_user_id() AS app_user_id)));
ALTER POLICY journal_entries_own_rows ON journal_entries USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY journal_entries_owner ON journal_entries USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY notifications_own_rows ON notifications USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY notifications_owner ON notifications USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY personal_records_own_rows ON personal_records USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY personal_records_owner ON personal_records USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY plan_templates_own_rows_delete ON plan_templates USING (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY plan_templates_own_rows_insert ON plan_templates WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY plan_templates_own_rows_update ON plan_templates USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY plan_templates_visible_rows ON plan_templates USING ((user_id IS NULL) OR is_public OR (user_id = ( SELECT app_user_id() AS app_user_id)));
ALTER POLICY points_ledger_own_rows ON points_ledger USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY points_ledger_owner ON points_ledger USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY reading_sessions_own_rows ON reading_sessions USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY reading_sessions_owner ON reading_sessions USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY reference_tracks_own_rows ON reference_tracks USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY reference_tracks_owner ON reference_tracks USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY sessions_own_rows ON sessions USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY training_programs_own_rows ON training_programs USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY training_programs_owner ON training_programs USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_achievements_own_rows ON user_achievements USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_achievements_owner ON user_achievements USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_drill_stats_own_rows ON user_drill_stats USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_drill_stats_owner ON user_drill_stats USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_interests_own_rows ON user_interests USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_interests_owner ON user_interests USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_lesson_progress_own_rows ON user_lesson_progress USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_lesson_progress_owner ON user_lesson_progress USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_onboarding_state_own_rows ON user_onboarding_state USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_onboarding_state_owner ON user_onboarding_state USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_progress_own_rows ON user_progress USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_progress_owner ON user_progress USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_purchases_own_rows ON user_purchases USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_purchases_owner ON user_purchases USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_quest_progress_own_rows ON user_quest_progress USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_quest_progress_owner ON user_quest_progress USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_roles_own_rows ON user_roles USING (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_roles_owner ON user_roles USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_settings_own_rows ON user_settings USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_settings_owner ON user_settings USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_skills_own_rows ON user_skills USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_skills_owner ON user_skills USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_streaks_own_rows ON user_streaks USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_streaks_owner ON user_streaks USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_ui_modules_own_rows ON user_ui_modules USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_ui_modules_owner ON user_ui_modules USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY user_wallet_own_rows ON user_wallet USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY user_wallet_owner ON user_wallet USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY users_own_row ON users USING (id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY users_owner ON users USING ((id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY workout_sessions_own_rows ON workout_sessions USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY workout_sessions_owner ON workout_sessions USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
ALTER POLICY workouts_own_rows ON workouts USING (user_id = ( SELECT app_user_id() AS app_user_id)) WITH CHECK (user_id = ( SELECT app_user_id() AS app_user_id));
ALTER POLICY workouts_owner ON workouts USING ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service)) WITH CHECK ((user_id = ( SELECT app_user_id() AS app_user_id)) OR ( SELECT app_is_service() AS app_is_service));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
