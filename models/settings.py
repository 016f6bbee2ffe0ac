"""Settings and personalization (revision 0015)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UpdatedAt, UUIDPk
from models.enums import (
    GamificationVisibility,
    NudgeIntensity,
    PlannerMode,
    ThemePreference,
    sa_enum,
)

NUDGE_INTENSITY = sa_enum(NudgeIntensity, "nudge_intensity")
GAMIFICATION_VISIBILITY = sa_enum(GamificationVisibility, "gamification_visibility")
THEME_PREFERENCE = sa_enum(ThemePreference, "theme_preference")
PLANNER_MODE = sa_enum(PlannerMode, "planner_mode")


class UserSettings(Base):
    __tablename__ = "user_settings"
    __table_args__ = (
        CheckConstraint("default_focus_duration > 0", name="default_focus_duration_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, primary_key=True
    )
    nudge_intensity: Mapped[NudgeIntensity | None] = mapped_column(
        NUDGE_INTENSITY, server_default=NudgeIntensity.STANDARD.value
    )
    default_focus_duration: Mapped[int | None] = mapped_column(server_default=text("300"))
    """Seconds."""
    gamification_visible: Mapped[GamificationVisibility | None] = mapped_column(
        GAMIFICATION_VISIBILITY, server_default=GamificationVisibility.ALWAYS.value
    )
    planner_mode: Mapped[PlannerMode | None] = mapped_column(
        PLANNER_MODE, server_default=PlannerMode.COLLAPSED.value
    )
    theme: Mapped[ThemePreference | None] = mapped_column(
        THEME_PREFERENCE, server_default=ThemePreference.SYSTEM.value
    )
    notifications_enabled: Mapped[bool | None] = mapped_column(server_default=text("true"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class UserInterest(Base):
    __tablename__ = "user_interests"
    __table_args__ = (
        UniqueConstraint("user_id", "interest_key"),
        CheckConstraint("priority >= 1", name="priority_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    interest_key: Mapped[str]
    priority: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[CreatedAt]


class UserUiModule(Base):
    __tablename__ = "user_ui_modules"
    __table_args__ = (
        UniqueConstraint("user_id", "module_key"),
        CheckConstraint("weight BETWEEN 0 AND 100", name="weight_range"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    module_key: Mapped[str]
    weight: Mapped[int] = mapped_column(server_default=text("50"))
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    last_shown_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
