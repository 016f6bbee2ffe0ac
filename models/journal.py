"""Journal entries (revision 0013)."""

from __future__ import annotations

from sqlalchemy.orm import Mapped

from models.base import Base, CreatedAt, OwnerKey, UpdatedAt, UUIDPk


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str | None]
    content: Mapped[str]
    mood: Mapped[str | None]
    tags: Mapped[list[str] | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
