"""Content (revision 0017): ignition packs, DAW shortcuts, glossary, recipe templates (reference
data), the infobase, and users' ideas."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)


class IgnitionPack(Base):
    """A short list of starter actions ("Focus Prep", "Movement Break")."""

    __tablename__ = "ignition_packs"

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    items: Mapped[list[str]]
    icon: Mapped[str | None]
    sort_order: Mapped[ZeroByDefault]
    created_at: Mapped[CreatedAt]


class DawShortcut(Base):
    __tablename__ = "daw_shortcuts"
    __table_args__ = (Index(None, "daw", "category"),)

    id: Mapped[UUIDPk]
    daw: Mapped[str]
    category: Mapped[str]
    action: Mapped[str]
    shortcut_mac: Mapped[str | None]
    shortcut_win: Mapped[str | None]
    description: Mapped[str | None]
    sort_order: Mapped[ZeroByDefault]


class GlossaryTerm(Base):
    __tablename__ = "glossary_terms"

    id: Mapped[UUIDPk]
    term: Mapped[str] = mapped_column(unique=True)
    definition: Mapped[str]
    category: Mapped[str | None]
    related_terms: Mapped[list[str] | None]
    """D1 kept a comma-separated list."""
    created_at: Mapped[CreatedAt]


class RecipeTemplate(Base):
    __tablename__ = "recipe_templates"

    id: Mapped[UUIDPk]
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str]
    genre: Mapped[str | None]
    steps: Mapped[list[Any]]
    tips: Mapped[str | None]
    created_at: Mapped[CreatedAt]


class InfobaseEntry(Base):
    """Knowledge-base articles: public ones without an owner, users' private notes with one."""

    __tablename__ = "infobase_entries"

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    title: Mapped[str]
    content: Mapped[str]
    category: Mapped[str | None]
    tags: Mapped[list[str] | None]
    is_public: Mapped[FalseByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Idea(Base):
    __tablename__ = "ideas"

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    content: Mapped[str]
    category: Mapped[str | None]
    tags: Mapped[list[str] | None]
    is_favorite: Mapped[FalseByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
