"""Learning (revision 0012): topics, lessons and ear-training drills (reference data), each
user's progress on them, and users' flashcard decks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    JSONDict,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)
from models.enums import LearnDifficulty, LessonStatus, sa_enum

LEARN_DIFFICULTY = sa_enum(LearnDifficulty, "learn_difficulty")
LESSON_STATUS = sa_enum(LessonStatus, "lesson_status")


class LearnTopic(Base):
    __tablename__ = "learn_topics"

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    icon: Mapped[str | None]
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class LearnLesson(Base):
    __tablename__ = "learn_lessons"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_minutes_positive"),
        CheckConstraint(
            "xp_reward >= 0 AND coin_reward >= 0 AND skill_star_reward >= 0",
            name="rewards_non_negative",
        ),
    )

    id: Mapped[UUIDPk]
    topic_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learn_topics.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    description: Mapped[str | None]
    content_markdown: Mapped[str | None]
    duration_minutes: Mapped[int] = mapped_column(server_default=text("5"))
    difficulty: Mapped[LearnDifficulty] = mapped_column(
        LEARN_DIFFICULTY, server_default=LearnDifficulty.BEGINNER.value
    )
    quiz: Mapped[list[Any] | None]
    xp_reward: Mapped[int] = mapped_column(server_default=text("15"))
    coin_reward: Mapped[int] = mapped_column(server_default=text("5"))
    skill_key: Mapped[str | None]
    skill_star_reward: Mapped[int | None] = mapped_column(server_default=text("1"))
    audio_r2_key: Mapped[str | None]
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class LearnDrill(Base):
    __tablename__ = "learn_drills"
    __table_args__ = (
        CheckConstraint("duration_seconds > 0", name="duration_seconds_positive"),
        CheckConstraint("xp_reward >= 0", name="xp_reward_non_negative"),
    )

    id: Mapped[UUIDPk]
    topic_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learn_topics.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    description: Mapped[str | None]
    drill_type: Mapped[str]
    config: Mapped[JSONDict]
    difficulty: Mapped[LearnDifficulty] = mapped_column(
        LEARN_DIFFICULTY, server_default=LearnDifficulty.BEGINNER.value
    )
    duration_seconds: Mapped[int] = mapped_column(server_default=text("120"))
    xp_reward: Mapped[int] = mapped_column(server_default=text("5"))
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class UserLessonProgress(Base):
    __tablename__ = "user_lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        CheckConstraint("quiz_score BETWEEN 0 AND 100", name="quiz_score_percentage"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learn_lessons.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[LessonStatus] = mapped_column(
        LESSON_STATUS, server_default=LessonStatus.NOT_STARTED.value
    )
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    quiz_score: Mapped[int | None]
    attempts: Mapped[ZeroByDefault]


class UserDrillStats(Base):
    __tablename__ = "user_drill_stats"
    __table_args__ = (
        UniqueConstraint("user_id", "drill_id"),
        CheckConstraint(
            "attempts >= 0 AND correct >= 0 AND streak >= 0 AND best_streak >= 0",
            name="counters_non_negative",
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    drill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learn_drills.id", ondelete="CASCADE"), index=True
    )
    attempts: Mapped[ZeroByDefault]
    correct: Mapped[ZeroByDefault]
    streak: Mapped[ZeroByDefault]
    best_streak: Mapped[ZeroByDefault]
    last_attempted_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]


class FlashcardDeck(Base):
    __tablename__ = "flashcard_decks"
    __table_args__ = (CheckConstraint("card_count >= 0", name="card_count_non_negative"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str | None]
    card_count: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    cards: Mapped[list[Flashcard]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class Flashcard(Base):
    """A card with its spaced-repetition (SM-2) state."""

    __tablename__ = "flashcards"
    __table_args__ = (
        ForeignKeyConstraint(
            ["deck_id", "user_id"],
            ["flashcard_decks.id", "flashcard_decks.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("ease_factor > 0", name="ease_factor_positive"),
        CheckConstraint("interval >= 0", name="interval_non_negative"),
        CheckConstraint("review_count >= 0", name="review_count_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    deck_id: Mapped[uuid.UUID] = mapped_column(index=True)
    front: Mapped[str]
    back: Mapped[str]
    ease_factor: Mapped[float] = mapped_column(server_default=text("2.5"))
    interval: Mapped[ZeroByDefault]
    """Days until the next review."""
    next_review: Mapped[datetime | None]
    review_count: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]
