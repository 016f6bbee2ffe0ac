"""Goals and their milestones (revision 0004). ``goals.progress`` is a percentage that
``update_goal_progress`` derives from the milestones."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)
from models.enums import GoalStatus, sa_enum

GOAL_STATUS = sa_enum(GoalStatus, "goal_status")


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percentage"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str | None]
    target_date: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(GOAL_STATUS, server_default=GoalStatus.ACTIVE.value)
    progress: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    milestones: Mapped[list[GoalMilestone]] = relationship(
        back_populates="goal",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="GoalMilestone.sort_order",
    )


class GoalMilestone(Base):
    __tablename__ = "goal_milestones"
    __table_args__ = (
        ForeignKeyConstraint(
            ["goal_id", "user_id"], ["goals.id", "goals.user_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    goal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str]
    is_completed: Mapped[FalseByDefault]
    completed_at: Mapped[datetime | None]
    sort_order: Mapped[ZeroByDefault]

    goal: Mapped[Goal] = relationship(back_populates="milestones")
