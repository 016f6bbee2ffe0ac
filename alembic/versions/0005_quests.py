"""Quests: universal quests, users' progress on them, personal quests; accept/progress/claim.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

Creates the ENUM types quest_difficulty, quest_status and quest_cadence, the tables
universal_quests, user_quest_progress (with rewards_claimed_at, so rewards are claimed once)
and quests, the updated_at triggers of universal_quests and user_quest_progress, the functions
accept_universal_quest, update_quest_progress and claim_quest_rewards, and the views
user_available_quests and quest_completion_stats.

Downgrade drops the views, functions, tables and types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE quest_difficulty AS ENUM ('starter', 'easy', 'medium', 'hard', 'epic')")
    op.execute(
        "CREATE TYPE quest_status AS ENUM ('available', 'accepted', 'in_progress', 'completed', 'expired')"
    )
    op.execute("CREATE TYPE quest_cadence AS ENUM ('daily', 'weekly', 'monthly', 'one_time')")
    op.create_table(
        "quests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column(
            "difficulty",
            postgresql.ENUM(name="quest_difficulty", create_type=False),
            server_default="starter",
            nullable=False,
        ),
        sa.Column("xp_reward", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("coin_reward", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("is_universal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="quest_status", create_type=False),
            server_default="available",
            nullable=False,
        ),
        sa.Column("accepted_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("is_repeatable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("repeat_frequency", sa.Text(), nullable=True),
        sa.Column("last_completed_date", sa.Date(), nullable=True),
        sa.Column("streak_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("coin_reward >= 0", name=op.f("quests_coin_reward_non_negative_check")),
        sa.CheckConstraint(
            "streak_count >= 0", name=op.f("quests_streak_count_non_negative_check")
        ),
        sa.CheckConstraint("xp_reward >= 0", name=op.f("quests_xp_reward_non_negative_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="quests_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="quests_pkey"),
    )
    op.create_index("quests_status_idx", "quests", ["status"], unique=False)
    op.create_index(
        "quests_universal_idx",
        "quests",
        ["is_universal"],
        unique=False,
        postgresql_where=sa.text("is_universal = true"),
    )
    op.create_index("quests_user_id_idx", "quests", ["user_id"], unique=False)
    op.create_table(
        "universal_quests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "type",
            postgresql.ENUM(name="quest_cadence", create_type=False),
            server_default="daily",
            nullable=False,
        ),
        sa.Column("xp_reward", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("coin_reward", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("target", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("skill_id", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
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
        sa.CheckConstraint("target >= 1", name=op.f("universal_quests_target_positive_check")),
        sa.CheckConstraint(
            "xp_reward >= 0 AND coin_reward >= 0",
            name=op.f("universal_quests_rewards_non_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name="universal_quests_created_by_fkey",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="universal_quests_pkey"),
    )
    op.create_index(
        "universal_quests_created_by_idx", "universal_quests", ["created_by"], unique=False
    )
    op.create_index(
        "universal_quests_is_active_idx", "universal_quests", ["is_active"], unique=False
    )
    op.create_index("universal_quests_type_idx", "universal_quests", ["type"], unique=False)
    op.create_table(
        "user_quest_progress",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("quest_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="quest_status", create_type=False),
            server_default="available",
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("accepted_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("rewards_claimed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
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
            "progress >= 0", name=op.f("user_quest_progress_progress_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["quest_id"],
            ["universal_quests.id"],
            name="user_quest_progress_quest_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_quest_progress_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_quest_progress_pkey"),
        sa.UniqueConstraint("user_id", "quest_id", name="user_quest_progress_user_id_quest_id_key"),
    )
    op.create_index(
        "user_quest_progress_quest_id_idx", "user_quest_progress", ["quest_id"], unique=False
    )
    op.execute(
        "CREATE TRIGGER universal_quests_set_updated_at BEFORE UPDATE ON universal_quests "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER user_quest_progress_set_updated_at BEFORE UPDATE ON user_quest_progress "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("""
CREATE FUNCTION accept_universal_quest(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION update_quest_progress(p_user_id uuid, p_quest_id uuid, p_increment integer DEFAULT 1) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION claim_quest_rewards(p_user_id uuid, p_quest_id uuid) RETURNS user_quest_progress LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE VIEW user_available_quests AS
SELECT u.id AS user_id,
       q.id AS quest_id,
       q.title,
       q.description,
       q.type,
       q.target,
       q.xp_reward,
       q.coin_reward,
       COALESCE(p.status, 'available'::quest_status) AS status,
       COALESCE(p.progress, 0) AS progress,
       p.rewards_claimed_at IS NOT NULL AS rewards_claimed
FROM users u
CROSS JOIN universal_quests q
LEFT JOIN user_quest_progress p ON p.user_id = u.id AND p.quest_id = q.id
WHERE q.is_active""")
    op.execute("""
CREATE VIEW quest_completion_stats AS
SELECT q.id AS quest_id,
       q.title,
       q.type,
       count(p.id) AS accepted_count,
       count(p.id) FILTER (WHERE p.completed) AS completed_count,
       count(p.id) FILTER (WHERE p.rewards_claimed_at IS NOT NULL) AS claimed_count,
       CASE WHEN count(p.id) = 0 THEN 0::numeric
            ELSE round(count(p.id) FILTER (WHERE p.completed)::numeric / count(p.id), 4) END AS completion_rate
FROM universal_quests q
LEFT JOIN user_quest_progress p ON p.quest_id = q.id
GROUP BY q.id""")


def downgrade() -> None:
    op.execute("DROP VIEW quest_completion_stats")
    op.execute("DROP VIEW user_available_quests")
    op.execute("DROP FUNCTION claim_quest_rewards(uuid, uuid)")
    op.execute("DROP FUNCTION update_quest_progress(uuid, uuid, integer)")
    op.execute("DROP FUNCTION accept_universal_quest(uuid, uuid)")
    op.drop_table("user_quest_progress")
    op.drop_table("universal_quests")
    op.drop_table("quests")
    op.execute("DROP TYPE quest_cadence")
    op.execute("DROP TYPE quest_status")
    op.execute("DROP TYPE quest_difficulty")
