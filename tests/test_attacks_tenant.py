"""Tenant keys (revisions 0025-0035) against an attacker with SQL injection as the app.

Before them a row of user A could point at user B's parent row: the policies checked the
child's own ``user_id`` (or that its parent was visible), and the single-column foreign keys
only that B's row existed. Now every such key is ``(parent_id, user_id) -> parent (id,
user_id)``: each attack below must fail, with 23503 from the composite foreign key or 42501
from row-level security / the grants. The world: users A and B with a row in every table
(``fill_every_table``), the attacker acting as A through a real session token of A.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

import models
from tests.acting import as_role
from tests.conftest import scratch_database
from tests.rows import fill_every_table
from tests.support import engine_for

Rows = dict[str, dict[str, Any]]

# (child, column, parent): every foreign key that now carries user_id, with the app's access
CHILD_KEYS = (
    ("habit_logs", "habit_id", "habits"),
    ("goal_milestones", "goal_id", "goals"),
    ("calendar_events", "parent_event_id", "calendar_events"),
    ("calendar_events", "workout_id", "workouts"),
    ("workout_sections", "workout_id", "workouts"),
    ("workout_exercises", "workout_id", "workouts"),
    ("workout_exercises", "section_id", "workout_sections"),
    ("workout_sessions", "workout_id", "workouts"),
    ("exercise_sets", "session_id", "workout_sessions"),
    ("personal_records", "exercise_set_id", "exercise_sets"),
    ("program_weeks", "program_id", "training_programs"),
    ("program_workouts", "program_week_id", "program_weeks"),
    ("program_workouts", "workout_id", "workouts"),
    ("reading_sessions", "book_id", "books"),
    ("flashcards", "deck_id", "flashcard_decks"),
    ("track_analysis_cache", "track_id", "reference_tracks"),
)
# The app may not write these at all (progress moves through the functions, revision 0024).
READ_ONLY_FOR_APP = {"habit_logs"}


@pytest.fixture(scope="module")
def world(pg_head_server: Any) -> Iterator[tuple[Engine, Rows, Rows]]:
    """A and B's rows in every table, written as the owner; every test rolls back."""
    with (
        scratch_database(f"{pg_head_server.dbname}_tenant", pg_head_server.template_dbname) as url,
        engine_for(url, service=False) as engine,
    ):
        with engine.begin() as connection:
            a = fill_every_table(connection, tag="a")
            b = fill_every_table(connection, tag="b")
        yield engine, a, b


def sqlstate_of(
    connection: Connection, statement: Any, params: dict[str, Any] | None = None
) -> str:
    """The SQLSTATE the statement fails with (in a savepoint), or "" when it succeeds."""
    try:
        with connection.begin_nested():
            connection.execute(statement, params or {})
    except DBAPIError as exc:
        return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", ""))
    return ""


def new_row(table: str, own: Rows, **changes: Any) -> Any:
    """An insert of a copy of ``own``'s row of ``table`` under a new id, with ``changes``."""
    row = {k: v for k, v in own[table].items() if v is not None}
    row["id"] = uuid.uuid4()
    row.update(changes)
    return models.Base.metadata.tables[table].insert().values(row)


@pytest.mark.parametrize(("child", "column", "parent"), CHILD_KEYS, ids=lambda v: str(v))
def test_a_cannot_insert_a_row_under_bs_parent(
    world: tuple[Engine, Rows, Rows], child: str, column: str, parent: str
) -> None:
    engine, a, b = world
    user_a = a["users"]["id"]
    statement = new_row(child, a, **{column: b[parent]["id"], "user_id": user_a})
    with as_role(engine, "ignition_app", user_a) as connection:
        expected = "42501" if child in READ_ONLY_FOR_APP else "23503"
        assert sqlstate_of(connection, statement) == expected
    # Whoever writes (the service, the import), the key itself refuses the mixed row.
    with engine.connect() as connection:
        assert sqlstate_of(connection, statement) == "23503"
        connection.rollback()


@pytest.mark.parametrize(("child", "column", "parent"), CHILD_KEYS, ids=lambda v: str(v))
def test_a_cannot_repoint_its_row_at_bs_parent(
    world: tuple[Engine, Rows, Rows], child: str, column: str, parent: str
) -> None:
    engine, a, b = world
    user_a = a["users"]["id"]
    update = text(f"UPDATE {child} SET {column} = :parent WHERE id = :id AND user_id = :u")
    params = {"parent": b[parent]["id"], "id": a[child]["id"], "u": user_a}
    with as_role(engine, "ignition_app", user_a) as connection:
        expected = "42501" if child in READ_ONLY_FOR_APP else "23503"
        assert sqlstate_of(connection, update, params) == expected
        # and the row of A is A's own: the same update to A's parent goes through (a control)
        if child not in READ_ONLY_FOR_APP:
            same = {**params, "parent": a[parent]["id"]}
            assert sqlstate_of(connection, update, same) == ""


@pytest.mark.parametrize("child", sorted({c for c, _, _ in CHILD_KEYS} - READ_ONLY_FOR_APP))
def test_a_cannot_write_a_row_for_b_under_its_own_parent(
    world: tuple[Engine, Rows, Rows], child: str
) -> None:
    """A's parent but B's user_id: row-level security refuses (the row would be B's)."""
    engine, a, b = world
    user_a, user_b = a["users"]["id"], b["users"]["id"]
    with as_role(engine, "ignition_app", user_a) as connection:
        assert sqlstate_of(connection, new_row(child, a, user_id=user_b)) == "42501"
        move = text(f"UPDATE {child} SET user_id = :b WHERE id = :id")
        assert sqlstate_of(connection, move, {"b": user_b, "id": a[child]["id"]}) == "42501"
    # and as the service the composite key refuses it: (A's parent, B) is no parent row
    with engine.connect() as connection:
        changes = {column: a[parent]["id"] for c, column, parent in CHILD_KEYS if c == child}
        statement = new_row(child, a, user_id=user_b, **changes)
        assert sqlstate_of(connection, statement) == "23503"
        connection.rollback()


def test_the_game_actions_refuse_bs_rows(world: tuple[Engine, Rows, Rows]) -> None:
    engine, a, b = world
    user_a = a["users"]["id"]
    with as_role(engine, "ignition_app", user_a) as connection:
        for call, row in (
            ("complete_habit(:u, :id)", b["habits"]["id"]),
            ("update_goal_progress(:u, :id)", b["goals"]["id"]),
        ):
            found = sqlstate_of(connection, text(f"SELECT {call}"), {"u": user_a, "id": row})
            assert found == "P0002", call  # no_data_found: not A's habit / goal


def test_deleting_a_referenced_workout_takes_its_helper(world: tuple[Engine, Rows, Rows]) -> None:
    """ON DELETE SET NULL became NO ACTION (Citus refuses SET NULL on a key with user_id):
    a plain DELETE of a workout that an event or a session points at fails, and
    ``delete_workout`` unlinks them and deletes it."""
    engine, a, _ = world
    user_a, workout = a["users"]["id"], a["workouts"]["id"]
    with as_role(engine, "ignition_app", user_a) as connection:
        delete = text("DELETE FROM workouts WHERE id = :w AND user_id = :u")
        assert sqlstate_of(connection, delete, {"w": workout, "u": user_a}) == "23503"
        helper = text("SELECT delete_workout(:u, :w)")
        assert connection.execute(helper, {"u": user_a, "w": workout}).scalar_one() is True
        unlinked = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM calendar_events WHERE id = :e AND workout_id IS NULL)"
                " + (SELECT count(*) FROM workout_sessions WHERE id = :s AND workout_id IS NULL)"
            ),
            {"e": a["calendar_events"]["id"], "s": a["workout_sessions"]["id"]},
        ).scalar_one()
        assert unlinked == 2
        gone = connection.execute(
            text("SELECT count(*) FROM workouts WHERE id = :w"), {"w": workout}
        ).scalar_one()
        assert gone == 0


@pytest.mark.parametrize(
    ("helper", "table", "key"),
    [
        ("delete_workout_section", "workout_sections", "section_id"),
        ("delete_workout_session", "workout_sessions", "exercise_set_id"),
        ("delete_exercise_set", "exercise_sets", "exercise_set_id"),
    ],
)
def test_the_delete_helpers_unlink_first(
    world: tuple[Engine, Rows, Rows], helper: str, table: str, key: str
) -> None:
    engine, a, b = world
    user_a = a["users"]["id"]
    row = a[table]["id"]
    referrer = "workout_exercises" if key == "section_id" else "personal_records"
    with as_role(engine, "ignition_app", user_a) as connection:
        plain = text(f"DELETE FROM {table} WHERE id = :id AND user_id = :u")
        assert sqlstate_of(connection, plain, {"id": row, "u": user_a}) == "23503"
        # B's row is not A's to delete: the helper refuses to act for B
        for_b = text(f"SELECT {helper}(:u, :id)")
        assert sqlstate_of(connection, for_b, {"u": b["users"]["id"], "id": row}) == "42501"
        call = text(f"SELECT {helper}(:u, :id)")
        assert connection.execute(call, {"u": user_a, "id": row}).scalar_one() is True
        left = connection.execute(
            text(f"SELECT {key} FROM {referrer} WHERE id = :r"), {"r": a[referrer]["id"]}
        ).scalar_one()
        assert left is None


def test_delete_user_is_service_work(world: tuple[Engine, Rows, Rows]) -> None:
    engine, a, b = world
    user_a = a["users"]["id"]
    with as_role(engine, "ignition_app", user_a) as connection:
        call = text("SELECT delete_user(:u)")
        assert sqlstate_of(connection, call, {"u": user_a}) == "42501"
        assert sqlstate_of(connection, call, {"u": b["users"]["id"]}) == "42501"
    with as_role(engine, "ignition_service") as connection:
        assert connection.execute(text("SELECT delete_user(:u)"), {"u": user_a}).scalar_one()
        counts = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM users WHERE id = :u),"
                " (SELECT count(*) FROM sessions WHERE user_id = :u),"
                " (SELECT count(*) FROM accounts WHERE user_id = :u),"
                " (SELECT count(*) FROM authenticators WHERE user_id = :u),"
                " (SELECT count(*) FROM user_emails WHERE user_id = :u),"
                " (SELECT count(*) FROM exercises WHERE user_id = :u),"
                " (SELECT count(*) FROM habits WHERE user_id = :u),"
                " (SELECT count(*) FROM goal_milestones WHERE user_id = :u),"
                " (SELECT count(*) FROM audit_log WHERE user_id = :u),"
                " (SELECT count(*) FROM users WHERE id = :b)"
            ),
            {"u": user_a, "b": b["users"]["id"]},
        ).one()
        assert tuple(counts) == (0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
        kept = connection.execute(
            text("SELECT count(*) FROM audit_log WHERE id = :id AND user_id IS NULL"),
            {"id": a["audit_log"]["id"]},
        ).scalar_one()
        assert kept == 1  # the log row outlives its user, as with SET NULL before
