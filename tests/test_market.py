"""purchase_item, redeem_purchase and the market views."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.factories import assert_wallet_matches_ledger, call, make_user, race, sqlstate, wallet

PURCHASE = "SELECT * FROM purchase_item(:u, :i)"
REDEEM = "SELECT * FROM redeem_purchase(:u, :p)"


def make_item(
    connection: Connection,
    cost: int,
    *,
    key: str | None = None,
    consumable: bool = True,
    available: bool = True,
) -> uuid.UUID:
    item_id: uuid.UUID = connection.execute(
        text(
            "INSERT INTO market_items "
            "(key, name, category, cost_coins, is_consumable, is_available) "
            "VALUES (:k, :k, 'treats', :c, :consumable, :available) RETURNING id"
        ),
        {"k": key or uuid.uuid4().hex, "c": cost, "consumable": consumable, "available": available},
    ).scalar_one()
    return item_id


def fund(connection: Connection, user: uuid.UUID, coins: int) -> None:
    call(connection, "SELECT * FROM award_coins(:u, :n, 'test')", u=user, n=coins)


def test_purchase_spends_and_records_atomically(conn: Connection) -> None:
    user, item = make_user(conn), make_item(conn, 25)
    fund(conn, user, 60)
    purchase = call(conn, PURCHASE, u=user, i=item)
    assert (purchase["user_id"], purchase["item_id"], purchase["cost_coins"]) == (user, item, 25)
    assert wallet(conn, user)[0] == 35
    event = conn.execute(
        text("SELECT event_type, event_id, coins FROM points_ledger WHERE coins < 0")
    ).one()
    assert tuple(event) == ("purchase", purchase["id"], -25)
    assert_wallet_matches_ledger(conn, user)


def test_purchase_without_enough_coins_records_nothing(conn: Connection) -> None:
    user, item = make_user(conn), make_item(conn, 100)
    fund(conn, user, 40)
    conn.commit()
    with pytest.raises(DBAPIError, match=r"insufficient coins: balance 40, needed 100") as exc:
        call(conn, PURCHASE, u=user, i=item)
    assert sqlstate(exc) == "P0001"
    conn.rollback()
    assert conn.execute(text("SELECT count(*) FROM user_purchases")).scalar_one() == 0
    assert wallet(conn, user)[0] == 40


def test_non_consumables_are_bought_once(conn: Connection) -> None:
    user, theme = make_user(conn), make_item(conn, 10, consumable=False)
    fund(conn, user, 100)
    call(conn, PURCHASE, u=user, i=theme)
    conn.commit()
    with pytest.raises(DBAPIError, match="already owns"):
        call(conn, PURCHASE, u=user, i=theme)
    conn.rollback()
    assert wallet(conn, user)[0] == 90


def test_unavailable_items_cannot_be_bought(conn: Connection) -> None:
    user, item = make_user(conn), make_item(conn, 10, available=False)
    fund(conn, user, 100)
    with pytest.raises(DBAPIError, match="is not available") as exc:
        call(conn, PURCHASE, u=user, i=item)
    assert sqlstate(exc) == "P0002"


def test_redeem_once_and_only_ones_own(conn: Connection) -> None:
    ada, bob, item = make_user(conn), make_user(conn), make_item(conn, 5)
    fund(conn, ada, 5)
    purchase = call(conn, PURCHASE, u=ada, i=item)
    conn.commit()
    with pytest.raises(DBAPIError, match="not found for user"):
        call(conn, REDEEM, u=bob, p=purchase["id"])
    conn.rollback()
    assert call(conn, REDEEM, u=ada, p=purchase["id"])["redeemed_at"] is not None
    with pytest.raises(DBAPIError, match="already redeemed"):
        call(conn, REDEEM, u=ada, p=purchase["id"])


def test_parallel_purchases_buy_exactly_what_the_wallet_affords(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user, item = make_user(connection), make_item(connection, 30)
        fund(connection, user, 100)  # affords 3
    results = race(head_engine, 8, lambda c: call(c, PURCHASE, u=user, i=item))
    assert sum(isinstance(r, dict) for r in results) == 3
    assert all("insufficient coins" in str(r) for r in results if not isinstance(r, dict))
    with head_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM user_purchases")).scalar_one() == 3
        assert wallet(connection, user)[0] == 10
        assert_wallet_matches_ledger(connection, user)


def test_market_views(conn: Connection) -> None:
    user = make_user(conn)
    cheap, dear = make_item(conn, 5, key="b_cheap"), make_item(conn, 50, key="a_dear")
    gone = make_item(conn, 1, key="c_gone", available=False)
    conn.execute(text("UPDATE market_items SET sort_order = 2 WHERE id = :i"), {"i": cheap})
    fund(conn, user, 20)
    first = call(conn, PURCHASE, u=user, i=cheap)
    call(conn, PURCHASE, u=user, i=cheap)
    call(conn, REDEEM, u=user, p=first["id"])
    listed = conn.execute(text("SELECT id FROM available_market_items")).scalars().all()
    assert listed == [dear, cheap]
    unredeemed = (
        conn.execute(text("SELECT item_key FROM user_unredeemed_purchases")).scalars().all()
    )
    assert unredeemed == ["b_cheap"]
    stats = {
        r.item_id: (r.purchase_count, r.buyer_count, r.coins_spent, r.redeemed_count)
        for r in conn.execute(text("SELECT * FROM market_stats"))
    }
    assert stats == {cheap: (2, 1, 10, 1), dear: (0, 0, 0, 0), gone: (0, 0, 0, 0)}
