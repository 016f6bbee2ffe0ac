"""Python mirrors of the PostgreSQL ENUM types, labels in the type's order.

Each ``sa_enum(...)`` column type is bound to the named PostgreSQL type the revisions create;
alembic-postgresql-enum compares the labels, so a label added here without a revision
(``ALTER TYPE ... ADD VALUE``) fails the drift check.
"""

from __future__ import annotations

import enum

from sqlalchemy.dialects.postgresql import ENUM


class FocusMode(enum.StrEnum):
    FOCUS = "focus"
    BREAK = "break"
    LONG_BREAK = "long_break"


class FocusStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    PAUSED = "paused"


class HabitFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


class GoalStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    PAUSED = "paused"
    ABANDONED = "abandoned"


class QuestDifficulty(enum.StrEnum):
    STARTER = "starter"
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    EPIC = "epic"


class QuestStatus(enum.StrEnum):
    AVAILABLE = "available"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EXPIRED = "expired"


class QuestCadence(enum.StrEnum):
    """How often a universal quest resets (D1 ``universal_quests.type``)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONE_TIME = "one_time"


class CalendarEventType(enum.StrEnum):
    GENERAL = "general"
    MEETING = "meeting"
    WORKOUT = "workout"
    REMINDER = "reminder"
    FOCUS = "focus"
    LEARNING = "learning"


class MarketCategory(enum.StrEnum):
    THEMES = "themes"
    BOOSTS = "boosts"
    TREATS = "treats"
    BADGES = "badges"
    COSMETICS = "cosmetics"


def sa_enum(python_enum: type[enum.StrEnum], name: str) -> ENUM:
    """The column type for ``python_enum``, stored by value under the PostgreSQL type ``name``."""
    return ENUM(
        python_enum,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        create_type=False,
    )
