"""Habits and their completion logs (revision 0004)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAt, OwnerKey, TrueByDefault, UpdatedAt, UUIDPk
from models.enums import HabitFrequency, sa_enum

HABIT_FREQUENCY = sa_enum(HabitFrequency, "habit_frequency")


class Habit(Base):
    __tablename__ = "habits"
    __table_args__ = (
        CheckConstraint("target_count >= 1", name="target_count_positive"),
        Index("habits_active_user_id_idx", "user_id", postgresql_where=text("is_active = true")),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    name: Mapped[str]
    description: Mapped[str | None]
    frequency: Mapped[HabitFrequency] = mapped_column(
        HABIT_FREQUENCY, server_default=HabitFrequency.DAILY.value
    )
    target_count: Mapped[int] = mapped_column(server_default=text("1"))
    """Completions per day that count; more on the same day are not counted again. Set when
    the habit is created: the app may not change it afterwards (farming)."""
    icon: Mapped[str | None]
    color: Mapped[str | None]
    is_active: Mapped[TrueByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    logs: Mapped[list[HabitLog]] = relationship(
        back_populates="habit", cascade="all, delete-orphan", passive_deletes=True
    )


class HabitLog(Base):
    __tablename__ = "habit_logs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["habit_id", "user_id"], ["habits.id", "habits.user_id"], ondelete="CASCADE"
        ),
        Index(None, "habit_id", "completed_at"),
    )

    id: Mapped[UUIDPk]
    habit_id: Mapped[uuid.UUID]
    user_id: Mapped[OwnerKey]
    completed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    notes: Mapped[str | None]

    habit: Mapped[Habit] = relationship(back_populates="logs")
