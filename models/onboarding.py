"""Onboarding (revision 0016): flows, their steps, and each user's place in a flow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAt, FalseByDefault, JSONDict, UpdatedAt, UUIDPk
from models.enums import OnboardingStatus, OnboardingStepType, sa_enum

ONBOARDING_STEP_TYPE = sa_enum(OnboardingStepType, "onboarding_step_type")
ONBOARDING_STATUS = sa_enum(OnboardingStatus, "onboarding_status")


class OnboardingFlow(Base):
    __tablename__ = "onboarding_flows"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("total_steps >= 0", name="total_steps_non_negative"),
    )

    id: Mapped[UUIDPk]
    version: Mapped[int]
    name: Mapped[str]
    description: Mapped[str | None]
    is_active: Mapped[FalseByDefault]
    total_steps: Mapped[int]
    created_at: Mapped[CreatedAt]

    steps: Mapped[list[OnboardingStep]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OnboardingStep.step_order"
    )


class OnboardingStep(Base):
    __tablename__ = "onboarding_steps"
    __table_args__ = (
        UniqueConstraint("flow_id", "step_order"),
        CheckConstraint("step_order >= 1", name="step_order_positive"),
    )

    id: Mapped[UUIDPk]
    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("onboarding_flows.id", ondelete="CASCADE")
    )
    step_order: Mapped[int]
    step_type: Mapped[OnboardingStepType] = mapped_column(ONBOARDING_STEP_TYPE)
    title: Mapped[str]
    description: Mapped[str | None]
    target_selector: Mapped[str | None]
    target_route: Mapped[str | None]
    fallback_content: Mapped[str | None]
    options: Mapped[Any | None] = mapped_column(JSONB)
    """A JSON list of choices, or an object with ``options`` and ``default``."""
    allows_multiple: Mapped[FalseByDefault]
    required: Mapped[FalseByDefault]
    action_type: Mapped[str | None]
    action_config: Mapped[JSONDict | None]


class UserOnboardingState(Base):
    __tablename__ = "user_onboarding_state"

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, primary_key=True
    )
    flow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboarding_flows.id"), index=True)
    current_step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("onboarding_steps.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OnboardingStatus] = mapped_column(
        ONBOARDING_STATUS, server_default=OnboardingStatus.NOT_STARTED.value
    )
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]
    last_step_completed_at: Mapped[datetime | None]
    responses: Mapped[JSONDict | None]
    can_resume: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
