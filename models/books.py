"""Books and reading sessions (revision 0011)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAt, OwnerKey, UpdatedAt, UUIDPk, ZeroByDefault
from models.enums import BookStatus, sa_enum

BOOK_STATUS = sa_enum(BookStatus, "book_status")


class Book(Base):
    __tablename__ = "books"
    __table_args__ = (
        CheckConstraint("total_pages > 0", name="total_pages_positive"),
        CheckConstraint("current_page >= 0", name="current_page_non_negative"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str]
    author: Mapped[str | None]
    total_pages: Mapped[int | None]
    current_page: Mapped[ZeroByDefault]
    status: Mapped[BookStatus] = mapped_column(BOOK_STATUS, server_default=BookStatus.READING.value)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    notes: Mapped[str | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    reading_sessions: Mapped[list[ReadingSession]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class ReadingSession(Base):
    __tablename__ = "reading_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["book_id", "user_id"], ["books.id", "books.user_id"], ondelete="CASCADE"
        ),
        CheckConstraint("pages_read >= 0", name="pages_read_non_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_minutes_positive"),
    )

    id: Mapped[UUIDPk]
    book_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[OwnerKey]
    pages_read: Mapped[int]
    duration_minutes: Mapped[int | None]
    started_at: Mapped[datetime]
    notes: Mapped[str | None]
