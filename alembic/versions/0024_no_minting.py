"""No minting: the app calls game actions only, and each pays only what the rules allow.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-22

Against an app with SQL injection (whatever ``ignition_app`` can do, an attacker can):

- ``ignition_app`` loses EXECUTE on the raw movers (award_xp, award_coins, spend_coins,
  update_quest_progress, update_streak); service code and the game actions (SECURITY
  DEFINER) still call them. The app keeps the game actions: start/complete_focus_session,
  complete_habit, update_goal_progress, accept_universal_quest, claim_quest_rewards,
  purchase_item, redeem_purchase, and gets pause/resume/abandon_focus_session and
  advance_quest (one step per call, capped at the target).
- Focus: a session lasts 60 to 14400 seconds (1 to 240 minutes) and pays only once it has
  run (now() >= started_at + duration and >= expires_at, which pauses push back), at most 240
  minutes' worth also for imported sessions; its streak day is today in UTC, not the
  session's time zone.
- Habits: at most 20 paid completions per user and day (UTC, counted in the ledger).
- ``update_streak`` refuses a day after today (UTC).
- Read-only for the app (they change only through the functions): focus_sessions,
  focus_pause_state, habit_logs, user_achievements, user_skills (points_ledger, user_wallet,
  user_progress, user_streaks, user_quest_progress, user_purchases already were).
- Column grants: on users the app inserts and updates profile fields only, never role,
  approved, age_verified, email_verified (nor email after sign-up: a verified address cannot
  be swapped for another); on habits it cannot change target_count once created.

Downgrade restores the previous bodies and grants and drops the four new functions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
CREATE OR REPLACE FUNCTION start_focus_session(p_user_id uuid, p_duration integer, p_mode focus_mode DEFAULT 'focus'::focus_mode) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_duration IS NULL OR p_duration < 60 OR p_duration > 14400 THEN
        RAISE EXCEPTION 'start_focus_session: duration must be 60 to 14400 seconds (1 to 240 minutes), got %', p_duration
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_mode IS NULL THEN
        RAISE EXCEPTION 'start_focus_session: mode must be given'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        INSERT INTO focus_sessions (user_id, mode, duration, started_at, expires_at, status)
        VALUES (p_user_id, p_mode, p_duration, now(), now() + make_interval(secs => p_duration), 'active')
        RETURNING * INTO v_session;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'focus session already in progress for user %', p_user_id
            USING ERRCODE = 'unique_violation', HINT = 'Complete or abandon it first.';
    END;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION complete_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
    v_ends_at timestamptz;
    v_minutes integer;
    v_xp integer := 0;
    v_coins integer := 0;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status = 'completed' THEN
        RETURN v_session;
    END IF;
    IF v_session.status = 'abandoned' THEN
        RAISE EXCEPTION 'focus session % was abandoned and cannot be completed', p_session_id
            USING ERRCODE = 'P0001';
    END IF;
    IF v_session.status = 'paused' THEN
        RAISE EXCEPTION 'focus session % is paused: resume it and let it run to the end', p_session_id
            USING ERRCODE = 'P0001';
    END IF;
    v_ends_at := GREATEST(v_session.started_at + make_interval(secs => v_session.duration),
                          v_session.expires_at);
    IF now() < v_ends_at THEN
        RAISE EXCEPTION 'focus session % has not run yet: it ends at %', p_session_id, v_ends_at
            USING ERRCODE = 'P0001', HINT = 'Complete it once its time has run, or abandon it.';
    END IF;
    IF v_session.mode = 'focus' THEN
        v_minutes := LEAST(v_session.duration, 14400) / 60;
        v_xp := GREATEST(1, v_minutes);
        v_coins := v_minutes / 5;
        PERFORM award_xp(p_user_id, v_xp, 'focus session completed',
                         'focus_session/' || p_session_id || '/xp', 'focus_session', p_session_id);
        IF v_coins > 0 THEN
            PERFORM award_coins(p_user_id, v_coins, 'focus session completed',
                                'focus_session/' || p_session_id || '/coins', 'focus_session', p_session_id);
        END IF;
        INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
        UPDATE user_progress
        SET focus_sessions_completed = focus_sessions_completed + 1,
            focus_minutes = focus_minutes + v_minutes,
            last_activity_at = now()
        WHERE user_id = p_user_id;
        PERFORM update_streak(p_user_id, 'focus', (now() AT TIME ZONE 'UTC')::date);
    END IF;
    UPDATE focus_sessions
    SET status = 'completed', completed_at = now(), paused_at = NULL, paused_remaining = NULL,
        xp_awarded = v_xp, coins_awarded = v_coins
    WHERE id = p_session_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION complete_habit(p_user_id uuid, p_habit_id uuid, p_notes text DEFAULT NULL::text) RETURNS habit_logs LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_habit habits;
    v_log habit_logs;
    v_day date := (now() AT TIME ZONE 'UTC')::date;
    v_done integer;
    v_paid integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_habit FROM habits WHERE id = p_habit_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'habit % not found for user %', p_habit_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*) INTO v_done FROM habit_logs
    WHERE habit_id = p_habit_id
      AND completed_at >= v_day::timestamp AT TIME ZONE 'UTC'
      AND completed_at < (v_day + 1)::timestamp AT TIME ZONE 'UTC';
    IF v_done >= v_habit.target_count THEN
        RETURN NULL;
    END IF;
    INSERT INTO habit_logs (habit_id, user_id, notes)
    VALUES (p_habit_id, p_user_id, p_notes)
    RETURNING * INTO v_log;
    SELECT count(*) INTO v_paid FROM points_ledger
    WHERE user_id = p_user_id AND event_type = 'habit_log'
      AND created_at >= v_day::timestamp AT TIME ZONE 'UTC';
    IF v_paid < 20 THEN
        PERFORM award_xp(p_user_id, 5, 'habit completed: ' || v_habit.name,
                         'habit_log/' || v_log.id || '/xp', 'habit_log', v_log.id);
        INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
        UPDATE user_progress
        SET habits_completed = habits_completed + 1, last_activity_at = now()
        WHERE user_id = p_user_id;
    END IF;
    PERFORM update_streak(p_user_id, 'habit:' || p_habit_id, v_day);
    RETURN v_log;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION update_streak(p_user_id uuid, p_streak_type text, p_activity_date date DEFAULT CURRENT_DATE) RETURNS user_streaks LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_streak user_streaks;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_activity_date IS NULL OR p_activity_date > (now() AT TIME ZONE 'UTC')::date THEN
        RAISE EXCEPTION 'update_streak: activity date must be today (UTC) or earlier, got %', p_activity_date
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_streaks (user_id, streak_type) VALUES (p_user_id, p_streak_type)
    ON CONFLICT (user_id, streak_type) DO NOTHING;
    SELECT * INTO v_streak FROM user_streaks
    WHERE user_id = p_user_id AND streak_type = p_streak_type FOR UPDATE;
    IF v_streak.last_activity_date IS NOT NULL AND p_activity_date <= v_streak.last_activity_date THEN
        RETURN v_streak;
    END IF;
    IF v_streak.last_activity_date = p_activity_date - 1 THEN
        v_streak.current_streak := v_streak.current_streak + 1;
    ELSE
        v_streak.current_streak := 1;
    END IF;
    UPDATE user_streaks
    SET current_streak = v_streak.current_streak,
        longest_streak = GREATEST(longest_streak, v_streak.current_streak),
        last_activity_date = p_activity_date
    WHERE id = v_streak.id
    RETURNING * INTO v_streak;
    RETURN v_streak;
END;
$$""")
    op.execute("""
CREATE FUNCTION pause_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
    v_remaining integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status <> 'active' THEN
        RAISE EXCEPTION 'focus session % is not running (%)', p_session_id, v_session.status
            USING ERRCODE = 'P0001';
    END IF;
    v_remaining := GREATEST(0, ceil(EXTRACT(epoch FROM GREATEST(
        v_session.started_at + make_interval(secs => v_session.duration), v_session.expires_at) - now())))::integer;
    UPDATE focus_sessions
    SET status = 'paused', paused_at = now(), paused_remaining = v_remaining
    WHERE id = p_session_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    INSERT INTO focus_pause_state (user_id, mode, time_remaining, paused_at)
    VALUES (p_user_id, v_session.mode, v_remaining, now());
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE FUNCTION resume_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status <> 'paused' THEN
        RAISE EXCEPTION 'focus session % is not paused (%)', p_session_id, v_session.status
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE focus_sessions
    SET status = 'active', paused_at = NULL, paused_remaining = NULL,
        expires_at = now() + make_interval(secs => COALESCE(v_session.paused_remaining, 0))
    WHERE id = p_session_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE FUNCTION abandon_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status NOT IN ('active', 'paused') THEN
        RAISE EXCEPTION 'focus session % is not in progress (%)', p_session_id, v_session.status
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE focus_sessions
    SET status = 'abandoned', abandoned_at = now(), paused_at = NULL, paused_remaining = NULL
    WHERE id = p_session_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE FUNCTION advance_quest(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    RETURN update_quest_progress(p_user_id, p_quest_id, 1);
END;
$$""")
    op.execute(
        "REVOKE EXECUTE ON FUNCTION abandon_focus_session(uuid, uuid), advance_quest(uuid, uuid), pause_focus_session(uuid, uuid), resume_focus_session(uuid, uuid) FROM PUBLIC"
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION abandon_focus_session(uuid, uuid), advance_quest(uuid, uuid), pause_focus_session(uuid, uuid), resume_focus_session(uuid, uuid) TO ignition_app"
    )
    op.execute(
        "REVOKE EXECUTE ON FUNCTION award_coins(uuid, integer, text, text, text, uuid), award_xp(uuid, integer, text, text, text, uuid), spend_coins(uuid, integer, text, text, text, uuid), update_quest_progress(uuid, uuid, integer), update_streak(uuid, text, date) FROM ignition_app"
    )
    op.execute(
        "REVOKE INSERT, UPDATE, DELETE ON focus_pause_state, focus_sessions, habit_logs, user_achievements, user_skills FROM ignition_app"
    )
    op.execute("REVOKE INSERT, UPDATE ON users FROM ignition_app")
    op.execute(
        "GRANT INSERT (id, name, email, image, tos_accepted, tos_accepted_at, tos_version, last_activity_at) ON users TO ignition_app"
    )
    op.execute(
        "GRANT UPDATE (name, image, tos_accepted, tos_accepted_at, tos_version, last_activity_at) ON users TO ignition_app"
    )
    op.execute("REVOKE UPDATE ON habits FROM ignition_app")
    op.execute(
        "GRANT UPDATE (name, description, frequency, icon, color, is_active) ON habits TO ignition_app"
    )


def downgrade() -> None:
    op.execute(
        "REVOKE UPDATE (name, description, frequency, icon, color, is_active) ON habits FROM ignition_app"
    )
    op.execute("GRANT UPDATE ON habits TO ignition_app")
    op.execute(
        "REVOKE INSERT (id, name, email, image, tos_accepted, tos_accepted_at, tos_version, last_activity_at), UPDATE (name, image, tos_accepted, tos_accepted_at, tos_version, last_activity_at) ON users FROM ignition_app"
    )
    op.execute("GRANT INSERT, UPDATE ON users TO ignition_app")
    op.execute(
        "GRANT INSERT, UPDATE, DELETE ON focus_pause_state, focus_sessions, habit_logs, user_achievements, user_skills TO ignition_app"
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION award_coins(uuid, integer, text, text, text, uuid), award_xp(uuid, integer, text, text, text, uuid), spend_coins(uuid, integer, text, text, text, uuid), update_quest_progress(uuid, uuid, integer), update_streak(uuid, text, date) TO ignition_app"
    )
    op.execute("DROP FUNCTION advance_quest(uuid, uuid)")
    op.execute("DROP FUNCTION abandon_focus_session(uuid, uuid)")
    op.execute("DROP FUNCTION resume_focus_session(uuid, uuid)")
    op.execute("DROP FUNCTION pause_focus_session(uuid, uuid)")
    op.execute("""
CREATE OR REPLACE FUNCTION start_focus_session(p_user_id uuid, p_duration integer, p_mode focus_mode DEFAULT 'focus'::focus_mode) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_duration IS NULL OR p_duration <= 0 THEN
        RAISE EXCEPTION 'start_focus_session: duration must be positive seconds, got %', p_duration
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        INSERT INTO focus_sessions (user_id, mode, duration, started_at, expires_at, status)
        VALUES (p_user_id, p_mode, p_duration, now(), now() + make_interval(secs => p_duration), 'active')
        RETURNING * INTO v_session;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'focus session already in progress for user %', p_user_id
            USING ERRCODE = 'unique_violation', HINT = 'Complete or abandon it first.';
    END;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION complete_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
    v_xp integer := 0;
    v_coins integer := 0;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_session FROM focus_sessions
    WHERE id = p_session_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'focus session % not found for user %', p_session_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_session.status = 'completed' THEN
        RETURN v_session;
    END IF;
    IF v_session.status = 'abandoned' THEN
        RAISE EXCEPTION 'focus session % was abandoned and cannot be completed', p_session_id
            USING ERRCODE = 'P0001';
    END IF;
    IF v_session.mode = 'focus' THEN
        v_xp := GREATEST(1, v_session.duration / 60);
        v_coins := v_session.duration / 300;
        PERFORM award_xp(p_user_id, v_xp, 'focus session completed',
                         'focus_session/' || p_session_id || '/xp', 'focus_session', p_session_id);
        IF v_coins > 0 THEN
            PERFORM award_coins(p_user_id, v_coins, 'focus session completed',
                                'focus_session/' || p_session_id || '/coins', 'focus_session', p_session_id);
        END IF;
        INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
        UPDATE user_progress
        SET focus_sessions_completed = focus_sessions_completed + 1,
            focus_minutes = focus_minutes + v_session.duration / 60,
            last_activity_at = now()
        WHERE user_id = p_user_id;
        PERFORM update_streak(p_user_id, 'focus', CURRENT_DATE);
    END IF;
    UPDATE focus_sessions
    SET status = 'completed', completed_at = now(), paused_at = NULL, paused_remaining = NULL,
        xp_awarded = v_xp, coins_awarded = v_coins
    WHERE id = p_session_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION complete_habit(p_user_id uuid, p_habit_id uuid, p_notes text DEFAULT NULL::text) RETURNS habit_logs LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_habit habits;
    v_log habit_logs;
    v_day date := (now() AT TIME ZONE 'UTC')::date;
    v_done integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_habit FROM habits WHERE id = p_habit_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'habit % not found for user %', p_habit_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*) INTO v_done FROM habit_logs
    WHERE habit_id = p_habit_id
      AND completed_at >= v_day::timestamp AT TIME ZONE 'UTC'
      AND completed_at < (v_day + 1)::timestamp AT TIME ZONE 'UTC';
    IF v_done >= v_habit.target_count THEN
        RETURN NULL;
    END IF;
    INSERT INTO habit_logs (habit_id, user_id, notes)
    VALUES (p_habit_id, p_user_id, p_notes)
    RETURNING * INTO v_log;
    PERFORM award_xp(p_user_id, 5, 'habit completed: ' || v_habit.name,
                     'habit_log/' || v_log.id || '/xp', 'habit_log', v_log.id);
    INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    UPDATE user_progress
    SET habits_completed = habits_completed + 1, last_activity_at = now()
    WHERE user_id = p_user_id;
    PERFORM update_streak(p_user_id, 'habit:' || p_habit_id, v_day);
    RETURN v_log;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION update_streak(p_user_id uuid, p_streak_type text, p_activity_date date DEFAULT CURRENT_DATE) RETURNS user_streaks LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_streak user_streaks;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    INSERT INTO user_streaks (user_id, streak_type) VALUES (p_user_id, p_streak_type)
    ON CONFLICT (user_id, streak_type) DO NOTHING;
    SELECT * INTO v_streak FROM user_streaks
    WHERE user_id = p_user_id AND streak_type = p_streak_type FOR UPDATE;
    IF v_streak.last_activity_date IS NOT NULL AND p_activity_date <= v_streak.last_activity_date THEN
        RETURN v_streak;
    END IF;
    IF v_streak.last_activity_date = p_activity_date - 1 THEN
        v_streak.current_streak := v_streak.current_streak + 1;
    ELSE
        v_streak.current_streak := 1;
    END IF;
    UPDATE user_streaks
    SET current_streak = v_streak.current_streak,
        longest_streak = GREATEST(longest_streak, v_streak.current_streak),
        last_activity_date = p_activity_date
    WHERE id = v_streak.id
    RETURNING * INTO v_streak;
    RETURN v_streak;
END;
$$""")
