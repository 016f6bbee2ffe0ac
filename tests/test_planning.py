"""The planning tables and the todays_events / this_weeks_events views."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from tests.factories import make_user


def add_event(
    connection: Connection, user: object, title: str, start: str, end: str | None
) -> None:
    connection.execute(
        text(
            "INSERT INTO calendar_events (user_id, title, start_time, end_time) "
            f"VALUES (:u, :t, {start}, {end or 'NULL'})"
        ),
        {"u": user, "t": title},
    )


def test_todays_and_this_weeks_events(conn: Connection) -> None:
    user = make_user(conn)
    add_event(conn, user, "now", "now()", "now() + interval '1 hour'")
    add_event(
        conn, user, "started yesterday, ends today", "CURRENT_DATE - 1 + time '20:00'", "now()"
    )
    add_event(conn, user, "next month", "now() + interval '40 days'", None)
    add_event(conn, user, "last month", "now() - interval '40 days'", None)
    add_event(conn, user, "monday", "date_trunc('week', now()) + interval '1 hour'", None)
    today = set(conn.execute(text("SELECT title FROM todays_events")).scalars())
    assert today == {"now", "started yesterday, ends today"} | (
        {"monday"}
        if conn.execute(text("SELECT extract(isodow FROM now()) = 1")).scalar()
        else set()
    )
    week = set(conn.execute(text("SELECT title FROM this_weeks_events")).scalars())
    assert {"now", "monday"} <= week
    assert not week & {"next month", "last month"}


def test_one_daily_plan_per_user_and_day(conn: Connection) -> None:
    user = make_user(conn)
    insert = text("INSERT INTO daily_plans (user_id, date) VALUES (:u, DATE '2026-02-01')")
    conn.execute(insert, {"u": user})
    assert conn.execute(text("SELECT items FROM daily_plans")).scalar_one() == []
    with pytest.raises(IntegrityError, match="daily_plans_user_id_date_key"):
        conn.execute(insert, {"u": user})


def test_deleting_a_parent_event_deletes_its_occurrences(conn: Connection) -> None:
    user = make_user(conn)
    insert = text(
        "INSERT INTO calendar_events (user_id, title, start_time, parent_event_id) "
        "VALUES (:u, :t, now(), :p) RETURNING id"
    )
    parent = conn.execute(insert, {"u": user, "t": "series", "p": None}).scalar_one()
    conn.execute(insert, {"u": user, "t": "occurrence", "p": parent})
    conn.execute(text("DELETE FROM calendar_events WHERE id = :p"), {"p": parent})
    assert conn.execute(text("SELECT count(*) FROM calendar_events")).scalar_one() == 0
