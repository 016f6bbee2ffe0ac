"""Functions and views of habits and goals (revision 0004).

- ``complete_habit`` logs a completion and awards 5 XP, unless the habit already has
  ``target_count`` completions that day (UTC): then it returns NULL and changes nothing, so
  a double tap (or two racing taps) never double-counts. A user is paid for at most 20 habit
  completions a day (UTC, counted in the ledger, which the app cannot change): later ones are
  logged and keep the streak but pay and count nothing, so new habits with huge targets farm
  nothing. The app cannot change ``target_count`` after creating a habit, nor write
  ``habit_logs`` (revision 0024).
- ``update_goal_progress`` sets ``progress`` to the percentage of completed milestones
  (unchanged when the goal has none) and completes the goal at 100%.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.enums import GoalStatus, HabitFrequency
from models.goals import GOAL_STATUS
from models.habits import HABIT_FREQUENCY
from models.sql import declare_function, declare_view

COMPLETE_HABIT = declare_function(
    "complete_habit",
    """
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
""",
    returns="habit_logs",
    parameters=("p_user_id uuid", "p_habit_id uuid", "p_notes text DEFAULT NULL::text"),
    security_definer=True,
)

UPDATE_GOAL_PROGRESS = declare_function(
    "update_goal_progress",
    """
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
""",
    returns="goals",
    parameters=("p_user_id uuid", "p_goal_id uuid"),
    security_definer=True,
)

HABITS_TODAY = declare_view(
    "habits_today",
    """
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
      AND l.user_id = h.user_id
      AND l.completed_at >= date_trunc('DAY', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
WHERE h.is_active
GROUP BY h.id, h.user_id, h.name, h.frequency, h.target_count
""",
)

GOALS_WITH_MILESTONES = declare_view(
    "goals_with_milestones",
    """
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
LEFT JOIN goal_milestones m ON m.goal_id = g.id AND m.user_id = g.user_id
GROUP BY g.id, g.user_id, g.title, g.status, g.progress, g.target_date
""",
)


class HabitToday(ViewBase):
    """Read-only row of ``habits_today``: each active habit with today's completions (UTC)."""

    __tablename__ = "habits_today"

    habit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    name: Mapped[str]
    frequency: Mapped[HabitFrequency] = mapped_column(HABIT_FREQUENCY)
    target_count: Mapped[int]
    completions_today: Mapped[int]
    is_done: Mapped[bool]


class GoalWithMilestones(ViewBase):
    """Read-only row of ``goals_with_milestones``."""

    __tablename__ = "goals_with_milestones"

    goal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    title: Mapped[str]
    status: Mapped[GoalStatus] = mapped_column(GOAL_STATUS)
    progress: Mapped[int]
    target_date: Mapped[date | None]
    milestones_total: Mapped[int]
    milestones_completed: Mapped[int]
    milestones: Mapped[list[Any]]
