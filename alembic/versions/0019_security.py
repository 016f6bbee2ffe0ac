"""Least privilege and row-level security: ignition_app, ignition_readonly, per-user rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-21

- Roles ``ignition_app`` (what the app connects as) and ``ignition_readonly`` (support and
  analytics) are created if missing, NOLOGIN: a deployment grants LOGIN or membership. Roles
  are cluster-wide and another database may use them, so the downgrade never drops them: it
  revokes what this revision granted. The migration owner (whoever runs Alembic) owns
  everything and is not subject to row-level security: the D1 import and the seeds, which run
  as the owner, are unaffected.
- ``ignition_app``: DML on the app's tables, SELECT only on reference data and on the money and
  progress tables (points_ledger, user_progress, user_purchases, user_quest_progress, user_streaks, user_wallet), which change only through the SECURITY DEFINER
  functions; EXECUTE on the app's functions (EXECUTE is revoked from PUBLIC); SELECT on the
  views, which now run with the invoker's rights (``security_invoker``), so row-level security
  applies through them. No TRUNCATE, no DDL, nothing in schema ``d1import``.
- ``ignition_readonly``: SELECT on everything but the secrets: sessions.token_hash, the OAuth
  tokens of accounts, verification_tokens, authenticators.credential_public_key.
- Row-level security on every user-owned table (a ``user_id``, or a parent that has one):
  ``ignition_app`` sees and changes only the rows of ``app_user_id()``
  (``SET LOCAL app.user_id``), or any row in an explicit service context
  (``SET LOCAL app.service_context = 'on'``). No ``app.user_id``: no user rows.
- The SECURITY DEFINER functions first check ``app_may_act_for(p_user_id)``.
- Default privileges, so tables and functions later revisions add are granted the same way.

Downgrade restores the functions' previous bodies, drops the policies and the helper
functions, turns row-level security off, and revokes every grant and default privilege.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ignition_app') THEN
        CREATE ROLE ignition_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ignition_readonly') THEN
        CREATE ROLE ignition_readonly NOLOGIN;
    END IF;
END
$$""")
    op.execute("""
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$SELECT NULLIF(current_setting('app.user_id', true), '')::uuid$$""")
    op.execute("""
CREATE FUNCTION app_is_service() RETURNS boolean LANGUAGE sql STABLE AS $$SELECT COALESCE(current_setting('app.service_context', true), '') = 'on'$$""")
    op.execute("""
CREATE FUNCTION app_may_act_for(p_user_id uuid) RETURNS boolean LANGUAGE sql STABLE AS $$SELECT app_is_service() OR COALESCE(p_user_id = app_user_id(), false)$$""")
    op.execute("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
    op.execute("""
CREATE OR REPLACE FUNCTION accept_universal_quest(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    PERFORM 1 FROM universal_quests WHERE id = p_quest_id AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'universal quest % does not exist or is not active', p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_quest_progress (user_id, quest_id, status, accepted_at)
    VALUES (p_user_id, p_quest_id, 'accepted', now())
    ON CONFLICT (user_id, quest_id) DO UPDATE
        SET status = 'accepted', accepted_at = now()
        WHERE user_quest_progress.status = 'available'
    RETURNING * INTO v_progress;
    IF NOT FOUND THEN
        SELECT * INTO v_progress FROM user_quest_progress
        WHERE user_id = p_user_id AND quest_id = p_quest_id;
    END IF;
    RETURN v_progress;
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
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
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
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, xp, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
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
CREATE OR REPLACE FUNCTION purchase_item(p_user_id uuid, p_item_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_item market_items;
    v_purchase_id uuid := gen_random_uuid();
    v_purchase user_purchases;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_item FROM market_items WHERE id = p_item_id;
    IF NOT FOUND OR NOT v_item.is_active OR NOT v_item.is_available THEN
        RAISE EXCEPTION 'market item % is not available', p_item_id
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM spend_coins(p_user_id, v_item.cost_coins, 'purchase: ' || v_item.name,
                        'purchase/' || v_purchase_id, 'purchase', v_purchase_id);
    IF NOT v_item.is_consumable AND EXISTS (
        SELECT 1 FROM user_purchases WHERE user_id = p_user_id AND item_id = p_item_id
    ) THEN
        RAISE EXCEPTION 'user % already owns market item %', p_user_id, v_item.key
            USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO user_purchases (id, user_id, item_id, cost_coins)
    VALUES (v_purchase_id, p_user_id, p_item_id, v_item.cost_coins)
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
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
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
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
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
    UPDATE user_wallet SET coins = coins - p_amount WHERE id = v_wallet.id;
    RETURN v_entry;
END;
$$""")
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
    op.execute("GRANT USAGE ON SCHEMA public TO ignition_app, ignition_readonly")
    op.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON access_requests, accounts, activity_events, audit_log, authenticators, books, calendar_events, daily_plans, exercise_sets, exercises, feedback, flashcard_decks, flashcards, focus_pause_state, focus_sessions, goal_milestones, goals, habit_logs, habits, ideas, infobase_entries, journal_entries, notifications, personal_records, plan_templates, program_weeks, program_workouts, quests, reading_sessions, reference_tracks, sessions, track_analysis_cache, training_programs, user_achievements, user_drill_stats, user_interests, user_lesson_progress, user_onboarding_state, user_settings, user_skills, user_ui_modules, users, verification_tokens, workout_exercises, workout_sections, workout_sessions, workouts TO ignition_app"
    )
    op.execute(
        "GRANT SELECT ON achievement_definitions, admin_audit_log, daw_shortcuts, db_metadata, entitlements, glossary_terms, ignition_packs, learn_drills, learn_lessons, learn_topics, market_items, onboarding_flows, onboarding_steps, points_ledger, recipe_templates, role_entitlements, roles, skill_definitions, universal_quests, user_progress, user_purchases, user_quest_progress, user_roles, user_streaks, user_wallet TO ignition_app"
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION accept_universal_quest(uuid, uuid), app_is_service(), app_may_act_for(uuid), app_user_id(), award_coins(uuid, integer, text, text, text, uuid), award_xp(uuid, integer, text, text, text, uuid), claim_quest_rewards(uuid, uuid), complete_focus_session(uuid, uuid), complete_habit(uuid, uuid, text), purchase_item(uuid, uuid), redeem_purchase(uuid, uuid), spend_coins(uuid, integer, text, text, text, uuid), start_focus_session(uuid, integer, focus_mode), update_goal_progress(uuid, uuid), update_quest_progress(uuid, uuid, integer), update_streak(uuid, text, date) TO ignition_app"
    )
    op.execute(
        "GRANT SELECT ON access_requests, achievement_definitions, activity_events, admin_audit_log, audit_log, books, calendar_events, daily_plans, daw_shortcuts, db_metadata, entitlements, exercise_sets, exercises, feedback, flashcard_decks, flashcards, focus_pause_state, focus_sessions, glossary_terms, goal_milestones, goals, habit_logs, habits, ideas, ignition_packs, infobase_entries, journal_entries, learn_drills, learn_lessons, learn_topics, market_items, notifications, onboarding_flows, onboarding_steps, personal_records, plan_templates, points_ledger, program_weeks, program_workouts, quests, reading_sessions, recipe_templates, reference_tracks, role_entitlements, roles, skill_definitions, track_analysis_cache, training_programs, universal_quests, user_achievements, user_drill_stats, user_interests, user_lesson_progress, user_onboarding_state, user_progress, user_purchases, user_quest_progress, user_roles, user_settings, user_skills, user_streaks, user_ui_modules, user_wallet, users, workout_exercises, workout_sections, workout_sessions, workouts TO ignition_readonly"
    )
    op.execute(
        "GRANT SELECT (id, user_id, expires_at, ip_address, user_agent, created_at, last_active_at) ON sessions TO ignition_readonly"
    )
    op.execute(
        "GRANT SELECT (id, user_id, type, provider, provider_account_id, expires_at, token_type, scope, created_at) ON accounts TO ignition_readonly"
    )
    op.execute(
        "GRANT SELECT (credential_id, user_id, provider_account_id, counter, credential_device_type, credential_backed_up, transports) ON authenticators TO ignition_readonly"
    )
    op.execute(
        "GRANT SELECT ON user_with_roles, user_session_count, active_focus_session, user_focus_stats, user_gamification_summary, habits_today, goals_with_milestones, available_market_items, user_unredeemed_purchases, market_stats, todays_events, this_weeks_events, user_available_quests, quest_completion_stats TO ignition_app, ignition_readonly"
    )
    op.execute("ALTER VIEW user_with_roles SET (security_invoker = true)")
    op.execute("ALTER VIEW user_session_count SET (security_invoker = true)")
    op.execute("ALTER VIEW active_focus_session SET (security_invoker = true)")
    op.execute("ALTER VIEW user_focus_stats SET (security_invoker = true)")
    op.execute("ALTER VIEW user_gamification_summary SET (security_invoker = true)")
    op.execute("ALTER VIEW habits_today SET (security_invoker = true)")
    op.execute("ALTER VIEW goals_with_milestones SET (security_invoker = true)")
    op.execute("ALTER VIEW available_market_items SET (security_invoker = true)")
    op.execute("ALTER VIEW user_unredeemed_purchases SET (security_invoker = true)")
    op.execute("ALTER VIEW market_stats SET (security_invoker = true)")
    op.execute("ALTER VIEW todays_events SET (security_invoker = true)")
    op.execute("ALTER VIEW this_weeks_events SET (security_invoker = true)")
    op.execute("ALTER VIEW user_available_quests SET (security_invoker = true)")
    op.execute("ALTER VIEW quest_completion_stats SET (security_invoker = true)")
    op.execute("ALTER TABLE access_requests ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY access_requests_readonly ON access_requests AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE accounts ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY accounts_readonly ON accounts AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE activity_events ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY activity_events_readonly ON activity_events AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE admin_audit_log ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY admin_audit_log_readonly ON admin_audit_log AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY audit_log_readonly ON audit_log AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE authenticators ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY authenticators_readonly ON authenticators AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE books ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY books_readonly ON books AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE calendar_events ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY calendar_events_readonly ON calendar_events AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE daily_plans ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY daily_plans_readonly ON daily_plans AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE exercise_sets ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY exercise_sets_readonly ON exercise_sets AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE exercises ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY exercises_readonly ON exercises AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE feedback ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY feedback_readonly ON feedback AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE flashcard_decks ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY flashcard_decks_readonly ON flashcard_decks AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE flashcards ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY flashcards_readonly ON flashcards AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE focus_pause_state ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY focus_pause_state_readonly ON focus_pause_state AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE focus_sessions ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY focus_sessions_readonly ON focus_sessions AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE goal_milestones ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY goal_milestones_readonly ON goal_milestones AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE goals ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY goals_readonly ON goals AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE habit_logs ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY habit_logs_readonly ON habit_logs AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE habits ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY habits_readonly ON habits AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE ideas ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY ideas_readonly ON ideas AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE infobase_entries ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY infobase_entries_readonly ON infobase_entries AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE journal_entries ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY journal_entries_readonly ON journal_entries AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE notifications ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY notifications_readonly ON notifications AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE personal_records ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY personal_records_readonly ON personal_records AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE plan_templates ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY plan_templates_readonly ON plan_templates AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE points_ledger ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY points_ledger_readonly ON points_ledger AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE program_weeks ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY program_weeks_readonly ON program_weeks AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE program_workouts ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY program_workouts_readonly ON program_workouts AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE quests ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY quests_readonly ON quests AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE reading_sessions ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY reading_sessions_readonly ON reading_sessions AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE reference_tracks ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY reference_tracks_readonly ON reference_tracks AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE sessions ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY sessions_readonly ON sessions AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE track_analysis_cache ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY track_analysis_cache_readonly ON track_analysis_cache AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE training_programs ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY training_programs_readonly ON training_programs AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_achievements ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_achievements_readonly ON user_achievements AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_drill_stats ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_drill_stats_readonly ON user_drill_stats AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_interests ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_interests_readonly ON user_interests AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_lesson_progress ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_lesson_progress_readonly ON user_lesson_progress AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_onboarding_state ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_onboarding_state_readonly ON user_onboarding_state AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_progress ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_progress_readonly ON user_progress AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_purchases ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_purchases_readonly ON user_purchases AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_quest_progress ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_quest_progress_readonly ON user_quest_progress AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_roles_readonly ON user_roles AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_settings ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_settings_readonly ON user_settings AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_skills ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_skills_readonly ON user_skills AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_streaks ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_streaks_readonly ON user_streaks AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_ui_modules ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_ui_modules_readonly ON user_ui_modules AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE user_wallet ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY user_wallet_readonly ON user_wallet AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY users_readonly ON users AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE workout_exercises ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY workout_exercises_readonly ON workout_exercises AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE workout_sections ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY workout_sections_readonly ON workout_sections AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE workout_sessions ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY workout_sessions_readonly ON workout_sessions AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute("ALTER TABLE workouts ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY workouts_readonly ON workouts AS PERMISSIVE FOR SELECT TO ignition_readonly USING (true)"
    )
    op.execute(
        "CREATE POLICY accounts_own_rows ON accounts AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY activity_events_own_rows ON activity_events AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY audit_log_own_rows ON audit_log AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY authenticators_own_rows ON authenticators AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY books_own_rows ON books AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY calendar_events_own_rows ON calendar_events AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY daily_plans_own_rows ON daily_plans AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY feedback_own_rows ON feedback AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY flashcard_decks_own_rows ON flashcard_decks AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY focus_pause_state_own_rows ON focus_pause_state AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY focus_sessions_own_rows ON focus_sessions AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY goals_own_rows ON goals AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY habit_logs_own_rows ON habit_logs AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY habits_own_rows ON habits AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY ideas_own_rows ON ideas AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY journal_entries_own_rows ON journal_entries AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY notifications_own_rows ON notifications AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY personal_records_own_rows ON personal_records AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY points_ledger_own_rows ON points_ledger AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY reading_sessions_own_rows ON reading_sessions AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY reference_tracks_own_rows ON reference_tracks AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY sessions_own_rows ON sessions AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY training_programs_own_rows ON training_programs AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_achievements_own_rows ON user_achievements AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_drill_stats_own_rows ON user_drill_stats AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_interests_own_rows ON user_interests AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_lesson_progress_own_rows ON user_lesson_progress AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_onboarding_state_own_rows ON user_onboarding_state AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_progress_own_rows ON user_progress AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_purchases_own_rows ON user_purchases AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_quest_progress_own_rows ON user_quest_progress AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_settings_own_rows ON user_settings AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_skills_own_rows ON user_skills AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_streaks_own_rows ON user_streaks AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_ui_modules_own_rows ON user_ui_modules AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_wallet_own_rows ON user_wallet AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY workout_sessions_own_rows ON workout_sessions AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY workouts_own_rows ON workouts AS PERMISSIVE FOR ALL TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY exercises_visible_rows ON exercises AS PERMISSIVE FOR SELECT TO ignition_app USING (user_id IS NULL OR user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY exercises_own_rows_insert ON exercises AS PERMISSIVE FOR INSERT TO ignition_app WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY exercises_own_rows_update ON exercises AS PERMISSIVE FOR UPDATE TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY exercises_own_rows_delete ON exercises AS PERMISSIVE FOR DELETE TO ignition_app USING (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY quests_visible_rows ON quests AS PERMISSIVE FOR SELECT TO ignition_app USING (user_id IS NULL OR user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY quests_own_rows_insert ON quests AS PERMISSIVE FOR INSERT TO ignition_app WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY quests_own_rows_update ON quests AS PERMISSIVE FOR UPDATE TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY quests_own_rows_delete ON quests AS PERMISSIVE FOR DELETE TO ignition_app USING (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY plan_templates_visible_rows ON plan_templates AS PERMISSIVE FOR SELECT TO ignition_app USING (user_id IS NULL OR is_public OR user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY plan_templates_own_rows_insert ON plan_templates AS PERMISSIVE FOR INSERT TO ignition_app WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY plan_templates_own_rows_update ON plan_templates AS PERMISSIVE FOR UPDATE TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY plan_templates_own_rows_delete ON plan_templates AS PERMISSIVE FOR DELETE TO ignition_app USING (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY infobase_entries_visible_rows ON infobase_entries AS PERMISSIVE FOR SELECT TO ignition_app USING (user_id IS NULL OR is_public OR user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY infobase_entries_own_rows_insert ON infobase_entries AS PERMISSIVE FOR INSERT TO ignition_app WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY infobase_entries_own_rows_update ON infobase_entries AS PERMISSIVE FOR UPDATE TO ignition_app USING (user_id = app_user_id() OR app_is_service()) WITH CHECK (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY infobase_entries_own_rows_delete ON infobase_entries AS PERMISSIVE FOR DELETE TO ignition_app USING (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY goal_milestones_through_goals ON goal_milestones AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM goals p WHERE p.id = goal_milestones.goal_id)) WITH CHECK (EXISTS (SELECT 1 FROM goals p WHERE p.id = goal_milestones.goal_id))"
    )
    op.execute(
        "CREATE POLICY workout_sections_through_workouts ON workout_sections AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM workouts p WHERE p.id = workout_sections.workout_id)) WITH CHECK (EXISTS (SELECT 1 FROM workouts p WHERE p.id = workout_sections.workout_id))"
    )
    op.execute(
        "CREATE POLICY workout_exercises_through_workouts ON workout_exercises AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM workouts p WHERE p.id = workout_exercises.workout_id)) WITH CHECK (EXISTS (SELECT 1 FROM workouts p WHERE p.id = workout_exercises.workout_id))"
    )
    op.execute(
        "CREATE POLICY exercise_sets_through_workout_sessions ON exercise_sets AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM workout_sessions p WHERE p.id = exercise_sets.session_id)) WITH CHECK (EXISTS (SELECT 1 FROM workout_sessions p WHERE p.id = exercise_sets.session_id))"
    )
    op.execute(
        "CREATE POLICY program_weeks_through_training_programs ON program_weeks AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM training_programs p WHERE p.id = program_weeks.program_id)) WITH CHECK (EXISTS (SELECT 1 FROM training_programs p WHERE p.id = program_weeks.program_id))"
    )
    op.execute(
        "CREATE POLICY program_workouts_through_program_weeks ON program_workouts AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM program_weeks p WHERE p.id = program_workouts.program_week_id)) WITH CHECK (EXISTS (SELECT 1 FROM program_weeks p WHERE p.id = program_workouts.program_week_id))"
    )
    op.execute(
        "CREATE POLICY flashcards_through_flashcard_decks ON flashcards AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM flashcard_decks p WHERE p.id = flashcards.deck_id)) WITH CHECK (EXISTS (SELECT 1 FROM flashcard_decks p WHERE p.id = flashcards.deck_id))"
    )
    op.execute(
        "CREATE POLICY track_analysis_cache_through_reference_tracks ON track_analysis_cache AS PERMISSIVE FOR ALL TO ignition_app USING (EXISTS (SELECT 1 FROM reference_tracks p WHERE p.id = track_analysis_cache.track_id)) WITH CHECK (EXISTS (SELECT 1 FROM reference_tracks p WHERE p.id = track_analysis_cache.track_id))"
    )
    op.execute(
        "CREATE POLICY users_own_row ON users AS PERMISSIVE FOR ALL TO ignition_app USING (id = app_user_id() OR app_is_service()) WITH CHECK (id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_roles_own_rows ON user_roles AS PERMISSIVE FOR SELECT TO ignition_app USING (user_id = app_user_id() OR app_is_service())"
    )
    op.execute(
        "CREATE POLICY user_roles_service ON user_roles AS PERMISSIVE FOR ALL TO ignition_app USING (app_is_service()) WITH CHECK (app_is_service())"
    )
    op.execute(
        "CREATE POLICY admin_audit_log_service ON admin_audit_log AS PERMISSIVE FOR ALL TO ignition_app USING (app_is_service()) WITH CHECK (app_is_service())"
    )
    op.execute(
        "CREATE POLICY access_requests_anyone_requests ON access_requests AS PERMISSIVE FOR INSERT TO ignition_app WITH CHECK (true)"
    )
    op.execute(
        "CREATE POLICY access_requests_service ON access_requests AS PERMISSIVE FOR ALL TO ignition_app USING (app_is_service()) WITH CHECK (app_is_service())"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ignition_app"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ignition_readonly"
    )
    # Per-schema defaults can only add to the global ones: PUBLIC's EXECUTE goes globally
    # (for functions this owner creates in this database).
    op.execute("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ignition_app"
    )


def downgrade() -> None:
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM ignition_app"
    )
    op.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM ignition_readonly"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ignition_app"
    )
    op.execute("DROP POLICY access_requests_service ON access_requests")
    op.execute("DROP POLICY access_requests_anyone_requests ON access_requests")
    op.execute("DROP POLICY admin_audit_log_service ON admin_audit_log")
    op.execute("DROP POLICY user_roles_service ON user_roles")
    op.execute("DROP POLICY user_roles_own_rows ON user_roles")
    op.execute("DROP POLICY users_own_row ON users")
    op.execute("DROP POLICY track_analysis_cache_through_reference_tracks ON track_analysis_cache")
    op.execute("DROP POLICY flashcards_through_flashcard_decks ON flashcards")
    op.execute("DROP POLICY program_workouts_through_program_weeks ON program_workouts")
    op.execute("DROP POLICY program_weeks_through_training_programs ON program_weeks")
    op.execute("DROP POLICY exercise_sets_through_workout_sessions ON exercise_sets")
    op.execute("DROP POLICY workout_exercises_through_workouts ON workout_exercises")
    op.execute("DROP POLICY workout_sections_through_workouts ON workout_sections")
    op.execute("DROP POLICY goal_milestones_through_goals ON goal_milestones")
    op.execute("DROP POLICY infobase_entries_own_rows_delete ON infobase_entries")
    op.execute("DROP POLICY infobase_entries_own_rows_update ON infobase_entries")
    op.execute("DROP POLICY infobase_entries_own_rows_insert ON infobase_entries")
    op.execute("DROP POLICY infobase_entries_visible_rows ON infobase_entries")
    op.execute("DROP POLICY plan_templates_own_rows_delete ON plan_templates")
    op.execute("DROP POLICY plan_templates_own_rows_update ON plan_templates")
    op.execute("DROP POLICY plan_templates_own_rows_insert ON plan_templates")
    op.execute("DROP POLICY plan_templates_visible_rows ON plan_templates")
    op.execute("DROP POLICY quests_own_rows_delete ON quests")
    op.execute("DROP POLICY quests_own_rows_update ON quests")
    op.execute("DROP POLICY quests_own_rows_insert ON quests")
    op.execute("DROP POLICY quests_visible_rows ON quests")
    op.execute("DROP POLICY exercises_own_rows_delete ON exercises")
    op.execute("DROP POLICY exercises_own_rows_update ON exercises")
    op.execute("DROP POLICY exercises_own_rows_insert ON exercises")
    op.execute("DROP POLICY exercises_visible_rows ON exercises")
    op.execute("DROP POLICY workouts_own_rows ON workouts")
    op.execute("DROP POLICY workout_sessions_own_rows ON workout_sessions")
    op.execute("DROP POLICY user_wallet_own_rows ON user_wallet")
    op.execute("DROP POLICY user_ui_modules_own_rows ON user_ui_modules")
    op.execute("DROP POLICY user_streaks_own_rows ON user_streaks")
    op.execute("DROP POLICY user_skills_own_rows ON user_skills")
    op.execute("DROP POLICY user_settings_own_rows ON user_settings")
    op.execute("DROP POLICY user_quest_progress_own_rows ON user_quest_progress")
    op.execute("DROP POLICY user_purchases_own_rows ON user_purchases")
    op.execute("DROP POLICY user_progress_own_rows ON user_progress")
    op.execute("DROP POLICY user_onboarding_state_own_rows ON user_onboarding_state")
    op.execute("DROP POLICY user_lesson_progress_own_rows ON user_lesson_progress")
    op.execute("DROP POLICY user_interests_own_rows ON user_interests")
    op.execute("DROP POLICY user_drill_stats_own_rows ON user_drill_stats")
    op.execute("DROP POLICY user_achievements_own_rows ON user_achievements")
    op.execute("DROP POLICY training_programs_own_rows ON training_programs")
    op.execute("DROP POLICY sessions_own_rows ON sessions")
    op.execute("DROP POLICY reference_tracks_own_rows ON reference_tracks")
    op.execute("DROP POLICY reading_sessions_own_rows ON reading_sessions")
    op.execute("DROP POLICY points_ledger_own_rows ON points_ledger")
    op.execute("DROP POLICY personal_records_own_rows ON personal_records")
    op.execute("DROP POLICY notifications_own_rows ON notifications")
    op.execute("DROP POLICY journal_entries_own_rows ON journal_entries")
    op.execute("DROP POLICY ideas_own_rows ON ideas")
    op.execute("DROP POLICY habits_own_rows ON habits")
    op.execute("DROP POLICY habit_logs_own_rows ON habit_logs")
    op.execute("DROP POLICY goals_own_rows ON goals")
    op.execute("DROP POLICY focus_sessions_own_rows ON focus_sessions")
    op.execute("DROP POLICY focus_pause_state_own_rows ON focus_pause_state")
    op.execute("DROP POLICY flashcard_decks_own_rows ON flashcard_decks")
    op.execute("DROP POLICY feedback_own_rows ON feedback")
    op.execute("DROP POLICY daily_plans_own_rows ON daily_plans")
    op.execute("DROP POLICY calendar_events_own_rows ON calendar_events")
    op.execute("DROP POLICY books_own_rows ON books")
    op.execute("DROP POLICY authenticators_own_rows ON authenticators")
    op.execute("DROP POLICY audit_log_own_rows ON audit_log")
    op.execute("DROP POLICY activity_events_own_rows ON activity_events")
    op.execute("DROP POLICY accounts_own_rows ON accounts")
    op.execute("DROP POLICY workouts_readonly ON workouts")
    op.execute("ALTER TABLE workouts DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY workout_sessions_readonly ON workout_sessions")
    op.execute("ALTER TABLE workout_sessions DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY workout_sections_readonly ON workout_sections")
    op.execute("ALTER TABLE workout_sections DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY workout_exercises_readonly ON workout_exercises")
    op.execute("ALTER TABLE workout_exercises DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY users_readonly ON users")
    op.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_wallet_readonly ON user_wallet")
    op.execute("ALTER TABLE user_wallet DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_ui_modules_readonly ON user_ui_modules")
    op.execute("ALTER TABLE user_ui_modules DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_streaks_readonly ON user_streaks")
    op.execute("ALTER TABLE user_streaks DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_skills_readonly ON user_skills")
    op.execute("ALTER TABLE user_skills DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_settings_readonly ON user_settings")
    op.execute("ALTER TABLE user_settings DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_roles_readonly ON user_roles")
    op.execute("ALTER TABLE user_roles DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_quest_progress_readonly ON user_quest_progress")
    op.execute("ALTER TABLE user_quest_progress DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_purchases_readonly ON user_purchases")
    op.execute("ALTER TABLE user_purchases DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_progress_readonly ON user_progress")
    op.execute("ALTER TABLE user_progress DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_onboarding_state_readonly ON user_onboarding_state")
    op.execute("ALTER TABLE user_onboarding_state DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_lesson_progress_readonly ON user_lesson_progress")
    op.execute("ALTER TABLE user_lesson_progress DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_interests_readonly ON user_interests")
    op.execute("ALTER TABLE user_interests DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_drill_stats_readonly ON user_drill_stats")
    op.execute("ALTER TABLE user_drill_stats DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY user_achievements_readonly ON user_achievements")
    op.execute("ALTER TABLE user_achievements DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY training_programs_readonly ON training_programs")
    op.execute("ALTER TABLE training_programs DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY track_analysis_cache_readonly ON track_analysis_cache")
    op.execute("ALTER TABLE track_analysis_cache DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY sessions_readonly ON sessions")
    op.execute("ALTER TABLE sessions DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY reference_tracks_readonly ON reference_tracks")
    op.execute("ALTER TABLE reference_tracks DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY reading_sessions_readonly ON reading_sessions")
    op.execute("ALTER TABLE reading_sessions DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY quests_readonly ON quests")
    op.execute("ALTER TABLE quests DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY program_workouts_readonly ON program_workouts")
    op.execute("ALTER TABLE program_workouts DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY program_weeks_readonly ON program_weeks")
    op.execute("ALTER TABLE program_weeks DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY points_ledger_readonly ON points_ledger")
    op.execute("ALTER TABLE points_ledger DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY plan_templates_readonly ON plan_templates")
    op.execute("ALTER TABLE plan_templates DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY personal_records_readonly ON personal_records")
    op.execute("ALTER TABLE personal_records DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY notifications_readonly ON notifications")
    op.execute("ALTER TABLE notifications DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY journal_entries_readonly ON journal_entries")
    op.execute("ALTER TABLE journal_entries DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY infobase_entries_readonly ON infobase_entries")
    op.execute("ALTER TABLE infobase_entries DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY ideas_readonly ON ideas")
    op.execute("ALTER TABLE ideas DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY habits_readonly ON habits")
    op.execute("ALTER TABLE habits DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY habit_logs_readonly ON habit_logs")
    op.execute("ALTER TABLE habit_logs DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY goals_readonly ON goals")
    op.execute("ALTER TABLE goals DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY goal_milestones_readonly ON goal_milestones")
    op.execute("ALTER TABLE goal_milestones DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY focus_sessions_readonly ON focus_sessions")
    op.execute("ALTER TABLE focus_sessions DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY focus_pause_state_readonly ON focus_pause_state")
    op.execute("ALTER TABLE focus_pause_state DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY flashcards_readonly ON flashcards")
    op.execute("ALTER TABLE flashcards DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY flashcard_decks_readonly ON flashcard_decks")
    op.execute("ALTER TABLE flashcard_decks DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY feedback_readonly ON feedback")
    op.execute("ALTER TABLE feedback DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY exercises_readonly ON exercises")
    op.execute("ALTER TABLE exercises DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY exercise_sets_readonly ON exercise_sets")
    op.execute("ALTER TABLE exercise_sets DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY daily_plans_readonly ON daily_plans")
    op.execute("ALTER TABLE daily_plans DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY calendar_events_readonly ON calendar_events")
    op.execute("ALTER TABLE calendar_events DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY books_readonly ON books")
    op.execute("ALTER TABLE books DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY authenticators_readonly ON authenticators")
    op.execute("ALTER TABLE authenticators DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY audit_log_readonly ON audit_log")
    op.execute("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY admin_audit_log_readonly ON admin_audit_log")
    op.execute("ALTER TABLE admin_audit_log DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY activity_events_readonly ON activity_events")
    op.execute("ALTER TABLE activity_events DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY accounts_readonly ON accounts")
    op.execute("ALTER TABLE accounts DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY access_requests_readonly ON access_requests")
    op.execute("ALTER TABLE access_requests DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER VIEW quest_completion_stats RESET (security_invoker)")
    op.execute("ALTER VIEW user_available_quests RESET (security_invoker)")
    op.execute("ALTER VIEW this_weeks_events RESET (security_invoker)")
    op.execute("ALTER VIEW todays_events RESET (security_invoker)")
    op.execute("ALTER VIEW market_stats RESET (security_invoker)")
    op.execute("ALTER VIEW user_unredeemed_purchases RESET (security_invoker)")
    op.execute("ALTER VIEW available_market_items RESET (security_invoker)")
    op.execute("ALTER VIEW goals_with_milestones RESET (security_invoker)")
    op.execute("ALTER VIEW habits_today RESET (security_invoker)")
    op.execute("ALTER VIEW user_gamification_summary RESET (security_invoker)")
    op.execute("ALTER VIEW user_focus_stats RESET (security_invoker)")
    op.execute("ALTER VIEW active_focus_session RESET (security_invoker)")
    op.execute("ALTER VIEW user_session_count RESET (security_invoker)")
    op.execute("ALTER VIEW user_with_roles RESET (security_invoker)")
    op.execute(
        "REVOKE ALL ON access_requests, accounts, achievement_definitions, activity_events, admin_audit_log, audit_log, authenticators, books, calendar_events, daily_plans, daw_shortcuts, db_metadata, entitlements, exercise_sets, exercises, feedback, flashcard_decks, flashcards, focus_pause_state, focus_sessions, glossary_terms, goal_milestones, goals, habit_logs, habits, ideas, ignition_packs, infobase_entries, journal_entries, learn_drills, learn_lessons, learn_topics, market_items, notifications, onboarding_flows, onboarding_steps, personal_records, plan_templates, points_ledger, program_weeks, program_workouts, quests, reading_sessions, recipe_templates, reference_tracks, role_entitlements, roles, sessions, skill_definitions, track_analysis_cache, training_programs, universal_quests, user_achievements, user_drill_stats, user_interests, user_lesson_progress, user_onboarding_state, user_progress, user_purchases, user_quest_progress, user_roles, user_settings, user_skills, user_streaks, user_ui_modules, user_wallet, users, verification_tokens, workout_exercises, workout_sections, workout_sessions, workouts, user_with_roles, user_session_count, active_focus_session, user_focus_stats, user_gamification_summary, habits_today, goals_with_milestones, available_market_items, user_unredeemed_purchases, market_stats, todays_events, this_weeks_events, user_available_quests, quest_completion_stats FROM ignition_app, ignition_readonly"
    )
    op.execute(
        "REVOKE ALL ON FUNCTION accept_universal_quest(uuid, uuid), app_is_service(), app_may_act_for(uuid), app_user_id(), award_coins(uuid, integer, text, text, text, uuid), award_xp(uuid, integer, text, text, text, uuid), claim_quest_rewards(uuid, uuid), complete_focus_session(uuid, uuid), complete_habit(uuid, uuid, text), purchase_item(uuid, uuid), redeem_purchase(uuid, uuid), spend_coins(uuid, integer, text, text, text, uuid), start_focus_session(uuid, integer, focus_mode), update_goal_progress(uuid, uuid), update_quest_progress(uuid, uuid, integer), update_streak(uuid, text, date) FROM ignition_app"
    )
    op.execute("REVOKE USAGE ON SCHEMA public FROM ignition_app, ignition_readonly")
    op.execute("""
CREATE OR REPLACE FUNCTION accept_universal_quest(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
BEGIN
    PERFORM 1 FROM universal_quests WHERE id = p_quest_id AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'universal quest % does not exist or is not active', p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_quest_progress (user_id, quest_id, status, accepted_at)
    VALUES (p_user_id, p_quest_id, 'accepted', now())
    ON CONFLICT (user_id, quest_id) DO UPDATE
        SET status = 'accepted', accepted_at = now()
        WHERE user_quest_progress.status = 'available'
    RETURNING * INTO v_progress;
    IF NOT FOUND THEN
        SELECT * INTO v_progress FROM user_quest_progress
        WHERE user_id = p_user_id AND quest_id = p_quest_id;
    END IF;
    RETURN v_progress;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION award_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, coins, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
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
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'award_xp: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_wallet (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
            END IF;
            RETURN v_entry;
        END IF;
    END IF;
    INSERT INTO points_ledger (user_id, event_type, event_id, xp, reason, idempotency_key)
    VALUES (p_user_id, p_event_type, p_event_id, p_amount, p_reason, p_idempotency_key)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
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
CREATE OR REPLACE FUNCTION claim_quest_rewards(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_quest universal_quests;
BEGIN
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
CREATE OR REPLACE FUNCTION complete_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
    v_xp integer := 0;
    v_coins integer := 0;
BEGIN
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
CREATE OR REPLACE FUNCTION purchase_item(p_user_id uuid, p_item_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_item market_items;
    v_purchase_id uuid := gen_random_uuid();
    v_purchase user_purchases;
BEGIN
    SELECT * INTO v_item FROM market_items WHERE id = p_item_id;
    IF NOT FOUND OR NOT v_item.is_active OR NOT v_item.is_available THEN
        RAISE EXCEPTION 'market item % is not available', p_item_id
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM spend_coins(p_user_id, v_item.cost_coins, 'purchase: ' || v_item.name,
                        'purchase/' || v_purchase_id, 'purchase', v_purchase_id);
    IF NOT v_item.is_consumable AND EXISTS (
        SELECT 1 FROM user_purchases WHERE user_id = p_user_id AND item_id = p_item_id
    ) THEN
        RAISE EXCEPTION 'user % already owns market item %', p_user_id, v_item.key
            USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO user_purchases (id, user_id, item_id, cost_coins)
    VALUES (v_purchase_id, p_user_id, p_item_id, v_item.cost_coins)
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION redeem_purchase(p_user_id uuid, p_purchase_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_purchase user_purchases;
BEGIN
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
CREATE OR REPLACE FUNCTION spend_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'spend'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_wallet user_wallet;
    v_entry points_ledger;
    v_balance integer;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'spend_coins: amount must be positive, got %', p_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_wallet FROM user_wallet WHERE user_id = p_user_id FOR UPDATE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT * INTO v_entry FROM points_ledger WHERE idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF v_entry.user_id <> p_user_id THEN
                RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
                    USING ERRCODE = 'unique_violation';
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
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO v_entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key % was already used for another user', p_idempotency_key
            USING ERRCODE = 'unique_violation';
    END IF;
    UPDATE user_wallet SET coins = coins - p_amount WHERE id = v_wallet.id;
    RETURN v_entry;
END;
$$""")
    op.execute("""
CREATE OR REPLACE FUNCTION start_focus_session(p_user_id uuid, p_duration integer, p_mode focus_mode DEFAULT 'focus'::focus_mode) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_session focus_sessions;
BEGIN
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
CREATE OR REPLACE FUNCTION update_goal_progress(p_user_id uuid, p_goal_id uuid) RETURNS goals LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_goal goals;
    v_total integer;
    v_completed integer;
    v_was_completed boolean;
BEGIN
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
CREATE OR REPLACE FUNCTION update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_progress user_quest_progress;
    v_target integer;
BEGIN
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
CREATE OR REPLACE FUNCTION update_streak(p_user_id uuid, p_streak_type text, p_activity_date date DEFAULT CURRENT_DATE) RETURNS user_streaks LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_streak user_streaks;
BEGIN
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
    op.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC")
    op.execute("DROP FUNCTION app_may_act_for(uuid)")
    op.execute("DROP FUNCTION app_is_service()")
    op.execute("DROP FUNCTION app_user_id()")
