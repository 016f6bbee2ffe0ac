"""Focus sessions: sessions and pause state, start/complete functions, two views.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Creates the ENUM types focus_mode and focus_status, the tables focus_sessions (with the
partial unique index that allows one session in progress per user) and focus_pause_state
(with its updated_at trigger), the functions start_focus_session and complete_focus_session
(which awards once, through award_xp/award_coins keyed by the session id), and the views
active_focus_session and user_focus_stats.

Downgrade drops the views, functions, tables and types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE focus_mode AS ENUM ('focus', 'break', 'long_break')")
    op.execute("CREATE TYPE focus_status AS ENUM ('active', 'completed', 'abandoned', 'paused')")
    op.create_table(
        "focus_pause_state",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "mode",
            postgresql.ENUM(name="focus_mode", create_type=False),
            server_default="focus",
            nullable=False,
        ),
        sa.Column("time_remaining", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("paused_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
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
            "time_remaining >= 0", name=op.f("focus_pause_state_time_remaining_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="focus_pause_state_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="focus_pause_state_pkey"),
    )
    op.create_index("focus_pause_state_user_id_idx", "focus_pause_state", ["user_id"], unique=False)
    op.create_table(
        "focus_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "mode",
            postgresql.ENUM(name="focus_mode", create_type=False),
            server_default="focus",
            nullable=False,
        ),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("abandoned_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("paused_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("paused_remaining", sa.Integer(), nullable=True),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(name="focus_status", create_type=False),
            server_default="active",
            nullable=False,
        ),
        sa.Column("xp_awarded", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("coins_awarded", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("duration > 0", name=op.f("focus_sessions_duration_positive_check")),
        sa.CheckConstraint(
            "paused_remaining >= 0", name=op.f("focus_sessions_paused_remaining_non_negative_check")
        ),
        sa.CheckConstraint(
            "xp_awarded >= 0 AND coins_awarded >= 0",
            name=op.f("focus_sessions_awards_non_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="focus_sessions_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="focus_sessions_pkey"),
    )
    op.create_index(
        "focus_sessions_one_in_progress_key",
        "focus_sessions",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'paused')"),
    )
    op.create_index("focus_sessions_started_at_idx", "focus_sessions", ["started_at"], unique=False)
    op.create_index("focus_sessions_status_idx", "focus_sessions", ["status"], unique=False)
    op.create_index("focus_sessions_user_id_idx", "focus_sessions", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER focus_pause_state_set_updated_at BEFORE UPDATE ON focus_pause_state "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("""
CREATE FUNCTION start_focus_session(p_user_id uuid, p_duration integer, p_mode focus_mode DEFAULT 'focus'::focus_mode) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE FUNCTION complete_focus_session(p_user_id uuid, p_session_id uuid) RETURNS focus_sessions LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
CREATE VIEW active_focus_session AS
SELECT s.id,
       s.user_id,
       s.mode,
       s.status,
       s.duration,
       s.started_at,
       s.expires_at,
       s.paused_at,
       CASE
           WHEN s.status = 'paused' THEN COALESCE(s.paused_remaining, 0)
           ELSE GREATEST(0, s.duration - floor(EXTRACT(epoch FROM CURRENT_TIMESTAMP - s.started_at))::integer)
       END AS remaining_seconds
FROM focus_sessions s
WHERE s.status IN ('active', 'paused')""")
    op.execute("""
CREATE VIEW user_focus_stats AS
SELECT s.user_id,
       count(*) FILTER (WHERE s.status = 'completed') AS sessions_completed,
       count(*) FILTER (WHERE s.status = 'abandoned') AS sessions_abandoned,
       COALESCE(sum(s.duration) FILTER (WHERE s.status = 'completed' AND s.mode = 'focus'), 0) / 60 AS focus_minutes,
       COALESCE(sum(s.xp_awarded), 0) AS xp_earned,
       COALESCE(sum(s.coins_awarded), 0) AS coins_earned,
       max(s.completed_at) AS last_completed_at
FROM focus_sessions s
GROUP BY s.user_id""")


def downgrade() -> None:
    op.execute("DROP VIEW user_focus_stats")
    op.execute("DROP VIEW active_focus_session")
    op.execute("DROP FUNCTION complete_focus_session(uuid, uuid)")
    op.execute("DROP FUNCTION start_focus_session(uuid, integer, focus_mode)")
    op.drop_table("focus_sessions")
    op.drop_table("focus_pause_state")
    op.execute("DROP TYPE focus_status")
    op.execute("DROP TYPE focus_mode")
