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


class ExerciseCategory(enum.StrEnum):
    STRENGTH = "strength"
    CARDIO = "cardio"
    FLEXIBILITY = "flexibility"
    BALANCE = "balance"
    PLYOMETRIC = "plyometric"
    OTHER = "other"


class TrainingDifficulty(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class BookStatus(enum.StrEnum):
    WANT_TO_READ = "want_to_read"
    READING = "reading"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class LearnDifficulty(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class LessonStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class TrackVisibility(enum.StrEnum):
    PRIVATE = "private"
    SHARED = "shared"
    PUBLIC = "public"


class NudgeIntensity(enum.StrEnum):
    GENTLE = "gentle"
    STANDARD = "standard"
    ENERGETIC = "energetic"


class GamificationVisibility(enum.StrEnum):
    ALWAYS = "always"
    SUBTLE = "subtle"
    HIDDEN = "hidden"


class ThemePreference(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


class PlannerMode(enum.StrEnum):
    COLLAPSED = "collapsed"
    EXPANDED = "expanded"


class OnboardingStepType(enum.StrEnum):
    EXPLAIN = "explain"
    CHOICE = "choice"
    PREFERENCE = "preference"
    TOUR = "tour"
    ACTION = "action"


class OnboardingStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class FeedbackStatus(enum.StrEnum):
    NEW = "new"
    REVIEWED = "reviewed"
    RESOLVED = "resolved"
    CLOSED = "closed"


class AccessRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def sa_enum(python_enum: type[enum.StrEnum], name: str) -> ENUM:
    """The column type for ``python_enum``, stored by value under the PostgreSQL type ``name``."""
    return ENUM(
        python_enum,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        create_type=False,
    )
