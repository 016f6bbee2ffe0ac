"""accept_universal_quest, update_quest_progress, claim_quest_rewards and the quest views."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.factories import assert_wallet_matches_ledger, call, make_user, race, sqlstate, wallet

ACCEPT = "SELECT * FROM accept_universal_quest(:u, :q)"
PROGRESS = "SELECT * FROM update_quest_progress(:u, :q, :n)"
CLAIM = "SELECT * FROM claim_quest_rewards(:u, :q)"
ADVANCE = "SELECT * FROM advance_quest(:u, :q)"


def make_quest(connection: Connection, target: int = 3, active: bool = True) -> uuid.UUID:
    quest_id: uuid.UUID = connection.execute(
        text(
            "INSERT INTO universal_quests (title, target, xp_reward, coin_reward, is_active) "
            "VALUES ('Focus Hat Trick', :t, 30, 10, :a) RETURNING id"
        ),
        {"t": target, "a": active},
    ).scalar_one()
    return quest_id


def test_accept_then_progress_to_completion(conn: Connection) -> None:
    user, quest = make_user(conn), make_quest(conn, target=3)
    accepted = call(conn, ACCEPT, u=user, q=quest)
    assert (accepted["status"], accepted["progress"]) == ("accepted", 0)
    assert call(conn, ACCEPT, u=user, q=quest)["id"] == accepted["id"]  # accepting again
    row = call(conn, PROGRESS, u=user, q=quest, n=2)
    assert (row["status"], row["progress"], row["completed"]) == ("in_progress", 2, False)
    row = call(conn, PROGRESS, u=user, q=quest, n=5)
    assert (row["status"], row["progress"], row["completed"]) == ("completed", 3, True)
    assert row["completed_at"] is not None
    assert call(conn, PROGRESS, u=user, q=quest, n=1)["progress"] == 3


def test_advance_takes_one_step_per_call_up_to_the_target(conn: Connection) -> None:
    user, quest = make_user(conn), make_quest(conn, target=2)
    with pytest.raises(DBAPIError, match="has not accepted"):
        call(conn, ADVANCE, u=user, q=quest)
    conn.rollback()
    user, quest = make_user(conn), make_quest(conn, target=2)
    call(conn, ACCEPT, u=user, q=quest)
    assert [call(conn, ADVANCE, u=user, q=quest)["progress"] for _ in range(4)] == [1, 2, 2, 2]
    claimed = call(conn, CLAIM, u=user, q=quest)
    assert claimed["rewards_claimed_at"] is not None
    assert wallet(conn, user)[:2] == (10, 30)


def test_inactive_or_missing_quests_cannot_be_accepted(conn: Connection) -> None:
    user = make_user(conn)
    with pytest.raises(DBAPIError, match="not active") as exc:
        call(conn, ACCEPT, u=user, q=make_quest(conn, active=False))
    assert sqlstate(exc) == "P0002"
    conn.rollback()
    with pytest.raises(DBAPIError, match="does not exist"):
        call(conn, ACCEPT, u=make_user(conn), q=uuid.uuid4())


def test_progress_needs_an_accepted_quest_and_a_positive_increment(conn: Connection) -> None:
    user, quest = make_user(conn), make_quest(conn)
    with pytest.raises(DBAPIError, match="has not accepted"):
        call(conn, PROGRESS, u=user, q=quest, n=1)
    conn.rollback()
    user, quest = make_user(conn), make_quest(conn)
    call(conn, ACCEPT, u=user, q=quest)
    with pytest.raises(DBAPIError, match="increment must be positive"):
        call(conn, PROGRESS, u=user, q=quest, n=0)


def test_rewards_are_claimed_exactly_once(conn: Connection) -> None:
    user, quest = make_user(conn), make_quest(conn, target=1)
    call(conn, ACCEPT, u=user, q=quest)
    call(conn, PROGRESS, u=user, q=quest, n=1)
    claimed = call(conn, CLAIM, u=user, q=quest)
    assert claimed["rewards_claimed_at"] is not None
    assert wallet(conn, user)[:2] == (10, 30)
    conn.commit()
    with pytest.raises(DBAPIError, match="already claimed") as exc:
        call(conn, CLAIM, u=user, q=quest)
    assert sqlstate(exc) == "P0001"
    conn.rollback()
    assert wallet(conn, user)[:2] == (10, 30)
    assert_wallet_matches_ledger(conn, user)


def test_an_unfinished_quest_cannot_be_claimed(conn: Connection) -> None:
    user, quest = make_user(conn), make_quest(conn, target=2)
    call(conn, ACCEPT, u=user, q=quest)
    call(conn, PROGRESS, u=user, q=quest, n=1)
    with pytest.raises(DBAPIError, match=r"not completed yet \(progress 1\)"):
        call(conn, CLAIM, u=user, q=quest)


def test_racing_claims_pay_once(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user, quest = make_user(connection), make_quest(connection, target=1)
        call(connection, ACCEPT, u=user, q=quest)
        call(connection, PROGRESS, u=user, q=quest, n=1)
    results = race(head_engine, 6, lambda c: call(c, CLAIM, u=user, q=quest))
    assert sum(isinstance(r, dict) for r in results) == 1
    with head_engine.connect() as connection:
        assert wallet(connection, user)[:2] == (10, 30)
        assert_wallet_matches_ledger(connection, user)


def test_quest_views(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    quest, hidden = make_quest(conn, target=1), make_quest(conn, active=False)
    call(conn, ACCEPT, u=ada, q=quest)
    call(conn, PROGRESS, u=ada, q=quest, n=1)
    call(conn, CLAIM, u=ada, q=quest)
    available = {
        (r.user_id, r.quest_id): (r.status, r.progress, r.rewards_claimed)
        for r in conn.execute(text("SELECT * FROM user_available_quests"))
    }
    assert available == {
        (ada, quest): ("completed", 1, True),
        (bob, quest): ("available", 0, False),
    }
    stats = {
        r.quest_id: (r.accepted_count, r.completed_count, r.claimed_count, float(r.completion_rate))
        for r in conn.execute(text("SELECT * FROM quest_completion_stats"))
    }
    assert stats == {quest: (1, 1, 1, 1.0), hidden: (0, 0, 0, 0.0)}
