"""Planning (revision 0006): calendar events, daily plans and plan templates.

``calendar_events.workout_id`` exists from 0006; its foreign key to ``workouts`` (and its
index) came with revision 0008, which creates ``workouts``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    JSONDict,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
)
from models.enums import CalendarEventType, sa_enum

CALENDAR_EVENT_TYPE = sa_enum(CalendarEventType, "calendar_event_type")


class CalendarEvent(Base):
    __tablename__ = "calendar_events"
    __table_args__ = (
        ForeignKeyConstraint(["workout_id", "user_id"], ["workouts.id", "workouts.user_id"]),
        ForeignKeyConstraint(
            ["parent_event_id", "user_id"],
            ["calendar_events.id", "calendar_events.user_id"],
            ondelete="CASCADE",
        ),
        Index(None, "user_id", "start_time", "end_time"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str]
    description: Mapped[str | None]
    event_type: Mapped[CalendarEventType] = mapped_column(
        CALENDAR_EVENT_TYPE, server_default=CalendarEventType.GENERAL.value
    )
    start_time: Mapped[datetime] = mapped_column(index=True)
    end_time: Mapped[datetime | None]
    all_day: Mapped[FalseByDefault]
    location: Mapped[str | None]
    workout_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    """Foreign key and index added by revision 0008, with the ``workouts`` table."""
    recurrence_rule: Mapped[str | None]
    """An RFC 5545 RRULE."""
    recurrence_end: Mapped[datetime | None]
    parent_event_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    color: Mapped[str | None]
    reminder_minutes: Mapped[int | None]
    event_metadata: Mapped[JSONDict | None] = mapped_column("metadata")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class DailyPlan(Base):
    __tablename__ = "daily_plans"
    __table_args__ = (UniqueConstraint("user_id", "date"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[date]
    items: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    notes: Mapped[str | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class PlanTemplate(Base):
    __tablename__ = "plan_templates"

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str]
    description: Mapped[str | None]
    items: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    is_public: Mapped[FalseByDefault]
    category: Mapped[str | None]
    created_at: Mapped[CreatedAt]
