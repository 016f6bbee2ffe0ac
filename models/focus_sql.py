"""Functions and views of focus sessions (revision 0003).

- ``start_focus_session`` opens a session of 60 to 14400 seconds (1 to 240 minutes; 22023
  otherwise); a second one while one is in progress raises SQLSTATE 23505 "focus session
  already in progress".
- ``pause_focus_session`` / ``resume_focus_session`` / ``abandon_focus_session``: the only
  ways a session changes (the app cannot write ``focus_sessions``). Pausing keeps the time
  left; resuming moves ``expires_at`` to now plus that time.
- ``complete_focus_session`` completes the user's session once, and only once it has run:
  ``now() >= started_at + duration`` and ``now() >= expires_at`` (pauses push ``expires_at``),
  else P0001 "has not run yet"; a paused session cannot complete. Focus mode earns
  ``max(1, minutes)`` XP and one coin per 5 minutes (minutes capped at 240, also for imported
  sessions) through ``award_xp``/``award_coins``, keyed by the session id, so a repeated or
  racing call awards nothing more. Breaks earn nothing. It also bumps ``user_progress`` and
  today's (UTC) ``focus`` streak.
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
""",
    returns="focus_sessions",
    parameters=("p_user_id uuid", "p_session_id uuid"),
    security_definer=True,
)

PAUSE_FOCUS_SESSION = declare_function(
    "pause_focus_session",
    """
DECLARE
    v_now timestamptz := now();
    v_session focus_sessions;
    v_remaining integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
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
        v_session.started_at + make_interval(secs => v_session.duration), v_session.expires_at) - v_now)))::integer;
    UPDATE focus_sessions
    SET status = 'paused', paused_at = v_now, paused_remaining = v_remaining
    WHERE id = p_session_id AND user_id = p_user_id
    RETURNING * INTO v_session;
    DELETE FROM focus_pause_state WHERE user_id = p_user_id;
    INSERT INTO focus_pause_state (user_id, mode, time_remaining, paused_at)
    VALUES (p_user_id, v_session.mode, v_remaining, v_now);
    RETURN v_session;
END;
""",
    returns="focus_sessions",
    parameters=("p_user_id uuid", "p_session_id uuid"),
    security_definer=True,
)

RESUME_FOCUS_SESSION = declare_function(
    "resume_focus_session",
    """
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
""",
    returns="focus_sessions",
    parameters=("p_user_id uuid", "p_session_id uuid"),
    security_definer=True,
)

ABANDON_FOCUS_SESSION = declare_function(
    "abandon_focus_session",
    """
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
