"""Quests (revision 0005): the shared universal quests with each user's progress on them,
the per-user quests of D1's ``quests`` table, and (revision 0025) ``quest_templates``, the
global quests that had no user (a reference table on Citus, read-only for the app)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    OwnerKey,
    TrueByDefault,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)
from models.enums import QuestCadence, QuestDifficulty, QuestStatus, sa_enum

QUEST_DIFFICULTY = sa_enum(QuestDifficulty, "quest_difficulty")
QUEST_STATUS = sa_enum(QuestStatus, "quest_status")
QUEST_CADENCE = sa_enum(QuestCadence, "quest_cadence")


class UniversalQuest(Base):
    __tablename__ = "universal_quests"
    __table_args__ = (
        CheckConstraint("xp_reward >= 0 AND coin_reward >= 0", name="rewards_non_negative"),
        CheckConstraint("target >= 1", name="target_positive"),
    )

    id: Mapped[UUIDPk]
    title: Mapped[str]
    description: Mapped[str | None]
    type: Mapped[QuestCadence] = mapped_column(
        QUEST_CADENCE, server_default=QuestCadence.DAILY.value, index=True
    )
    xp_reward: Mapped[int] = mapped_column(server_default=text("10"))
    coin_reward: Mapped[int] = mapped_column(server_default=text("5"))
    target: Mapped[int] = mapped_column(server_default=text("1"))
    skill_id: Mapped[str | None]
    """A skill key (``skill_definitions.key``); D1 kept it unconstrained and so do we."""
    is_active: Mapped[TrueByDefault] = mapped_column(index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class UserQuestProgress(Base):
    __tablename__ = "user_quest_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "quest_id"),
        CheckConstraint("progress >= 0", name="progress_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quest_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("universal_quests.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[QuestStatus] = mapped_column(
        QUEST_STATUS, server_default=QuestStatus.AVAILABLE.value
    )
    progress: Mapped[ZeroByDefault]
    completed: Mapped[FalseByDefault]
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    rewards_claimed_at: Mapped[datetime | None]
    """Set once by ``claim_quest_rewards``; PostgreSQL-only (D1 had no claim marker)."""
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    quest: Mapped[UniversalQuest] = relationship()


class Quest(Base):
    __tablename__ = "quests"
    __table_args__ = (
        CheckConstraint("xp_reward >= 0", name="xp_reward_non_negative"),
        CheckConstraint("coin_reward >= 0", name="coin_reward_non_negative"),
        CheckConstraint("streak_count >= 0", name="streak_count_non_negative"),
        Index("quests_universal_idx", "is_universal", postgresql_where=text("is_universal = true")),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    difficulty: Mapped[QuestDifficulty] = mapped_column(
        QUEST_DIFFICULTY, server_default=QuestDifficulty.STARTER.value
    )
    xp_reward: Mapped[int] = mapped_column(server_default=text("10"))
    coin_reward: Mapped[int] = mapped_column(server_default=text("5"))
    is_universal: Mapped[FalseByDefault]
    is_active: Mapped[TrueByDefault]
    status: Mapped[QuestStatus] = mapped_column(
        QUEST_STATUS, server_default=QuestStatus.AVAILABLE.value, index=True
    )
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    is_repeatable: Mapped[FalseByDefault]
    repeat_frequency: Mapped[str | None]
    last_completed_date: Mapped[date | None]
    streak_count: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class QuestTemplate(Base):
    """A global quest (revision 0025): the columns of ``quests`` without the per-user state.
    The rows of ``quests`` without a user moved here (revision 0026); the starter quests are
    seeded here."""

    __tablename__ = "quest_templates"
    __table_args__ = (
        CheckConstraint("xp_reward >= 0", name="xp_reward_non_negative"),
        CheckConstraint("coin_reward >= 0", name="coin_reward_non_negative"),
    )

    id: Mapped[UUIDPk]
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    difficulty: Mapped[QuestDifficulty] = mapped_column(
        QUEST_DIFFICULTY, server_default=QuestDifficulty.STARTER.value
    )
    xp_reward: Mapped[int] = mapped_column(server_default=text("10"))
    coin_reward: Mapped[int] = mapped_column(server_default=text("5"))
    is_universal: Mapped[FalseByDefault]
    is_active: Mapped[TrueByDefault]
    expires_at: Mapped[datetime | None]
    is_repeatable: Mapped[FalseByDefault]
    repeat_frequency: Mapped[str | None]
    created_at: Mapped[CreatedAt]
