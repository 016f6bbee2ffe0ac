"""Functions and views of focus sessions (revision 0003).

- ``start_focus_session`` opens a session; a second one while one is in progress raises
  SQLSTATE 23505 "focus session already in progress".
- ``complete_focus_session`` completes the user's session once: focus mode earns
  ``max(1, minutes)`` XP and one coin per 5 minutes through ``award_xp``/``award_coins``,
  keyed by the session id, so a repeated or racing call awards nothing more. Breaks earn
  nothing. It also bumps ``user_progress`` and the ``focus`` streak.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.enums import FocusMode, FocusStatus
from models.focus import FOCUS_MODE, FOCUS_STATUS
from models.sql import declare_function, declare_view

START_FOCUS_SESSION = declare_function(
    "start_focus_session",
    """
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
""",
    returns="focus_sessions",
    parameters=(
        "p_user_id uuid",
        "p_duration integer",
        "p_mode focus_mode DEFAULT 'focus'::focus_mode",
    ),
    security_definer=True,
)

COMPLETE_FOCUS_SESSION = declare_function(
    "complete_focus_session",
    """
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
""",
    returns="focus_sessions",
    parameters=("p_user_id uuid", "p_session_id uuid"),
    security_definer=True,
)

ACTIVE_FOCUS_SESSION = declare_view(
    "active_focus_session",
    """
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
WHERE s.status IN ('active', 'paused')
""",
)

USER_FOCUS_STATS = declare_view(
    "user_focus_stats",
    """
SELECT s.user_id,
       count(*) FILTER (WHERE s.status = 'completed') AS sessions_completed,
       count(*) FILTER (WHERE s.status = 'abandoned') AS sessions_abandoned,
       COALESCE(sum(s.duration) FILTER (WHERE s.status = 'completed' AND s.mode = 'focus'), 0) / 60 AS focus_minutes,
       COALESCE(sum(s.xp_awarded), 0) AS xp_earned,
       COALESCE(sum(s.coins_awarded), 0) AS coins_earned,
       max(s.completed_at) AS last_completed_at
FROM focus_sessions s
GROUP BY s.user_id
""",
)


class ActiveFocusSession(ViewBase):
    """Read-only row of ``active_focus_session``: the session in progress, with time left."""

    __tablename__ = "active_focus_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    mode: Mapped[FocusMode] = mapped_column(FOCUS_MODE)
    status: Mapped[FocusStatus] = mapped_column(FOCUS_STATUS)
    duration: Mapped[int]
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    remaining_seconds: Mapped[int]


class UserFocusStats(ViewBase):
    """Read-only row of ``user_focus_stats``."""

    __tablename__ = "user_focus_stats"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sessions_completed: Mapped[int]
    sessions_abandoned: Mapped[int]
    focus_minutes: Mapped[int]
    xp_earned: Mapped[int]
    coins_earned: Mapped[int]
    last_completed_at: Mapped[datetime | None]
