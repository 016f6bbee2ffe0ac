"""Focus sessions (revision 0003). A user has at most one session in progress (active or
paused): the partial unique index ``focus_sessions_one_in_progress_key`` says so. The app
reads both tables; only the focus functions write them (start, pause, resume, abandon,
complete: ``models.focus_sql``), so a session cannot be backdated to pay early."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, OwnerKey, UpdatedAt, UUIDPk, ZeroByDefault
from models.enums import FocusMode, FocusStatus, sa_enum

FOCUS_MODE = sa_enum(FocusMode, "focus_mode")
FOCUS_STATUS = sa_enum(FocusStatus, "focus_status")


class FocusSession(Base):
    __tablename__ = "focus_sessions"
    __table_args__ = (
        CheckConstraint("duration > 0", name="duration_positive"),
        CheckConstraint("paused_remaining >= 0", name="paused_remaining_non_negative"),
        CheckConstraint("xp_awarded >= 0 AND coins_awarded >= 0", name="awards_non_negative"),
        Index(
            "focus_sessions_one_in_progress_key",
            "user_id",
            unique=True,
            postgresql_where=text("status IN ('active', 'paused')"),
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    mode: Mapped[FocusMode] = mapped_column(FOCUS_MODE, server_default=FocusMode.FOCUS.value)
    duration: Mapped[int]
    """Planned length in seconds."""
    started_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    paused_remaining: Mapped[int | None]
    expires_at: Mapped[datetime | None]
    status: Mapped[FocusStatus] = mapped_column(
        FOCUS_STATUS, server_default=FocusStatus.ACTIVE.value, index=True
    )
    xp_awarded: Mapped[ZeroByDefault]
    coins_awarded: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class FocusPauseState(Base):
    """A paused timer's state, as D1 kept it beside the session."""

    __tablename__ = "focus_pause_state"
    __table_args__ = (CheckConstraint("time_remaining >= 0", name="time_remaining_non_negative"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    mode: Mapped[FocusMode] = mapped_column(FOCUS_MODE, server_default=FocusMode.FOCUS.value)
    time_remaining: Mapped[ZeroByDefault]
    paused_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
