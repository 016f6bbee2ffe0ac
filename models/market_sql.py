"""Functions and views of the market (revision 0007).

- ``purchase_item`` spends the item's price through ``spend_coins`` (keyed by the new
  purchase id) and records the purchase in one transaction; too few coins raises
  "insufficient coins" (P0001) and records nothing. Parallel purchases serialize on the wallet
  row, so a wallet that affords k items buys exactly k. A non-consumable item is bought once
  (P0001 "already owned" after that); an inactive or unavailable item cannot be bought.
- ``redeem_purchase`` marks the user's purchase redeemed, once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ViewBase
from models.enums import MarketCategory
from models.market import MARKET_CATEGORY
from models.sql import declare_function, declare_view

PURCHASE_ITEM = declare_function(
    "purchase_item",
    """
DECLARE
    v_item market_items;
    v_purchase_id uuid := gen_random_uuid();
    v_purchase user_purchases;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_item FROM market_items WHERE id = p_item_id;
    IF NOT FOUND OR NOT v_item.is_active OR NOT v_item.is_available THEN
        RAISE EXCEPTION 'market item % is not available', p_item_id
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM spend_coins(p_user_id, v_item.cost_coins, 'purchase: ' || v_item.name,
                        'purchase/' || v_purchase_id, 'purchase', v_purchase_id);
    IF NOT v_item.is_consumable AND EXISTS (
        SELECT 1 FROM user_purchases WHERE user_id = p_user_id AND item_id = p_item_id
    ) THEN
        RAISE EXCEPTION 'user % already owns market item %', p_user_id, v_item.key
            USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO user_purchases (id, user_id, item_id, cost_coins)
    VALUES (v_purchase_id, p_user_id, p_item_id, v_item.cost_coins)
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
""",
    returns="user_purchases",
    parameters=("p_user_id uuid", "p_item_id uuid"),
    security_definer=True,
)

REDEEM_PURCHASE = declare_function(
    "redeem_purchase",
    """
DECLARE
    v_purchase user_purchases;
BEGIN
    IF NOT app_may_act_for(p_user_id) THEN
        RAISE EXCEPTION 'not allowed to act for user %', p_user_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set app.user_id to this user, or app.service_context for service work.';
    END IF;
    SELECT * INTO v_purchase FROM user_purchases
    WHERE id = p_purchase_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'purchase % not found for user %', p_purchase_id, p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_purchase.redeemed_at IS NOT NULL THEN
        RAISE EXCEPTION 'purchase % was already redeemed at %', p_purchase_id, v_purchase.redeemed_at
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE user_purchases SET redeemed_at = now()
    WHERE id = p_purchase_id AND user_id = p_user_id
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
""",
    returns="user_purchases",
    parameters=("p_user_id uuid", "p_purchase_id uuid"),
    security_definer=True,
)

AVAILABLE_MARKET_ITEMS = declare_view(
    "available_market_items",
    """
SELECT i.id,
       i.key,
       i.name,
       i.description,
       i.category,
       i.cost_coins,
       i.icon,
       i.is_consumable,
       i.sort_order
FROM market_items i
WHERE i.is_active AND i.is_available
ORDER BY i.sort_order, i.name
""",
)

USER_UNREDEEMED_PURCHASES = declare_view(
    "user_unredeemed_purchases",
    """
SELECT p.id AS purchase_id,
       p.user_id,
       p.item_id,
       i.key AS item_key,
       i.name AS item_name,
       i.category,
       p.cost_coins,
       p.purchased_at
FROM user_purchases p
JOIN market_items i ON i.id = p.item_id
WHERE p.redeemed_at IS NULL
""",
)

MARKET_STATS = declare_view(
    "market_stats",
    """
SELECT i.id AS item_id,
       i.key,
       i.name,
       i.category,
       count(p.id) AS purchase_count,
       count(DISTINCT p.user_id) AS buyer_count,
       COALESCE(sum(p.cost_coins), 0) AS coins_spent,
       count(p.redeemed_at) AS redeemed_count
FROM market_items i
LEFT JOIN user_purchases p ON p.item_id = i.id
GROUP BY i.id
""",
)


class AvailableMarketItem(ViewBase):
    """Read-only row of ``available_market_items``, in display order."""

    __tablename__ = "available_market_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str]
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[MarketCategory] = mapped_column(MARKET_CATEGORY)
    cost_coins: Mapped[int]
    icon: Mapped[str | None]
    is_consumable: Mapped[bool]
    sort_order: Mapped[int]


class UserUnredeemedPurchase(ViewBase):
    """Read-only row of ``user_unredeemed_purchases``."""

    __tablename__ = "user_unredeemed_purchases"

    purchase_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    item_id: Mapped[uuid.UUID]
    item_key: Mapped[str]
    item_name: Mapped[str]
    category: Mapped[MarketCategory] = mapped_column(MARKET_CATEGORY)
    cost_coins: Mapped[int]
    purchased_at: Mapped[datetime]


class MarketStats(ViewBase):
    """Read-only row of ``market_stats``: sales per item."""

    __tablename__ = "market_stats"

    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str]
    name: Mapped[str]
    category: Mapped[MarketCategory] = mapped_column(MARKET_CATEGORY)
    purchase_count: Mapped[int]
    buyer_count: Mapped[int]
    coins_spent: Mapped[int] = mapped_column(BigInteger)
    redeemed_count: Mapped[int]
