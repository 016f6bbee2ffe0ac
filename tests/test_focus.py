"""start_focus_session, complete_focus_session and the focus views."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.factories import assert_wallet_matches_ledger, call, make_user, race, sqlstate, wallet

START = "SELECT * FROM start_focus_session(:u, :d)"
START_MODE = "SELECT * FROM start_focus_session(:u, :d, CAST(:m AS focus_mode))"
COMPLETE = "SELECT * FROM complete_focus_session(:u, :s)"


def test_start_opens_an_active_session(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=1500)
    assert (session["status"], session["mode"], session["duration"]) == ("active", "focus", 1500)
    assert (session["expires_at"] - session["started_at"]).total_seconds() == 1500


def test_only_one_session_in_progress_per_user(conn: Connection) -> None:
    user = make_user(conn)
    call(conn, START, u=user, d=600)
    with pytest.raises(DBAPIError, match="focus session already in progress") as exc:
        call(conn, START, u=user, d=600)
    assert sqlstate(exc) == "23505"


def test_a_paused_session_still_counts_as_in_progress(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=600)
    conn.execute(
        text("UPDATE focus_sessions SET status = 'paused', paused_remaining = 300 WHERE id = :s"),
        {"s": session["id"]},
    )
    with pytest.raises(DBAPIError, match="already in progress"):
        call(conn, START, u=user, d=600)


def test_start_rejects_a_non_positive_duration(conn: Connection) -> None:
    user = make_user(conn)
    with pytest.raises(DBAPIError, match="duration must be positive") as exc:
        call(conn, START, u=user, d=0)
    assert sqlstate(exc) == "22023"


def test_complete_awards_once_and_counts_progress(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=1500)
    done = call(conn, COMPLETE, u=user, s=session["id"])
    assert (done["status"], done["xp_awarded"], done["coins_awarded"]) == ("completed", 25, 5)
    again = call(conn, COMPLETE, u=user, s=session["id"])
    assert again == done
    assert wallet(conn, user)[:2] == (5, 25)
    assert_wallet_matches_ledger(conn, user)
    progress = conn.execute(
        text(
            "SELECT focus_sessions_completed, focus_minutes FROM user_progress WHERE user_id = :u"
        ),
        {"u": user},
    ).one()
    assert tuple(progress) == (1, 25)
    streak = conn.execute(
        text(
            "SELECT current_streak FROM user_streaks WHERE user_id = :u AND streak_type = 'focus'"
        ),
        {"u": user},
    ).scalar_one()
    assert streak == 1
    assert call(conn, START, u=user, d=300)["status"] == "active"  # a new one may start now


def test_completing_a_break_awards_nothing(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START_MODE, u=user, d=300, m="break")
    done = call(conn, COMPLETE, u=user, s=session["id"])
    assert (done["status"], done["xp_awarded"], done["coins_awarded"]) == ("completed", 0, 0)
    assert conn.execute(text("SELECT count(*) FROM points_ledger")).scalar_one() == 0


def test_complete_refuses_another_users_or_an_abandoned_session(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    session = call(conn, START, u=ada, d=600)
    with pytest.raises(DBAPIError, match="not found for user") as exc:
        call(conn, COMPLETE, u=bob, s=session["id"])
    assert sqlstate(exc) == "P0002"
    conn.rollback()
    ada = make_user(conn)
    session = call(conn, START, u=ada, d=600)
    conn.execute(
        text("UPDATE focus_sessions SET status = 'abandoned', abandoned_at = now() WHERE id = :s"),
        {"s": session["id"]},
    )
    with pytest.raises(DBAPIError, match="was abandoned"):
        call(conn, COMPLETE, u=ada, s=session["id"])


def test_focus_views(conn: Connection) -> None:
    user = make_user(conn)
    first = call(conn, START, u=user, d=1200)
    call(conn, COMPLETE, u=user, s=first["id"])
    current = call(conn, START, u=user, d=600)
    active = conn.execute(text("SELECT * FROM active_focus_session")).mappings().all()
    assert [(a["id"], a["status"]) for a in active] == [(current["id"], "active")]
    assert 0 < active[0]["remaining_seconds"] <= 600
    stats = (
        conn.execute(text("SELECT * FROM user_focus_stats WHERE user_id = :u"), {"u": user})
        .mappings()
        .one()
    )
    assert (stats["sessions_completed"], stats["focus_minutes"], stats["xp_earned"]) == (1, 20, 20)


def test_racing_completions_award_once(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user = make_user(connection)
        session_id: uuid.UUID = call(connection, START, u=user, d=900)["id"]
    results = race(head_engine, 6, lambda c: call(c, COMPLETE, u=user, s=session_id))
    assert all(isinstance(r, dict) for r in results), results
    with head_engine.connect() as connection:
        assert wallet(connection, user)[:2] == (3, 15)
        assert_wallet_matches_ledger(connection, user)


def test_racing_starts_open_one_session(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user = make_user(connection)
    results = race(head_engine, 6, lambda c: call(c, START, u=user, d=600))
    assert sum(isinstance(r, dict) for r in results) == 1
    assert all("already in progress" in str(r) for r in results if not isinstance(r, dict))
