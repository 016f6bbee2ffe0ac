"""Functions and views of gamification (revision 0002): the only ways coins and XP move.

Contract (tests/test_gamification.py):
- ``award_xp``/``award_coins``/``spend_coins`` lock the user's wallet row, write exactly one
  ``points_ledger`` row and update the wallet in the caller's transaction, and return that
  ledger row. Idempotency keys belong to the user (``UNIQUE (user_id, idempotency_key)``,
  revision 0023): a repeated key with the same kind and amount returns the earlier row and
  writes nothing, even when the two calls race; the same key with another kind (award_xp,
  award_coins, spend_coins) or amount is an error (SQLSTATE 23505); another user's keys
  never matter.
- These are the raw movers: only the game actions (SECURITY DEFINER, revision 0024) and
  service code call them; ``ignition_app`` may not.
- ``spend_coins`` with too few coins raises SQLSTATE P0001 "insufficient coins: balance B,
  needed N" and changes nothing; coins never go below zero.
- Amounts must be positive (SQLSTATE 22023 otherwise).
- ``update_streak``: the same day (or an earlier one) is a no-op, the next day extends the
  streak, a gap restarts it at 1; ``longest_streak`` keeps the best. A day after today (UTC)
  is refused (22023).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.sql import declare_function, declare_view

AWARD_PARAMETERS = (
    "p_user_id uuid",
    "p_amount integer",
    "p_reason text",
    "p_idempotency_key text DEFAULT NULL::text",
    "p_event_type text DEFAULT 'award'::text",
    "p_event_id uuid DEFAULT NULL::uuid",
)

AWARD_XP = declare_function(
    "award_xp",
    """
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
""",
    returns="points_ledger",
    parameters=AWARD_PARAMETERS,
    security_definer=True,
)

AWARD_COINS = declare_function(
    "award_coins",
    """
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
""",
    returns="points_ledger",
    parameters=AWARD_PARAMETERS,
    security_definer=True,
)

SPEND_COINS = declare_function(
    "spend_coins",
    """
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
""",
    returns="points_ledger",
    parameters=(
        "p_user_id uuid",
        "p_amount integer",
        "p_reason text",
        "p_idempotency_key text DEFAULT NULL::text",
        "p_event_type text DEFAULT 'spend'::text",
        "p_event_id uuid DEFAULT NULL::uuid",
    ),
    security_definer=True,
)

UPDATE_STREAK = declare_function(
    "update_streak",
    """
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
""",
    returns="user_streaks",
    parameters=(
        "p_user_id uuid",
        "p_streak_type text",
        "p_activity_date date DEFAULT CURRENT_DATE",
    ),
    security_definer=True,
)

USER_GAMIFICATION_SUMMARY = declare_view(
    "user_gamification_summary",
    """
SELECT u.id AS user_id,
       COALESCE(w.coins, 0) AS coins,
       COALESCE(w.xp, 0) AS xp,
       COALESCE(w.level, 1) AS level,
       COALESCE(w.xp_to_next_level, 100) AS xp_to_next_level,
       COALESCE(w.total_skill_stars, 0) AS total_skill_stars,
       (SELECT count(*) FROM user_achievements a WHERE a.user_id = u.id) AS achievements_earned,
       (SELECT COALESCE(max(s.current_streak), 0) FROM user_streaks s WHERE s.user_id = u.id) AS best_current_streak,
       (SELECT COALESCE(max(s.longest_streak), 0) FROM user_streaks s WHERE s.user_id = u.id) AS longest_streak
FROM users u
LEFT JOIN user_wallet w ON w.user_id = u.id
""",
)


class UserGamificationSummary(ViewBase):
    """Read-only row of ``user_gamification_summary``: wallet, achievements and streaks."""

    __tablename__ = "user_gamification_summary"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    coins: Mapped[int]
    xp: Mapped[int]
    level: Mapped[int]
    xp_to_next_level: Mapped[int]
    total_skill_stars: Mapped[int]
    achievements_earned: Mapped[int]
    best_current_streak: Mapped[int]
    longest_streak: Mapped[int]
