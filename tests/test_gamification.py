"""award_xp, award_coins, spend_coins, update_streak and user_gamification_summary."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.factories import (
    assert_wallet_matches_ledger,
    call,
    ledger_totals,
    make_user,
    race,
    sqlstate,
    wallet,
)

AWARD_XP = "SELECT * FROM award_xp(:u, :n, 'test', :k)"
AWARD_COINS = "SELECT * FROM award_coins(:u, :n, 'test', :k)"
SPEND = "SELECT * FROM spend_coins(:u, :n, 'test', :k)"


def test_award_writes_one_ledger_row_and_creates_the_wallet(conn: Connection) -> None:
    user = make_user(conn)
    entry = call(conn, AWARD_COINS, u=user, n=30, k=None)
    assert (entry["user_id"], entry["coins"], entry["xp"]) == (user, 30, 0)
    call(conn, AWARD_XP, u=user, n=40, k=None)
    assert wallet(conn, user) == (30, 40, 1)
    assert ledger_totals(conn, user) == (2, 30, 40)


def test_xp_crossing_the_threshold_raises_the_level(conn: Connection) -> None:
    user = make_user(conn)
    call(conn, AWARD_XP, u=user, n=99, k=None)
    assert wallet(conn, user)[2] == 1
    call(conn, AWARD_XP, u=user, n=1, k=None)  # 100 reaches level 2; next at 100 + 200
    assert wallet(conn, user)[2] == 2
    call(conn, AWARD_XP, u=user, n=1000, k=None)  # 1100: past 300 (3), 600 (4), 1000 (5)
    level, threshold = conn.execute(
        text("SELECT level, xp_to_next_level FROM user_wallet WHERE user_id = :u"), {"u": user}
    ).one()
    assert (level, threshold) == (5, 1500)


def test_repeated_idempotency_key_returns_the_earlier_row(conn: Connection) -> None:
    user = make_user(conn)
    first = call(conn, AWARD_COINS, u=user, n=10, k="bonus-1")
    again = call(conn, AWARD_COINS, u=user, n=10, k="bonus-1")
    assert again == first
    assert wallet(conn, user)[0] == 10
    assert ledger_totals(conn, user) == (1, 10, 0)


@pytest.mark.parametrize(
    ("replay", "amount"),
    [(AWARD_COINS, 999), (AWARD_XP, 10), (SPEND, 10), (AWARD_XP, 999)],
    ids=["coins-other-amount", "xp-same-amount", "spend-same-amount", "xp-other-amount"],
)
def test_replay_with_another_kind_or_amount_is_refused(
    conn: Connection, replay: str, amount: int
) -> None:
    user = make_user(conn)
    call(conn, AWARD_COINS, u=user, n=10, k="bonus-1")
    conn.commit()
    with pytest.raises(DBAPIError, match="already used for another movement") as exc:
        call(conn, replay, u=user, n=amount, k="bonus-1")
    assert sqlstate(exc) == "23505"
    conn.rollback()
    assert wallet(conn, user)[:2] == (10, 0)
    assert ledger_totals(conn, user) == (1, 10, 0)


def test_idempotency_keys_are_per_user(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    ada_entry = call(conn, AWARD_COINS, u=ada, n=10, k="shared-key")
    bob_entry = call(conn, AWARD_COINS, u=bob, n=7, k="shared-key")
    assert (bob_entry["user_id"], bob_entry["coins"]) == (bob, 7)
    assert ada_entry["id"] != bob_entry["id"]
    assert (wallet(conn, ada)[0], wallet(conn, bob)[0]) == (10, 7)


@pytest.mark.parametrize("function", ["award_xp", "award_coins", "spend_coins"])
@pytest.mark.parametrize("amount", [0, -5])
def test_amounts_must_be_positive(conn: Connection, function: str, amount: int) -> None:
    user = make_user(conn)
    with pytest.raises(DBAPIError, match="amount must be positive") as exc:
        call(conn, f"SELECT * FROM {function}(:u, :n, 'test')", u=user, n=amount)
    assert sqlstate(exc) == "22023"


def test_spend_reduces_coins_and_writes_a_negative_ledger_row(conn: Connection) -> None:
    user = make_user(conn)
    call(conn, AWARD_COINS, u=user, n=50, k=None)
    entry = call(conn, SPEND, u=user, n=20, k="buy-1")
    assert entry["coins"] == -20
    assert wallet(conn, user)[0] == 30
    assert call(conn, SPEND, u=user, n=20, k="buy-1") == entry
    assert wallet(conn, user)[0] == 30
    assert_wallet_matches_ledger(conn, user)


def test_spend_with_too_few_coins_fails_clearly_and_changes_nothing(conn: Connection) -> None:
    user = make_user(conn)
    call(conn, AWARD_COINS, u=user, n=15, k=None)
    conn.commit()
    with pytest.raises(DBAPIError, match=r"insufficient coins: balance 15, needed 40") as exc:
        call(conn, SPEND, u=user, n=40, k=None)
    assert sqlstate(exc) == "P0001"
    conn.rollback()
    assert wallet(conn, user)[0] == 15
    assert ledger_totals(conn, user) == (1, 15, 0)


def test_spend_without_a_wallet_is_insufficient(conn: Connection) -> None:
    user = make_user(conn)
    with pytest.raises(DBAPIError, match="insufficient coins: balance 0, needed 1"):
        call(conn, SPEND, u=user, n=1, k=None)


def test_wallet_check_forbids_negative_coins(conn: Connection) -> None:
    user = make_user(conn)
    call(conn, AWARD_COINS, u=user, n=1, k=None)
    with pytest.raises(DBAPIError, match="user_wallet_coins_non_negative_check"):
        conn.execute(text("UPDATE user_wallet SET coins = -1 WHERE user_id = :u"), {"u": user})


STREAK = "SELECT * FROM update_streak(:u, 'focus', :d)"


def test_streak_extends_on_consecutive_days_and_resets_after_a_gap(conn: Connection) -> None:
    user = make_user(conn)
    day = date(2026, 3, 1)
    steps = [
        (day, 1, 1),
        (day, 1, 1),  # same day: no-op
        (day + timedelta(days=1), 2, 2),
        (day + timedelta(days=2), 3, 3),
        (day + timedelta(days=1), 3, 3),  # an earlier day reported late: no-op
        (day + timedelta(days=5), 1, 3),  # gap: restart, longest kept
        (day + timedelta(days=6), 2, 3),
    ]
    for when, current, longest in steps:
        row = call(conn, STREAK, u=user, d=when)
        assert (row["current_streak"], row["longest_streak"]) == (current, longest), when
    assert row["last_activity_date"] == day + timedelta(days=6)


@pytest.mark.parametrize("days_ahead", [1, 365])
def test_streak_refuses_a_day_after_today(conn: Connection, days_ahead: int) -> None:
    user = make_user(conn)
    today = conn.execute(text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    assert call(conn, STREAK, u=user, d=today)["current_streak"] == 1
    with pytest.raises(DBAPIError, match=r"must be today \(UTC\) or earlier") as exc:
        call(conn, STREAK, u=user, d=today + timedelta(days=days_ahead))
    assert sqlstate(exc) == "22023"


def test_gamification_summary_view(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    call(conn, AWARD_COINS, u=ada, n=7, k=None)
    call(conn, AWARD_XP, u=ada, n=150, k=None)
    call(conn, STREAK, u=ada, d=date(2026, 1, 1))
    call(conn, STREAK, u=ada, d=date(2026, 1, 2))
    conn.execute(
        text(
            "INSERT INTO achievement_definitions (key, name, category, trigger_type) "
            "VALUES ('first', 'First', 'focus', 'count')"
        )
    )
    conn.execute(
        text("INSERT INTO user_achievements (user_id, achievement_key) VALUES (:u, 'first')"),
        {"u": ada},
    )
    rows = {r.user_id: r for r in conn.execute(text("SELECT * FROM user_gamification_summary"))}
    a, b = rows[ada], rows[bob]
    assert (a.coins, a.xp, a.level, a.achievements_earned, a.longest_streak) == (7, 150, 2, 1, 2)
    assert (b.coins, b.xp, b.level, b.achievements_earned, b.longest_streak) == (0, 0, 1, 0, 0)


# --- concurrency: several real connections at once ------------------------------------------


def _funded_user(engine: Engine, coins: int) -> uuid.UUID:
    with engine.begin() as connection:
        user = make_user(connection)
        call(connection, AWARD_COINS, u=user, n=coins, k=None)
    return user


def test_parallel_spends_never_overspend(head_engine: Engine) -> None:
    user = _funded_user(head_engine, 50)
    results = race(head_engine, 8, lambda c: call(c, SPEND, u=user, n=10, k=None))
    succeeded = [r for r in results if isinstance(r, dict)]
    failed = [r for r in results if isinstance(r, DBAPIError)]
    assert len(succeeded) == 5
    assert len(failed) == 3
    assert all("insufficient coins" in str(e) for e in failed)
    with head_engine.connect() as connection:
        assert wallet(connection, user)[0] == 0
        assert_wallet_matches_ledger(connection, user)


def test_parallel_awards_with_one_key_write_one_row(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user = make_user(connection)
    results = race(head_engine, 8, lambda c: call(c, AWARD_COINS, u=user, n=5, k="daily-bonus"))
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["id"] for r in results if isinstance(r, dict)}) == 1
    with head_engine.connect() as connection:
        assert ledger_totals(connection, user) == (1, 5, 0)
        assert_wallet_matches_ledger(connection, user)


def test_parallel_awards_for_a_new_user_create_one_wallet(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user = make_user(connection)
    results = race(head_engine, 6, lambda c: call(c, AWARD_XP, u=user, n=10, k=None))
    assert all(isinstance(r, dict) for r in results), results
    with head_engine.connect() as connection:
        assert wallet(connection, user)[1] == 60
        assert_wallet_matches_ledger(connection, user)
