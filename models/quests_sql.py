"""Functions and views of quests (revision 0005; accept_universal_quest as of 0037).

- ``accept_universal_quest`` starts (or returns) the user's progress row on an active quest.
- ``update_quest_progress`` adds to it, capped at the quest's target; reaching the target
  completes it. A raw mover: service code only.
- ``advance_quest`` is the app's way: one step per call (through ``update_quest_progress``),
  capped at the target. Rewards pay once per user and quest
  ever, so the most a caller can take is each active quest's reward once.
- ``claim_quest_rewards`` pays a completed quest's XP and coins exactly once (the awards are
  keyed by the progress row); a second claim raises SQLSTATE P0001 "already claimed".
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.enums import QuestCadence, QuestStatus
from models.quests import QUEST_CADENCE, QUEST_STATUS
from models.sql import declare_function, declare_view

ACCEPT_UNIVERSAL_QUEST = declare_function(
    "accept_universal_quest",
    """
DECLARE
    v_progress user_quest_progress;
    v_now timestamptz := now();
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
    END IF;
    PERFORM 1 FROM universal_quests WHERE id = p_quest_id AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'universal quest % does not exist or is not active', p_quest_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_quest_progress (user_id, quest_id, status, accepted_at)
    VALUES (p_user_id, p_quest_id, 'accepted', v_now)
    ON CONFLICT (user_id, quest_id) DO UPDATE
        SET status = 'accepted', accepted_at = v_now
        WHERE user_quest_progress.status = 'available'
    RETURNING * INTO v_progress;
    IF NOT FOUND THEN
        SELECT * INTO v_progress FROM user_quest_progress
        WHERE user_id = p_user_id AND quest_id = p_quest_id;
    END IF;
    RETURN v_progress;
END;
""",
    returns="user_quest_progress",
    parameters=("p_user_id uuid", "p_quest_id uuid"),
    security_definer=True,
)

UPDATE_QUEST_PROGRESS = declare_function(
    "update_quest_progress",
    """
DECLARE
    v_now timestamptz := now();
    v_progress user_quest_progress;
    v_target integer;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Present the user''s session token (SET LOCAL app.session_token), or act as the service.';
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
        completed_at = CASE WHEN progress + p_increment >= v_target THEN v_now END
    WHERE id = v_progress.id AND user_id = p_user_id
    RETURNING * INTO v_progress;
    RETURN v_progress;
END;
""",
    returns="user_quest_progress",
    parameters=("p_user_id uuid", "p_quest_id uuid", "p_increment integer DEFAULT 1"),
    security_definer=True,
)

ADVANCE_QUEST = declare_function(
    "advance_quest",
    """
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    RETURN update_quest_progress(p_user_id, p_quest_id, 1);
END;
""",
    returns="user_quest_progress",
    parameters=("p_user_id uuid", "p_quest_id uuid"),
    security_definer=True,
)

CLAIM_QUEST_REWARDS = declare_function(
    "claim_quest_rewards",
    """
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
""",
    returns="user_quest_progress",
    parameters=("p_user_id uuid", "p_quest_id uuid"),
    security_definer=True,
)

USER_AVAILABLE_QUESTS = declare_view(
    "user_available_quests",
    """
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
WHERE q.is_active
""",
)

QUEST_COMPLETION_STATS = declare_view(
    "quest_completion_stats",
    """
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
GROUP BY q.id
""",
)


class UserAvailableQuest(ViewBase):
    """Read-only row of ``user_available_quests``: every active universal quest for every user,
    with that user's progress (filter it by ``user_id``)."""

    __tablename__ = "user_available_quests"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quest_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str]
    description: Mapped[str | None]
    type: Mapped[QuestCadence] = mapped_column(QUEST_CADENCE)
    target: Mapped[int]
    xp_reward: Mapped[int]
    coin_reward: Mapped[int]
    status: Mapped[QuestStatus] = mapped_column(QUEST_STATUS)
    progress: Mapped[int]
    rewards_claimed: Mapped[bool]


class QuestCompletionStats(ViewBase):
    """Read-only row of ``quest_completion_stats``."""

    __tablename__ = "quest_completion_stats"

    quest_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str]
    type: Mapped[QuestCadence] = mapped_column(QUEST_CADENCE)
    accepted_count: Mapped[int]
    completed_count: Mapped[int]
    claimed_count: Mapped[int]
    completion_rate: Mapped[Decimal] = mapped_column(Numeric)
