"""Market: items and purchases, purchase_item and redeem_purchase, three views.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

Creates the ENUM type market_category, the tables market_items and user_purchases, the
functions purchase_item (spends through spend_coins and records the purchase atomically)
and redeem_purchase, and the views available_market_items, user_unredeemed_purchases and
market_stats.

Downgrade drops the views, functions, tables and type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE market_category AS ENUM ('themes', 'boosts', 'treats', 'badges', 'cosmetics')"
    )
    op.create_table(
        "market_items",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "category", postgresql.ENUM(name="market_category", create_type=False), nullable=False
        ),
        sa.Column("cost_coins", sa.Integer(), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("is_global", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_available", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_consumable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cost_coins >= 0", name=op.f("market_items_cost_coins_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name="market_items_created_by_user_id_fkey",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="market_items_pkey"),
        sa.UniqueConstraint("key", name="market_items_key_key"),
    )
    op.create_index(
        "market_items_active_idx",
        "market_items",
        ["is_active"],
        unique=False,
        postgresql_where=sa.text("is_active = true"),
    )
    op.create_index("market_items_category_idx", "market_items", ["category"], unique=False)
    op.create_index(
        "market_items_created_by_user_id_idx", "market_items", ["created_by_user_id"], unique=False
    )
    op.create_table(
        "user_purchases",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("cost_coins", sa.Integer(), nullable=False),
        sa.Column(
            "purchased_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("redeemed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            "cost_coins >= 0", name=op.f("user_purchases_cost_coins_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["market_items.id"], name="user_purchases_item_id_fkey"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_purchases_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_purchases_pkey"),
    )
    op.create_index("user_purchases_item_id_idx", "user_purchases", ["item_id"], unique=False)
    op.create_index(
        "user_purchases_unredeemed_user_id_idx",
        "user_purchases",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("redeemed_at IS NULL"),
    )
    op.create_index("user_purchases_user_id_idx", "user_purchases", ["user_id"], unique=False)
    op.execute("""
CREATE FUNCTION purchase_item(p_user_id uuid, p_item_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_item market_items;
    v_purchase_id uuid := gen_random_uuid();
    v_purchase user_purchases;
BEGIN
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
$$""")
    op.execute("""
CREATE FUNCTION redeem_purchase(p_user_id uuid, p_purchase_id uuid) RETURNS user_purchases LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_purchase user_purchases;
BEGIN
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
    WHERE id = p_purchase_id
    RETURNING * INTO v_purchase;
    RETURN v_purchase;
END;
$$""")
    op.execute("""
CREATE VIEW available_market_items AS
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
ORDER BY i.sort_order, i.name""")
    op.execute("""
CREATE VIEW user_unredeemed_purchases AS
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
WHERE p.redeemed_at IS NULL""")
    op.execute("""
CREATE VIEW market_stats AS
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
GROUP BY i.id""")


def downgrade() -> None:
    op.execute("DROP VIEW market_stats")
    op.execute("DROP VIEW user_unredeemed_purchases")
    op.execute("DROP VIEW available_market_items")
    op.execute("DROP FUNCTION redeem_purchase(uuid, uuid)")
    op.execute("DROP FUNCTION purchase_item(uuid, uuid)")
    op.drop_table("user_purchases")
    op.drop_table("market_items")
    op.execute("DROP TYPE market_category")
