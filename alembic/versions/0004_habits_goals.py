"""Habits and goals: habits, habit_logs, goals, goal_milestones, their functions and views.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Creates the ENUM types habit_frequency and goal_status, the four tables with the updated_at
triggers of habits and goals, the functions complete_habit (counts a day's completion once
per target, awards XP, keeps the habit's streak) and update_goal_progress (progress derived
from milestones), and the views habits_today and goals_with_milestones.

Downgrade drops the views, functions, tables and types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE goal_status AS ENUM ('active', 'completed', 'paused', 'abandoned')")
    op.execute("CREATE TYPE habit_frequency AS ENUM ('daily', 'weekly', 'monthly', 'custom')")
    op.create_table(
        "goals",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(name="goal_status", create_type=False),
            server_default="active",
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), server_default=sa.text("0"), nullable=False),
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
            "progress BETWEEN 0 AND 100", name=op.f("goals_progress_percentage_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="goals_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="goals_pkey"),
    )
    op.create_index("goals_user_id_idx", "goals", ["user_id"], unique=False)
    op.create_table(
        "habits",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "frequency",
            postgresql.ENUM(name="habit_frequency", create_type=False),
            server_default="daily",
            nullable=False,
        ),
        sa.Column("target_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
        sa.CheckConstraint("target_count >= 1", name=op.f("habits_target_count_positive_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="habits_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="habits_pkey"),
    )
    op.create_index(
        "habits_active_user_id_idx",
        "habits",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("is_active = true"),
    )
    op.create_index("habits_user_id_idx", "habits", ["user_id"], unique=False)
    op.create_table(
        "goal_milestones",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("is_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name="goal_milestones_goal_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="goal_milestones_pkey"),
    )
    op.create_index("goal_milestones_goal_id_idx", "goal_milestones", ["goal_id"], unique=False)
    op.create_table(
        "habit_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("habit_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "completed_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["habit_id"], ["habits.id"], name="habit_logs_habit_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="habit_logs_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="habit_logs_pkey"),
    )
    op.create_index(
        "habit_logs_habit_id_completed_at_idx",
        "habit_logs",
        ["habit_id", "completed_at"],
        unique=False,
    )
    op.create_index("habit_logs_user_id_idx", "habit_logs", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER goals_set_updated_at BEFORE UPDATE ON goals "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER habits_set_updated_at BEFORE UPDATE ON habits "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("""
CREATE FUNCTION complete_habit(p_user_id uuid, p_habit_id uuid, p_notes text DEFAULT NULL::text) RETURNS habit_logs LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION update_goal_progress(p_user_id uuid, p_goal_id uuid) RETURNS goals LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE VIEW habits_today AS
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
    op.execute("""
CREATE VIEW goals_with_milestones AS
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


def downgrade() -> None:
    op.execute("DROP VIEW goals_with_milestones")
    op.execute("DROP VIEW habits_today")
    op.execute("DROP FUNCTION update_goal_progress(uuid, uuid)")
    op.execute("DROP FUNCTION complete_habit(uuid, uuid, text)")
    op.drop_table("habit_logs")
    op.drop_table("goal_milestones")
    op.drop_table("habits")
    op.drop_table("goals")
    op.execute("DROP TYPE habit_frequency")
    op.execute("DROP TYPE goal_status")
