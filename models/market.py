"""The market (revision 0007): items bought with coins, and what users bought."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAt, OwnerKey, TrueByDefault, UUIDPk, ZeroByDefault
from models.enums import MarketCategory, sa_enum

MARKET_CATEGORY = sa_enum(MarketCategory, "market_category")


class MarketItem(Base):
    __tablename__ = "market_items"
    __table_args__ = (
        CheckConstraint("cost_coins >= 0", name="cost_coins_non_negative"),
        Index("market_items_active_idx", "is_active", postgresql_where=text("is_active = true")),
    )

    id: Mapped[UUIDPk]
    key: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[MarketCategory] = mapped_column(MARKET_CATEGORY, index=True)
    cost_coins: Mapped[int]
    icon: Mapped[str | None]
    is_global: Mapped[TrueByDefault]
    is_available: Mapped[TrueByDefault]
    is_active: Mapped[TrueByDefault]
    is_consumable: Mapped[TrueByDefault]
    """A consumable can be bought again; anything else once per user."""
    sort_order: Mapped[ZeroByDefault]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[CreatedAt]


class UserPurchase(Base):
    __tablename__ = "user_purchases"
    __table_args__ = (
        CheckConstraint("cost_coins >= 0", name="cost_coins_non_negative"),
        Index(
            "user_purchases_unredeemed_user_id_idx",
            "user_id",
            postgresql_where=text("redeemed_at IS NULL"),
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("market_items.id"), index=True)
    cost_coins: Mapped[int]
    """What the user paid (prices change; the ledger row says the same)."""
    purchased_at: Mapped[datetime] = mapped_column(server_default=func.now())
    redeemed_at: Mapped[datetime | None]

    item: Mapped[MarketItem] = relationship()
