"""Gamification: skills, achievements, wallet and ledger, streaks, progress counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Creates the 8 tables of the checkpoint's 0002 (skill_definitions, user_skills,
achievement_definitions, user_achievements, user_progress, user_wallet, points_ledger,
user_streaks) with their CHECKs (wallet coins/xp never negative, level >= 1, ...), the
updated_at triggers of user_skills, user_progress, user_wallet and user_streaks, the money
functions award_xp, award_coins, spend_coins (SECURITY DEFINER, pinned search_path, locking
the wallet row, idempotent by key) and update_streak, and the view user_gamification_summary.

Downgrade drops the view, the functions and the tables (their triggers with them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "achievement_definitions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("trigger_type", sa.Text(), nullable=False),
        sa.Column("trigger_config", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reward_coins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "reward_coins >= 0",
            name=op.f("achievement_definitions_reward_coins_non_negative_check"),
        ),
        sa.CheckConstraint(
            "reward_xp >= 0", name=op.f("achievement_definitions_reward_xp_non_negative_check")
        ),
        sa.PrimaryKeyConstraint("id", name="achievement_definitions_pkey"),
        sa.UniqueConstraint("key", name="achievement_definitions_key_key"),
    )
    op.create_table(
        "skill_definitions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("max_level", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("stars_per_level", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "max_level >= 1", name=op.f("skill_definitions_max_level_positive_check")
        ),
        sa.CheckConstraint(
            "stars_per_level >= 1", name=op.f("skill_definitions_stars_per_level_positive_check")
        ),
        sa.PrimaryKeyConstraint("id", name="skill_definitions_pkey"),
        sa.UniqueConstraint("key", name="skill_definitions_key_key"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("coins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("skill_stars", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("skill_key", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="points_ledger_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="points_ledger_pkey"),
        sa.UniqueConstraint("idempotency_key", name="points_ledger_idempotency_key_key"),
    )
    op.create_index("points_ledger_created_at_idx", "points_ledger", ["created_at"], unique=False)
    op.create_index(
        "points_ledger_event_type_event_id_idx",
        "points_ledger",
        ["event_type", "event_id"],
        unique=False,
    )
    op.create_index("points_ledger_user_id_idx", "points_ledger", ["user_id"], unique=False)
    op.create_table(
        "user_achievements",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("achievement_key", sa.Text(), nullable=False),
        sa.Column(
            "earned_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("notified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_key"],
            ["achievement_definitions.key"],
            name="user_achievements_achievement_key_fkey",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_achievements_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_achievements_pkey"),
        sa.UniqueConstraint(
            "user_id", "achievement_key", name="user_achievements_user_id_achievement_key_key"
        ),
    )
    op.create_index(
        "user_achievements_achievement_key_idx",
        "user_achievements",
        ["achievement_key"],
        unique=False,
    )
    op.create_table(
        "user_progress",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "focus_sessions_completed", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("focus_minutes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("habits_completed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quests_completed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("goals_completed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_activity_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "focus_sessions_completed >= 0 AND focus_minutes >= 0 AND habits_completed >= 0 AND quests_completed >= 0 AND goals_completed >= 0",
            name=op.f("user_progress_counters_non_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_progress_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_progress_pkey"),
        sa.UniqueConstraint("user_id", name="user_progress_user_id_key"),
    )
    op.create_table(
        "user_skills",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("skill_key", sa.Text(), nullable=False),
        sa.Column("current_stars", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("current_level", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "current_level >= 0", name=op.f("user_skills_current_level_non_negative_check")
        ),
        sa.CheckConstraint(
            "current_stars >= 0", name=op.f("user_skills_current_stars_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["skill_key"],
            ["skill_definitions.key"],
            name="user_skills_skill_key_fkey",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_skills_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_skills_pkey"),
        sa.UniqueConstraint("user_id", "skill_key", name="user_skills_user_id_skill_key_key"),
    )
    op.create_index("user_skills_skill_key_idx", "user_skills", ["skill_key"], unique=False)
    op.create_table(
        "user_streaks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("streak_type", sa.Text(), nullable=False),
        sa.Column("current_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("longest_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_activity_date", sa.Date(), nullable=True),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "current_streak >= 0", name=op.f("user_streaks_current_streak_non_negative_check")
        ),
        sa.CheckConstraint(
            "longest_streak >= 0", name=op.f("user_streaks_longest_streak_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_streaks_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_streaks_pkey"),
        sa.UniqueConstraint("user_id", "streak_type", name="user_streaks_user_id_streak_type_key"),
    )
    op.create_table(
        "user_wallet",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("coins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("xp_to_next_level", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("total_skill_stars", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("coins >= 0", name=op.f("user_wallet_coins_non_negative_check")),
        sa.CheckConstraint("level >= 1", name=op.f("user_wallet_level_positive_check")),
        sa.CheckConstraint(
            "total_skill_stars >= 0", name=op.f("user_wallet_total_skill_stars_non_negative_check")
        ),
        sa.CheckConstraint("xp >= 0", name=op.f("user_wallet_xp_non_negative_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_wallet_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_wallet_pkey"),
        sa.UniqueConstraint("user_id", name="user_wallet_user_id_key"),
    )
    op.execute(
        "CREATE TRIGGER user_progress_set_updated_at BEFORE UPDATE ON user_progress "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER user_skills_set_updated_at BEFORE UPDATE ON user_skills "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER user_streaks_set_updated_at BEFORE UPDATE ON user_streaks "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER user_wallet_set_updated_at BEFORE UPDATE ON user_wallet "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("""
CREATE FUNCTION award_xp(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION award_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'award'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION spend_coins(p_user_id uuid, p_amount integer, p_reason text, p_idempotency_key text DEFAULT NULL::text, p_event_type text DEFAULT 'spend'::text, p_event_id uuid DEFAULT NULL::uuid) RETURNS points_ledger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION update_streak(p_user_id uuid, p_streak_type text, p_activity_date date DEFAULT CURRENT_DATE) RETURNS user_streaks LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
    op.execute("""
CREATE VIEW user_gamification_summary AS
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
LEFT JOIN user_wallet w ON w.user_id = u.id""")


def downgrade() -> None:
    op.execute("DROP VIEW user_gamification_summary")
    op.execute("DROP FUNCTION update_streak(uuid, text, date)")
    op.execute("DROP FUNCTION spend_coins(uuid, integer, text, text, text, uuid)")
    op.execute("DROP FUNCTION award_coins(uuid, integer, text, text, text, uuid)")
    op.execute("DROP FUNCTION award_xp(uuid, integer, text, text, text, uuid)")
    op.drop_table("user_wallet")
    op.drop_table("user_streaks")
    op.drop_table("user_skills")
    op.drop_table("user_progress")
    op.drop_table("user_achievements")
    op.drop_table("points_ledger")
    op.drop_table("skill_definitions")
    op.drop_table("achievement_definitions")
