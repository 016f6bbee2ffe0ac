"""Tenant keys, step 6b: the children's own-rows policies; every function statement by user.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-22

- The eight tables that reached their user through a parent (``<table>_through_<parent>``
  for the app, ``<table>_owner`` for the SECURITY DEFINER functions, both an EXISTS subquery
  on the parent, which Citus cannot propagate to a distributed table's shards) get the
  own-rows policies of every other user table: ``<table>_own_rows`` (``user_id =
  app_user_id()``) and ``<table>_owner`` (``... OR app_is_service()``). With the composite
  foreign keys of 0031 a row's ``user_id`` is its parent's, so nothing is lost. Written in the
  plain form, not the init-plan ``(SELECT app_user_id())`` of 0021: Citus refuses a subquery
  in a distributed table's policy (the lead's probe; a later revision rewrites the others).
- ``quests``' four policies lose their ``user_id IS NULL`` branch (no global rows since 0026)
  and take the plain form too.
- ``complete_focus_session``, ``pause_focus_session``, ``resume_focus_session``, ``abandon_focus_session``, ``award_xp``, ``award_coins``, ``spend_coins``, ``update_streak``, ``complete_habit``, ``update_goal_progress``, ``redeem_purchase``, ``update_quest_progress``, ``claim_quest_rewards`` filter every statement on a user table by ``user_id = p_user_id``
  too (the updates by row id, the habit-log and milestone counts), so on Citus each statement
  stays on the user's shard (``SELECT ... FOR UPDATE`` and delegated calls require it).

Lock safety: policies and function bodies change only the catalog (short locks, lock_timeout).

Downgrade restores the subquery policies and the previous function bodies.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
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
# The plain form: Citus refuses the init-plan (SELECT app_user_id()) in a distributed table's
# policy ("Subqueries are not supported in policies on distributed tables", probed).
OWN = "(user_id = app_user_id())"
OWNER = "((user_id = app_user_id()) OR app_is_service())"
OWN_0021 = "(user_id = (SELECT app_user_id()))"


def upgrade() -> None:
    for table, parent, _ in CHILDREN:
        op.execute(f"DROP POLICY {table}_through_{parent} ON {table}")
        op.execute(
            f"CREATE POLICY {table}_own_rows ON {table} AS PERMISSIVE FOR ALL TO ignition_app "
            f"USING {OWN} WITH CHECK {OWN}"
        )
        op.execute(f"ALTER POLICY {table}_owner ON {table} USING {OWNER} WITH CHECK {OWNER}")
    # quests has no global rows any more (0026, 0028): its own rows only, in the plain form.
    op.execute(f"ALTER POLICY quests_visible_rows ON quests USING {OWN}")
    op.execute(f"ALTER POLICY quests_own_rows_insert ON quests WITH CHECK {OWN}")
    op.execute(f"ALTER POLICY quests_own_rows_update ON quests USING {OWN} WITH CHECK {OWN}")
    op.execute(f"ALTER POLICY quests_own_rows_delete ON quests USING {OWN}")
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
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION pause_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    INSERT INTO focus_pause_state (user_id, mode, time_remaining, paused_at)
    VALUES (p_user_id, v_session.mode, v_remaining, now());
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION resume_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION abandon_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    RETURN v_session;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION award_xp(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_xp: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.xp <> p_amount OR v_entry.coins <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not award_xp %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, xp, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    v_wallet.xp := v_wallet.xp + p_amount;
    WHILE v_wallet.xp >= v_wallet.xp_to_next_level LOOP
        v_wallet.level := v_wallet.level + 1;
        v_wallet.xp_to_next_level := v_wallet.xp_to_next_level + 100 * v_wallet.level;
    END LOOP;
    UPDATE user_wallet
    SET xp = v_wallet.xp, level = v_wallet.level, xp_to_next_level = v_wallet.xp_to_next_level
    WHERE id = v_wallet.id AND user_id = p_user_id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION award_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.coins <> p_amount OR v_entry.xp <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not award_coins %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    UPDATE user_wallet SET coins = coins + p_amount WHERE id = v_wallet.id AND user_id = p_user_id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION spend_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'spend'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
    v_balance integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'spend_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.coins <> -p_amount OR v_entry.xp <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not spend_coins %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    v_balance := COALESCE(v_wallet.coins, 0);
    IF v_balance < p_amount THEN
        RAISE EXCEPTION 'insufficient coins: balance %, needed %', v_balance, p_amount
            USING ERRCODE = 'P0001', HINT = 'Earn more coins or spend fewer.';
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, -p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    UPDATE user_wallet SET coins = coins - p_amount WHERE id = v_wallet.id AND user_id = p_user_id;
    RETURN v_entry;
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
    WHERE id = v_streak.id AND user_id = p_user_id
    RETURNING * INTO v_streak;
    RETURN v_streak;
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
    WHERE habit_id = p_habit_id AND user_id = p_user_id
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
CREATE OR REPLACE FUNCTION update_goal_progress(p_user_id uuid, p_goal_id uuid) RETURNS goals LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_goal goals;
    v_total integer;
    v_completed integer;
    v_was_completed boolean;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_goal FROM goals WHERE id = p_goal_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'goal % not found for user %', p_goal_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*), count(*) FILTER (WHERE is_completed) INTO v_total, v_completed
    FROM goal_milestones WHERE goal_id = p_goal_id AND user_id = p_user_id;
    IF v_total = 0 THEN
        RETURN v_goal;
    END IF;
    v_was_completed := v_goal.status = 'completed';
    UPDATE goals
    SET progress = (100 * v_completed) / v_total,
        status = CASE WHEN v_completed = v_total THEN 'completed'::goal_status ELSE status END
    WHERE id = p_goal_id AND user_id = p_user_id
    RETURNING * INTO v_goal;
    IF v_completed = v_total AND NOT v_was_completed THEN
        INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
        UPDATE user_progress
        SET goals_completed = goals_completed + 1, last_activity_at = now()
        WHERE user_id = p_user_id;
    END IF;
    RETURN v_goal;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION redeem_purchase(p_user_id uuid, p_purchase_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_purchase user_purchases;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_purchase FROM user_purchases
    WHERE id = p_purchase_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'purchase % not found for user %', p_purchase_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_purchase.redeemed_at IS NOT NULL THEN
        RAISE EXCEPTION 'purchase % was already redeemed at %', p_purchase_id, v_purchase.redeemed_at
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE user_purchases SET redeemed_at = now()
    WHERE id = p_purchase_id AND user_id = p_user_id
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_target integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_increment IS NULL OR p_increment <= 0 THEN
        RAISE EXCEPTION 'update_quest_progress: increment must be positive, got %', p_increment
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.* INTO v_progress FROM user_quest_progress p
    WHERE p.user_id = p_user_id AND p.quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_progress.completed THEN
        RETURN v_progress;
    END IF;
    SELECT target INTO v_target FROM universal_quests WHERE id = p_quest_id;
    UPDATE user_quest_progress
    SET progress = LEAST(v_target, progress + p_increment),
        status = CASE WHEN progress + p_increment >= v_target THEN 'completed'::quest_status
                      ELSE 'in_progress'::quest_status END,
        completed = progress + p_increment >= v_target,
        completed_at = CASE WHEN progress + p_increment >= v_target THEN now() END
    WHERE id = v_progress.id AND user_id = p_user_id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION claim_quest_rewards(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_quest universal_quests;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_progress FROM user_quest_progress
    WHERE user_id = p_user_id AND quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT v_progress.completed THEN
        RAISE EXCEPTION 'quest % is not completed yet (progress %)', p_quest_id, v_progress.progress
            USING ERRCODE = 'P0001';
    END IF;
    IF v_progress.rewards_claimed_at IS NOT NULL THEN
        RAISE EXCEPTION 'quest % rewards already claimed at %', p_quest_id, v_progress.rewards_claimed_at
            USING ERRCODE = 'P0001';
    END IF;
    SELECT * INTO v_quest FROM universal_quests WHERE id = p_quest_id;
    IF v_quest.xp_reward > 0 THEN
        PERFORM award_xp(p_user_id, v_quest.xp_reward, 'quest: ' || v_quest.title,
                         'quest_progress/' || v_progress.id || '/xp', 'quest', p_quest_id);
    END IF;
    IF v_quest.coin_reward > 0 THEN
        PERFORM award_coins(p_user_id, v_quest.coin_reward, 'quest: ' || v_quest.title,
                            'quest_progress/' || v_progress.id || '/coins', 'quest', p_quest_id);
    END IF;
    INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    UPDATE user_progress
    SET quests_completed = quests_completed + 1, last_activity_at = now()
    WHERE user_id = p_user_id;
    UPDATE user_quest_progress SET rewards_claimed_at = now()
    WHERE id = v_progress.id AND user_id = p_user_id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$$""")


def downgrade() -> None:
    op.execute("""
CREATE OR REPLACE FUNCTION claim_quest_rewards(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_quest universal_quests;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_progress FROM user_quest_progress
    WHERE user_id = p_user_id AND quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT v_progress.completed THEN
        RAISE EXCEPTION 'quest % is not completed yet (progress %)', p_quest_id, v_progress.progress
            USING ERRCODE = 'P0001';
    END IF;
    IF v_progress.rewards_claimed_at IS NOT NULL THEN
        RAISE EXCEPTION 'quest % rewards already claimed at %', p_quest_id, v_progress.rewards_claimed_at
            USING ERRCODE = 'P0001';
    END IF;
    SELECT * INTO v_quest FROM universal_quests WHERE id = p_quest_id;
    IF v_quest.xp_reward > 0 THEN
        PERFORM award_xp(p_user_id, v_quest.xp_reward, 'quest: ' || v_quest.title,
                         'quest_progress/' || v_progress.id || '/xp', 'quest', p_quest_id);
    END IF;
    IF v_quest.coin_reward > 0 THEN
        PERFORM award_coins(p_user_id, v_quest.coin_reward, 'quest: ' || v_quest.title,
                            'quest_progress/' || v_progress.id || '/coins', 'quest', p_quest_id);
    END IF;
    INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    UPDATE user_progress
    SET quests_completed = quests_completed + 1, last_activity_at = now()
    WHERE user_id = p_user_id;
    UPDATE user_quest_progress SET rewards_claimed_at = now()
    WHERE id = v_progress.id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_target integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_increment IS NULL OR p_increment <= 0 THEN
        RAISE EXCEPTION 'update_quest_progress: increment must be positive, got %', p_increment
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.* INTO v_progress FROM user_quest_progress p
    WHERE p.user_id = p_user_id AND p.quest_id = p_quest_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has not accepted quest %', p_user_id, p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_progress.completed THEN
        RETURN v_progress;
    END IF;
    SELECT target INTO v_target FROM universal_quests WHERE id = p_quest_id;
    UPDATE user_quest_progress
    SET progress = LEAST(v_target, progress + p_increment),
        status = CASE WHEN progress + p_increment >= v_target THEN 'completed'::quest_status
                      ELSE 'in_progress'::quest_status END,
        completed = progress + p_increment >= v_target,
        completed_at = CASE WHEN progress + p_increment >= v_target THEN now() END
    WHERE id = v_progress.id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION redeem_purchase(p_user_id uuid, p_purchase_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_purchase user_purchases;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_purchase FROM user_purchases
    WHERE id = p_purchase_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'purchase % not found for user %', p_purchase_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_purchase.redeemed_at IS NOT NULL THEN
        RAISE EXCEPTION 'purchase % was already redeemed at %', p_purchase_id, v_purchase.redeemed_at
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE user_purchases SET redeemed_at = now()
    WHERE id = p_purchase_id
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION update_goal_progress(p_user_id uuid, p_goal_id uuid) RETURNS goals LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_goal goals;
    v_total integer;
    v_completed integer;
    v_was_completed boolean;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_goal FROM goals WHERE id = p_goal_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'goal % not found for user %', p_goal_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*), count(*) FILTER (WHERE is_completed) INTO v_total, v_completed
    FROM goal_milestones WHERE goal_id = p_goal_id;
    IF v_total = 0 THEN
        RETURN v_goal;
    END IF;
    v_was_completed := v_goal.status = 'completed';
    UPDATE goals
    SET progress = (100 * v_completed) / v_total,
        status = CASE WHEN v_completed = v_total THEN 'completed'::goal_status ELSE status END
    WHERE id = p_goal_id
    RETURNING * INTO v_goal;
    IF v_completed = v_total AND NOT v_was_completed THEN
        INSERT INTO user_progress (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
        UPDATE user_progress
        SET goals_completed = goals_completed + 1, last_activity_at = now()
        WHERE user_id = p_user_id;
    END IF;
    RETURN v_goal;
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
CREATE OR REPLACE FUNCTION spend_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'spend'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
    v_balance integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'spend_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.coins <> -p_amount OR v_entry.xp <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not spend_coins %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    v_balance := COALESCE(v_wallet.coins, 0);
    IF v_balance < p_amount THEN
        RAISE EXCEPTION 'insufficient coins: balance %, needed %', v_balance, p_amount
            USING ERRCODE = 'P0001', HINT = 'Earn more coins or spend fewer.';
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, -p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    UPDATE user_wallet SET coins = coins - p_amount WHERE id = v_wallet.id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION award_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.coins <> p_amount OR v_entry.xp <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not award_coins %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    UPDATE user_wallet SET coins = coins + p_amount WHERE id = v_wallet.id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION award_xp(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_xp: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger
        WHERE user_id = p_user_id AND idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.xp <> p_amount OR v_entry.coins <> 0 THEN
                RAISE EXCEPTION 'idempotency key % was already used for another movement (coins %, xp %), not award_xp %', p_idempotency_key, v_entry.coins, v_entry.xp, p_amount
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A key names one movement: use a new key for a different one.';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, xp, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    RETURNING * INTO v_entry;
    v_wallet.xp := v_wallet.xp + p_amount;
    WHILE v_wallet.xp >= v_wallet.xp_to_next_level LOOP
        v_wallet.level := v_wallet.level + 1;
        v_wallet.xp_to_next_level := v_wallet.xp_to_next_level + 100 * v_wallet.level;
    END LOOP;
    UPDATE user_wallet
    SET xp = v_wallet.xp, level = v_wallet.level, xp_to_next_level = v_wallet.xp_to_next_level
    WHERE id = v_wallet.id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION abandon_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE OR REPLACE FUNCTION resume_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE OR REPLACE FUNCTION pause_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
    op.execute(f"ALTER POLICY quests_own_rows_delete ON quests USING {OWN_0021}")
    op.execute(
        f"ALTER POLICY quests_own_rows_update ON quests USING {OWN_0021} WITH CHECK {OWN_0021}"
    )
    op.execute(f"ALTER POLICY quests_own_rows_insert ON quests WITH CHECK {OWN_0021}")
    op.execute(
        "ALTER POLICY quests_visible_rows ON quests "
        "USING (user_id IS NULL OR user_id = (SELECT app_user_id()))"
    )
    for table, parent, column in reversed(CHILDREN):
        through = f"(EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column}))"
        op.execute(f"ALTER POLICY {table}_owner ON {table} USING {through} WITH CHECK {through}")
        op.execute(f"DROP POLICY {table}_own_rows ON {table}")
        op.execute(
            f"CREATE POLICY {table}_through_{parent} ON {table} AS PERMISSIVE FOR ALL "
            f"TO ignition_app USING {through} WITH CHECK {through}"
        )
