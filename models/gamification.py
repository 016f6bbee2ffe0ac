"""Gamification (revision 0002): skills, achievements, the wallet and its ledger, streaks.

Money and progress move only through the functions in ``gamification_sql``; every movement
is a ``points_ledger`` row, and for every user ``user_wallet.coins``/``xp`` equal the sums of
that user's ledger rows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.auth import User
from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    JSONDict,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)


class SkillDefinition(Base):
    __tablename__ = "skill_definitions"
    __table_args__ = (
        CheckConstraint("max_level >= 1", name="max_level_positive"),
        CheckConstraint("stars_per_level >= 1", name="stars_per_level_positive"),
    )

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    icon: Mapped[str | None]
    max_level: Mapped[int] = mapped_column(server_default=text("10"))
    stars_per_level: Mapped[int] = mapped_column(server_default=text("10"))
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class UserSkill(Base):
    __tablename__ = "user_skills"
    __table_args__ = (
        UniqueConstraint("user_id", "skill_key"),
        CheckConstraint("current_stars >= 0", name="current_stars_non_negative"),
        CheckConstraint("current_level >= 0", name="current_level_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill_key: Mapped[str] = mapped_column(
        ForeignKey("skill_definitions.key", onupdate="CASCADE"), index=True
    )
    current_stars: Mapped[ZeroByDefault]
    current_level: Mapped[ZeroByDefault]
    updated_at: Mapped[UpdatedAt]


class AchievementDefinition(Base):
    __tablename__ = "achievement_definitions"
    __table_args__ = (
        CheckConstraint("reward_coins >= 0", name="reward_coins_non_negative"),
        CheckConstraint("reward_xp >= 0", name="reward_xp_non_negative"),
    )

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    icon: Mapped[str | None]
    trigger_type: Mapped[str]
    trigger_config: Mapped[JSONDict | None]
    reward_coins: Mapped[ZeroByDefault]
    reward_xp: Mapped[ZeroByDefault]
    is_hidden: Mapped[FalseByDefault]
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class UserAchievement(Base):
    __tablename__ = "user_achievements"
    __table_args__ = (UniqueConstraint("user_id", "achievement_key"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_key: Mapped[str] = mapped_column(
        ForeignKey("achievement_definitions.key", onupdate="CASCADE"), index=True
    )
    earned_at: Mapped[datetime] = mapped_column(server_default=func.now())
    notified: Mapped[FalseByDefault]


class UserProgress(Base):
    """Lifetime activity counters per user, kept by the completion functions
    (focus sessions, habits, quests). PostgreSQL-only: D1 derived these on the fly."""

    __tablename__ = "user_progress"
    __table_args__ = (
        CheckConstraint(
            "focus_sessions_completed >= 0 AND focus_minutes >= 0 AND habits_completed >= 0 "
            "AND quests_completed >= 0 AND goals_completed >= 0",
            name="counters_non_negative",
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, primary_key=True
    )
    focus_sessions_completed: Mapped[ZeroByDefault]
    focus_minutes: Mapped[ZeroByDefault]
    habits_completed: Mapped[ZeroByDefault]
    quests_completed: Mapped[ZeroByDefault]
    goals_completed: Mapped[ZeroByDefault]
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class UserWallet(Base):
    """Coins and XP. ``xp`` is lifetime XP; ``xp_to_next_level`` is the lifetime XP at which
    ``level`` next rises (each level needs 100 * level more)."""

    __tablename__ = "user_wallet"
    __table_args__ = (
        CheckConstraint("coins >= 0", name="coins_non_negative"),
        CheckConstraint("xp >= 0", name="xp_non_negative"),
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("total_skill_stars >= 0", name="total_skill_stars_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, primary_key=True
    )
    coins: Mapped[ZeroByDefault]
    xp: Mapped[ZeroByDefault]
    level: Mapped[int] = mapped_column(server_default=text("1"))
    xp_to_next_level: Mapped[int] = mapped_column(server_default=text("100"))
    total_skill_stars: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    user: Mapped[User] = relationship()


class PointsLedger(Base):
    """One row per movement of coins, XP or skill stars (spending is negative coins)."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        Index(None, "event_type", "event_id"),
        # A user's keys: one user's key never blocks another's (revisions 0022, 0023).
        Index(
            "points_ledger_user_id_idempotency_key_key", "user_id", "idempotency_key", unique=True
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    event_type: Mapped[str]
    event_id: Mapped[uuid.UUID | None]
    coins: Mapped[ZeroByDefault]
    xp: Mapped[ZeroByDefault]
    skill_stars: Mapped[ZeroByDefault]
    skill_key: Mapped[str | None]
    reason: Mapped[str | None]
    idempotency_key: Mapped[str | None]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class UserStreak(Base):
    __tablename__ = "user_streaks"
    __table_args__ = (
        UniqueConstraint("user_id", "streak_type"),
        CheckConstraint("current_streak >= 0", name="current_streak_non_negative"),
        CheckConstraint("longest_streak >= 0", name="longest_streak_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    streak_type: Mapped[str]
    current_streak: Mapped[ZeroByDefault]
    longest_streak: Mapped[ZeroByDefault]
    last_activity_date: Mapped[date | None]
    updated_at: Mapped[UpdatedAt]
