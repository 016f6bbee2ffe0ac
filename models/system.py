"""System (revision 0018): feedback, notifications, the admin audit log, access requests,
and D1's key/value metadata."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, func, text
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
from models.enums import AccessRequestStatus, FeedbackStatus, sa_enum

FEEDBACK_STATUS = sa_enum(FeedbackStatus, "feedback_status")
ACCESS_REQUEST_STATUS = sa_enum(AccessRequestStatus, "access_request_status")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    type: Mapped[str]
    message: Mapped[str]
    page_url: Mapped[str | None]
    user_agent: Mapped[str | None]
    status: Mapped[FeedbackStatus] = mapped_column(
        FEEDBACK_STATUS, server_default=FeedbackStatus.NEW.value, index=True
    )
    created_at: Mapped[CreatedAt]


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("notifications_unread_user_id_idx", "user_id", postgresql_where=text("NOT is_read")),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    type: Mapped[str]
    title: Mapped[str]
    message: Mapped[str | None]
    data: Mapped[JSONDict | None]
    is_read: Mapped[FalseByDefault]
    created_at: Mapped[CreatedAt]


class AdminAuditLog(Base):
    """What admins did. As in D1, an admin's entries go when the admin's account is deleted."""

    __tablename__ = "admin_audit_log"
    __table_args__ = (Index(None, "target_type", "target_id"),)

    id: Mapped[UUIDPk]
    admin_id: Mapped[uuid.UUID] = mapped_column(index=True)
    action: Mapped[str]
    target_type: Mapped[str | None]
    target_id: Mapped[str | None]
    """Any kind of id (user, item, quest...): text, not a foreign key."""
    details: Mapped[JSONDict | None]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class AccessRequest(Base):
    __tablename__ = "access_requests"
    __table_args__ = (Index("access_requests_email_lower_idx", func.lower(text("email"))),)

    id: Mapped[UUIDPk]
    email: Mapped[str]
    name: Mapped[str | None]
    reason: Mapped[str | None]
    status: Mapped[AccessRequestStatus] = mapped_column(
        ACCESS_REQUEST_STATUS, server_default=AccessRequestStatus.PENDING.value, index=True
    )
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]


class DbMetadata(Base):
    """Key/value facts about the database (D1 kept its schema version here)."""

    __tablename__ = "db_metadata"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]
    updated_at: Mapped[UpdatedAt]
