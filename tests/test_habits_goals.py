"""complete_habit, update_goal_progress, habits_today and goals_with_milestones."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.factories import assert_wallet_matches_ledger, call, make_user, race, sqlstate, wallet

COMPLETE_HABIT = "SELECT * FROM complete_habit(:u, :h)"
UPDATE_GOAL = "SELECT * FROM update_goal_progress(:u, :g)"


def make_habit(connection: Connection, user: uuid.UUID, target: int = 1) -> uuid.UUID:
    habit_id: uuid.UUID = connection.execute(
        text(
            "INSERT INTO habits (user_id, name, target_count) "
            "VALUES (:u, 'Stretch', :t) RETURNING id"
        ),
        {"u": user, "t": target},
    ).scalar_one()
    return habit_id


def completions(connection: Connection, habit: uuid.UUID) -> int:
    count: int = connection.execute(
        text("SELECT count(*) FROM habit_logs WHERE habit_id = :h"), {"h": habit}
    ).scalar_one()
    return count


def test_completing_a_habit_twice_a_day_counts_once(conn: Connection) -> None:
    user = make_user(conn)
    habit = make_habit(conn, user)
    log = call(conn, COMPLETE_HABIT, u=user, h=habit)
    assert log["habit_id"] == habit
    assert call(conn, COMPLETE_HABIT, u=user, h=habit)["id"] is None  # NULL row: not counted
    assert completions(conn, habit) == 1
    assert wallet(conn, user)[1] == 5
    assert_wallet_matches_ledger(conn, user)
    assert (
        conn.execute(
            text("SELECT habits_completed FROM user_progress WHERE user_id = :u"), {"u": user}
        ).scalar_one()
        == 1
    )


def test_a_habit_with_a_daily_target_counts_up_to_it(conn: Connection) -> None:
    user = make_user(conn)
    habit = make_habit(conn, user, target=3)
    for _ in range(5):
        call(conn, COMPLETE_HABIT, u=user, h=habit)
    assert completions(conn, habit) == 3
    assert wallet(conn, user)[1] == 15


def test_habit_pay_is_capped_at_20_completions_a_day_per_user(conn: Connection) -> None:
    user = make_user(conn)
    habits = [make_habit(conn, user, target=15), make_habit(conn, user, target=15)]
    for habit in habits:
        for _ in range(15):
            assert call(conn, COMPLETE_HABIT, u=user, h=habit)["habit_id"] == habit
    assert sum(completions(conn, h) for h in habits) == 30  # every completion is logged
    assert wallet(conn, user)[1] == 20 * 5  # but only 20 are paid
    assert_wallet_matches_ledger(conn, user)
    done = conn.execute(
        text("SELECT habits_completed FROM user_progress WHERE user_id = :u"), {"u": user}
    ).scalar_one()
    assert done == 20


def test_complete_habit_of_another_user_fails(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    habit = make_habit(conn, ada)
    with pytest.raises(DBAPIError, match="not found for user") as exc:
        call(conn, COMPLETE_HABIT, u=bob, h=habit)
    assert sqlstate(exc) == "P0002"


def test_racing_taps_on_a_habit_count_once(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user = make_user(connection)
        habit = make_habit(connection, user)
    race(head_engine, 6, lambda c: call(c, COMPLETE_HABIT, u=user, h=habit))
    with head_engine.connect() as connection:
        assert completions(connection, habit) == 1
        assert wallet(connection, user)[1] == 5


def make_goal(connection: Connection, user: uuid.UUID, milestones: list[bool]) -> uuid.UUID:
    goal_id: uuid.UUID = connection.execute(
        text("INSERT INTO goals (user_id, title) VALUES (:u, 'Album') RETURNING id"), {"u": user}
    ).scalar_one()
    for order, done in enumerate(milestones):
        connection.execute(
            text(
                "INSERT INTO goal_milestones (goal_id, user_id, title, is_completed, sort_order) "
                "VALUES (:g, :u, :t, :d, :o)"
            ),
            {"g": goal_id, "u": user, "t": f"step {order}", "d": done, "o": order},
        )
    return goal_id


def test_goal_progress_is_derived_from_milestones(conn: Connection) -> None:
    user = make_user(conn)
    goal = make_goal(conn, user, [True, False, False])
    row = call(conn, UPDATE_GOAL, u=user, g=goal)
    assert (row["progress"], row["status"]) == (33, "active")
    conn.execute(
        text("UPDATE goal_milestones SET is_completed = true WHERE goal_id = :g"), {"g": goal}
    )
    row = call(conn, UPDATE_GOAL, u=user, g=goal)
    assert (row["progress"], row["status"]) == (100, "completed")
    call(conn, UPDATE_GOAL, u=user, g=goal)
    assert (
        conn.execute(
            text("SELECT goals_completed FROM user_progress WHERE user_id = :u"), {"u": user}
        ).scalar_one()
        == 1
    )


def test_goal_without_milestones_keeps_its_progress(conn: Connection) -> None:
    user = make_user(conn)
    goal = make_goal(conn, user, [])
    conn.execute(text("UPDATE goals SET progress = 40 WHERE id = :g"), {"g": goal})
    assert call(conn, UPDATE_GOAL, u=user, g=goal)["progress"] == 40


def test_goal_progress_is_a_percentage(conn: Connection) -> None:
    user = make_user(conn)
    goal = make_goal(conn, user, [])
    with pytest.raises(DBAPIError, match="goals_progress_percentage_check"):
        conn.execute(text("UPDATE goals SET progress = 101 WHERE id = :g"), {"g": goal})


def test_update_goal_of_another_user_fails(conn: Connection) -> None:
    ada, bob = make_user(conn), make_user(conn)
    goal = make_goal(conn, ada, [True])
    with pytest.raises(DBAPIError, match="not found for user"):
        call(conn, UPDATE_GOAL, u=bob, g=goal)


def test_habits_today_and_goals_with_milestones(conn: Connection) -> None:
    user = make_user(conn)
    done, open_ = make_habit(conn, user), make_habit(conn, user, target=2)
    inactive = make_habit(conn, user)
    conn.execute(text("UPDATE habits SET is_active = false WHERE id = :h"), {"h": inactive})
    call(conn, COMPLETE_HABIT, u=user, h=done)
    call(conn, COMPLETE_HABIT, u=user, h=open_)
    conn.execute(
        text(
            "INSERT INTO habit_logs (habit_id, user_id, completed_at) "
            "VALUES (:h, :u, now() - interval '2 days')"
        ),
        {"h": open_, "u": user},
    )
    today = {
        r.habit_id: (r.completions_today, r.is_done)
        for r in conn.execute(text("SELECT * FROM habits_today WHERE user_id = :u"), {"u": user})
    }
    assert today == {done: (1, True), open_: (1, False)}

    goal = make_goal(conn, user, [True, False])
    row = (
        conn.execute(text("SELECT * FROM goals_with_milestones WHERE goal_id = :g"), {"g": goal})
        .mappings()
        .one()
    )
    assert (row["milestones_total"], row["milestones_completed"]) == (2, 1)
    assert [m["title"] for m in row["milestones"]] == ["step 0", "step 1"]
