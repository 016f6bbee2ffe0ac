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
PAUSE = "SELECT * FROM pause_focus_session(:u, :s)"
RESUME = "SELECT * FROM resume_focus_session(:u, :s)"
ABANDON = "SELECT * FROM abandon_focus_session(:u, :s)"


def run_out(connection: Connection, session_id: uuid.UUID) -> None:
    """Make the session's time have run, as the owner (rather than sleeping): move its start
    and end back by its duration."""
    connection.execute(
        text(
            "UPDATE focus_sessions SET started_at = started_at - make_interval(secs => duration), "
            "expires_at = expires_at - make_interval(secs => duration) WHERE id = :s"
        ),
        {"s": session_id},
    )


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


@pytest.mark.parametrize("duration", [None, -1, 0, 59, 14401, 2147483647])
def test_start_rejects_a_duration_outside_1_to_240_minutes(
    conn: Connection, duration: int | None
) -> None:
    user = make_user(conn)
    with pytest.raises(DBAPIError, match="duration must be 60 to 14400 seconds") as exc:
        call(conn, START, u=user, d=duration)
    assert sqlstate(exc) == "22023"


@pytest.mark.parametrize("duration", [60, 14400])
def test_start_accepts_the_bounds(conn: Connection, duration: int) -> None:
    assert call(conn, START, u=make_user(conn), d=duration)["duration"] == duration


def test_complete_before_the_time_has_run_is_refused(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=1500)
    conn.commit()
    with pytest.raises(DBAPIError, match="has not run yet") as exc:
        call(conn, COMPLETE, u=user, s=session["id"])
    assert sqlstate(exc) == "P0001"
    conn.rollback()
    assert conn.execute(text("SELECT count(*) FROM points_ledger")).scalar_one() == 0
    run_out(conn, session["id"])
    assert call(conn, COMPLETE, u=user, s=session["id"])["xp_awarded"] == 25


def test_pauses_push_the_end_back(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=600)
    # 400 of the 600 seconds have run when the user pauses: 200 are left
    conn.execute(
        text(
            "UPDATE focus_sessions SET started_at = started_at - interval '400 seconds', "
            "expires_at = expires_at - interval '400 seconds' WHERE id = :s"
        ),
        {"s": session["id"]},
    )
    paused = call(conn, PAUSE, u=user, s=session["id"])
    assert (paused["status"], paused["paused_remaining"]) == ("paused", 200)
    state = conn.execute(
        text("SELECT time_remaining FROM focus_pause_state WHERE user_id = :u"), {"u": user}
    ).scalar_one()
    assert state == 200
    with pytest.raises(DBAPIError, match="is paused"):
        call(conn, COMPLETE, u=user, s=session["id"])
    conn.rollback()
    user = make_user(conn)
    session = call(conn, START, u=user, d=600)
    conn.execute(
        text(
            "UPDATE focus_sessions SET status = 'paused', paused_remaining = 200, "
            "started_at = started_at - interval '1 hour', expires_at = now() - interval '1 hour' "
            "WHERE id = :s"
        ),
        {"s": session["id"]},
    )
    resumed = call(conn, RESUME, u=user, s=session["id"])
    assert resumed["status"] == "active"
    assert 199 <= (resumed["expires_at"] - resumed["started_at"]).total_seconds() - 3600 <= 200
    conn.commit()
    # started over an hour ago, but 200 seconds are still to run after the pause
    with pytest.raises(DBAPIError, match="has not run yet"):
        call(conn, COMPLETE, u=user, s=session["id"])
    conn.rollback()
    assert (
        conn.execute(
            text("SELECT count(*) FROM focus_pause_state WHERE user_id = :u"), {"u": user}
        ).scalar_one()
        == 0
    )


def test_abandon_ends_a_session_without_pay(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=600)
    assert call(conn, ABANDON, u=user, s=session["id"])["status"] == "abandoned"
    with pytest.raises(DBAPIError, match="is not in progress"):
        call(conn, ABANDON, u=user, s=session["id"])


def test_complete_awards_once_and_counts_progress(conn: Connection) -> None:
    user = make_user(conn)
    session = call(conn, START, u=user, d=1500)
    run_out(conn, session["id"])
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
    run_out(conn, session["id"])
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
    run_out(conn, first["id"])
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
        run_out(connection, session_id)
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
