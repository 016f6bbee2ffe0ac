"""The import on the tenant-key schema (docs/distribution.md, issue #16): the eight child
tables get their parent's ``user_id`` (derived, never read from D1), ``user_emails`` is filled
from the loaded users and verified, two users with one e-mail are refused against
``user_emails_pkey``, and D1's quests without a user land in ``quest_templates``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from d1import import load as load_module
from d1import import report
from d1import.mapping import DERIVED_FROM_PARENT, build_mapping
from d1import.results import RunResult, TableResult
from d1import.run import run_import
from dbtools.ids import legacy_uuid
from tests.d1_fixture import D1Builder

SITUP = "3_4_Sit-Up"  # a seeded exercise (the children of workouts reference the library)


def user(legacy: str) -> uuid.UUID:
    return legacy_uuid("users", legacy)


def family(d1: D1Builder, who: str) -> None:
    """One user's parents and a child of each of the eight child tables."""
    d1.add("goals", id=f"g_{who}", user_id=who, title="Run")
    d1.add("goal_milestones", id=f"m_{who}", goal_id=f"g_{who}", title="5 km")
    d1.add("workouts", id=f"w_{who}", user_id=who, name="Legs")
    d1.add("workout_sections", id=f"s_{who}", workout_id=f"w_{who}", name="Warm-up")
    d1.add(
        "workout_exercises",
        id=f"e_{who}",
        workout_id=f"w_{who}",
        section_id=f"s_{who}",
        exercise_id=SITUP,
    )
    d1.add("workout_sessions", id=f"ws_{who}", user_id=who, started_at="2025-01-01T08:00:00")
    d1.add("exercise_sets", id=f"es_{who}", session_id=f"ws_{who}", exercise_id=SITUP, set_number=1)
    d1.add("training_programs", id=f"p_{who}", user_id=who, name="Base")
    d1.add("program_weeks", id=f"pw_{who}", program_id=f"p_{who}", week_number=1)
    d1.add("program_workouts", id=f"pk_{who}", program_week_id=f"pw_{who}", workout_id=f"w_{who}")
    d1.add("flashcard_decks", id=f"d_{who}", user_id=who, name="Chords")
    d1.add("flashcards", id=f"c_{who}", deck_id=f"d_{who}", front="C", back="C E G")
    d1.add(
        "reference_tracks",
        id=f"t_{who}",
        user_id=who,
        title="Song",
        r2_key=f"tracks/{who}",
        mime_type="audio/mpeg",
        bytes=1000,
    )
    d1.add("track_analysis_cache", id=f"tc_{who}", track_id=f"t_{who}", analyzed_at="2025-01-02")


def tenant_d1(path: Path) -> Path:
    d1 = D1Builder(path)
    d1.add(
        "users",
        id="u_ann",
        email="Ann@example.org",
        created_at="2025-01-01",
        updated_at="2025-01-01",
    )
    d1.add(
        "users",
        id="u_ben",
        email="ben@example.org",
        created_at="2025-01-01",
        updated_at="2025-01-01",
    )
    # the same e-mail as u_ann but for case: refused, and so are its rows
    d1.add(
        "users",
        id="u_ann2",
        email="ann@EXAMPLE.org",
        created_at="2025-01-02",
        updated_at="2025-01-02",
    )
    family(d1, "u_ann")
    family(d1, "u_ben")
    # a goal that does not convert (its milestone depends on it), a goal of the refused user,
    # and a milestone of a goal D1 does not have
    d1.add("goals", id="g_bad", user_id="u_ann", title="Bad", progress="lots")
    d1.add("goal_milestones", id="m_of_bad", goal_id="g_bad", title="x")
    d1.add("goals", id="g_ann2", user_id="u_ann2", title="Dup")
    d1.add("goal_milestones", id="m_of_ann2", goal_id="g_ann2", title="x")
    d1.add("goal_milestones", id="m_lost", goal_id="g_nowhere", title="x")
    # a program week whose program was refused: its program_workouts depend on it in turn
    d1.add("training_programs", id="p_bad", user_id="u_ben", name="Bad", duration_weeks="four")
    d1.add("program_weeks", id="pw_bad", program_id="p_bad", week_number=1)
    d1.add("program_workouts", id="pk_bad", program_week_id="pw_bad", workout_id="w_ben")
    # quests: a user's, two global ones (one as seeded), one global holding per-user state
    d1.add(
        "quests", id="q_ann", user_id="u_ann", title="Mine", category="focus", difficulty="starter"
    )
    d1.add("quests", id="q_global", title="All", category="focus", difficulty="starter")
    d1.add(
        "quests",
        id="quest_first_focus",
        title="Complete a Focus Session",
        description="Start a focus session and see it through.",
        category="focus",
        difficulty="starter",
        xp_reward=25,
        coin_reward=10,
        is_universal=1,
        created_at="2025-01-01",
    )
    d1.add(
        "quests",
        id="q_global_done",
        user_id="",
        title="Done",
        category="focus",
        difficulty="starter",
        status="completed",
        streak_count=3,
    )
    d1.add(
        "quests", id="q_ghost", user_id="u_ghost", title="x", category="focus", difficulty="starter"
    )
    return d1.close()


def run(path: Path, url: URL, **kwargs: object) -> RunResult:
    return run_import(path, url.render_as_string(hide_password=False), **kwargs)  # type: ignore[arg-type]


def quarantined(engine: Engine) -> dict[str, tuple[str, str | None, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT source_table || ':' || legacy_id, kind, d1_column, detail "
                "FROM d1import.quarantine"
            )
        ).all()
    return {key: (kind, column, detail) for key, kind, column, detail in rows}


def drop_fill_triggers(engine: Engine) -> int:
    """Drops the temporary triggers that fill a child's user_id from its parent (revision
    0025; the tenant-key chain drops them at its end): the import must not need them."""
    with engine.begin() as connection:
        triggers = connection.execute(
            text(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgname LIKE '%fill_user_id'"
            )
        ).all()
        for name, table in triggers:
            connection.execute(text(f'DROP TRIGGER "{name}" ON {table}'))
    return len(triggers)


@pytest.fixture(params=["fill triggers kept", "fill triggers dropped"])
def imported(
    request: pytest.FixtureRequest, tmp_path: Path, seeded_db: URL, seeded_engine: Engine
) -> tuple[RunResult, Engine]:
    if request.param == "fill triggers dropped":
        drop_fill_triggers(seeded_engine)
    return run(tenant_d1(tmp_path / "d1.sqlite"), seeded_db), seeded_engine


def test_every_child_gets_its_parents_user(imported: tuple[RunResult, Engine]) -> None:
    result, engine = imported
    assert result.conserved
    assert all(c["match"] for c in result.checks["checksums"].values())
    owners = {}
    with engine.connect() as connection:
        for child, (via, parent) in DERIVED_FROM_PARENT.items():
            rows = connection.execute(
                text(
                    f'SELECT c.user_id, p.user_id FROM "{child}" c '
                    f'JOIN "{parent}" p ON p.id = c."{via}" ORDER BY c.user_id'
                )
            ).all()
            assert all(mine == theirs for mine, theirs in rows), child
            owners[child] = [mine for mine, _ in rows]
    both = sorted([user("u_ann"), user("u_ben")])
    assert owners == dict.fromkeys(DERIVED_FROM_PARENT, both)


def test_a_child_of_a_refused_parent_is_quarantined_naming_it(
    imported: tuple[RunResult, Engine],
) -> None:
    result, engine = imported
    reasons = quarantined(engine)
    assert reasons["goal_milestones:m_of_bad"] == (
        "depends_on_quarantined",
        "goal_id",
        "goal_id = 'g_bad' references goals row 'g_bad', which is quarantined (invalid_number)",
    )
    assert reasons["goal_milestones:m_of_ann2"][:2] == ("depends_on_quarantined", "goal_id")
    assert reasons["goals:g_ann2"][:2] == ("depends_on_quarantined", "user_id")
    assert reasons["goal_milestones:m_lost"] == (
        "orphan",
        "goal_id",
        "goal_id = 'g_nowhere' references a missing goals row",
    )
    # two generations down: a week of a refused program, a workout slot of that week
    assert reasons["program_weeks:pw_bad"][0] == "depends_on_quarantined"
    assert reasons["program_workouts:pk_bad"] == (
        "depends_on_quarantined",
        "program_week_id",
        "program_week_id = 'pw_bad' references program_weeks row 'pw_bad', which is "
        "quarantined (depends_on_quarantined)",
    )
    milestones = result.tables["goal_milestones"]
    assert (milestones.source_rows, milestones.loaded_rows, milestones.quarantined_rows) == (
        5,
        2,
        3,
    )


def test_two_users_with_one_email_are_refused_against_user_emails(
    imported: tuple[RunResult, Engine],
) -> None:
    result, engine = imported
    assert quarantined(engine)["users:u_ann2"] == (
        "duplicate_key",
        "email",
        "same e-mail as user u_ann: lower(email) = ann@example.org (user_emails_pkey)",
    )
    with engine.connect() as connection:
        emails = connection.execute(
            text("SELECT email_lower, user_id FROM user_emails ORDER BY 1")
        ).all()
    assert [tuple(e) for e in emails] == [
        ("ann@example.org", user("u_ann")),
        ("ben@example.org", user("u_ben")),
    ]
    assert result.checks["target_only"]["user_emails"] == {
        "expected": "one row per user (lower(email), id)",
        "users": 2,
        "rows": 2,
        "users_without_row": 0,
        "rows_without_user": 0,
        "match": True,
    }


def test_quests_without_a_user_land_in_quest_templates(
    imported: tuple[RunResult, Engine],
) -> None:
    result, engine = imported
    quests = result.tables["quests"]
    assert (quests.source_rows, quests.loaded_rows, quests.quarantined_rows) == (5, 3, 2)
    assert quests.already_present_rows == 1  # the seeded starter quest, same values
    assert quests.landed_in == {"quests": 1, "quest_templates": 2}
    counts = result.checks["row_counts"]["quests"]
    assert counts["conserved"]
    assert counts["landed_in"] == {
        "quests": {"loaded": 1, "target_rows": 1},
        "quest_templates": {"loaded": 2, "target_rows": 6},  # 5 seeded, one new
    }
    reasons = quarantined(engine)
    assert reasons["quests:q_global_done"] == (
        "state_without_owner",
        "status, streak_count",
        "a row without user_id goes to quest_templates, which keeps no per-user state, but it "
        "holds status = 'completed', streak_count = 3",
    )
    assert reasons["quests:q_ghost"][:2] == ("orphan", "user_id")
    with engine.connect() as connection:
        mine = connection.execute(text("SELECT id, user_id FROM quests")).one()
        templates = set(connection.execute(text("SELECT id FROM quest_templates")).scalars())
    assert tuple(mine) == (legacy_uuid("quests", "q_ann"), user("u_ann"))
    assert {legacy_uuid("quests", "q_global"), legacy_uuid("quests", "quest_first_focus")} <= (
        templates
    )
    assert "| quests | 5 | 3 (1 in quests, 2 in quest_templates) |" in report.markdown(
        result.report
    )


def test_the_map_lists_the_derived_columns_and_where_quests_go() -> None:
    mapping = build_mapping()
    for child, (via, parent) in DERIVED_FROM_PARENT.items():
        derived = mapping[child].derived["user_id"]
        assert (derived.parent, derived.via, derived.column) == (parent, via, "user_id")
        assert derived.reason.startswith("added where D1 had nothing")
    elsewhere = mapping["quests"].rows_elsewhere
    assert elsewhere is not None
    assert (elsewhere.table, elsewhere.route_by) == ("quest_templates", "user_id")


def test_a_child_pointing_at_another_users_row_is_quarantined(
    tmp_path: Path, seeded_db: URL, seeded_engine: Engine
) -> None:
    """The composite keys of the tenant-key schema ((workout_id, user_id) -> workouts (id,
    user_id), revision 0031): a program slot of Ann's week pointing at Ben's workout cannot
    load, its user being its week's, not the workout's."""
    with seeded_engine.connect() as connection:
        keys = connection.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'program_workouts'::regclass AND contype = 'f'"
            )
        ).scalars()
        assert any(k.startswith("FOREIGN KEY (workout_id, user_id)") for k in keys)
    d1 = D1Builder(tmp_path / "d1.sqlite")
    for who in ("u_ann", "u_ben"):
        d1.add("users", id=who, email=f"{who}@example.org")
        family(d1, who)
    d1.add("program_workouts", id="pk_cross", program_week_id="pw_u_ann", workout_id="w_u_ben")
    result = run(d1.close(), seeded_db)
    assert result.conserved
    assert quarantined(seeded_engine) == {
        "program_workouts:pk_cross": (
            "other_users_parent",
            "workout_id",
            "workout_id = 'w_u_ben' references a workouts row of another user (the row's "
            "user_id must be its parent's)",
        )
    }
    assert result.tables["program_workouts"].loaded_rows == 2


def test_user_emails_commit_with_users_and_a_rerun_keeps_where_quests_went(
    tmp_path: Path, seeded_db: URL, seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted after users: their e-mail rows were committed with them (a resumed run
    skips users). Run to the end, then again: every table resumed, the quests still counted
    where they landed."""
    source = tenant_d1(tmp_path / "d1.sqlite")
    original = load_module.TableLoader.load

    def crash(self: load_module.TableLoader) -> TableResult:
        if self.d1_table == "goals":
            raise KeyboardInterrupt("killed")
        return original(self)

    monkeypatch.setattr(load_module.TableLoader, "load", crash)
    with pytest.raises(KeyboardInterrupt):
        run(source, seeded_db)
    monkeypatch.undo()
    with seeded_engine.connect() as connection:
        pairs = connection.execute(
            text("SELECT count(*) FROM users u JOIN user_emails e ON e.user_id = u.id")
        ).scalar_one()
    assert pairs == 2
    first = run(source, seeded_db)
    assert first.tables["users"].resumed
    assert first.checks["target_only"]["user_emails"]["match"]
    again = run(source, seeded_db)
    assert all(t.resumed for t in again.tables.values())
    assert again.conserved
    assert again.tables["quests"].landed_in == {"quests": 1, "quest_templates": 2}


def test_an_email_already_held_in_user_emails_is_refused_and_reported(
    tmp_path: Path, seeded_db: URL, seeded_engine: Engine
) -> None:
    """An e-mail row already in the target (its user is not: verification flags it) makes
    the D1 user with that e-mail a duplicate of the row's user, not a failed insert."""
    stranger = uuid.UUID("00000000-0000-4000-8000-00000000beef")
    with seeded_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO user_emails (email_lower, user_id) VALUES ('ben@example.org', :u)"),
            {"u": stranger},
        )
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u_ann", email="ann@example.org")
    d1.add("users", id="u_ben", email="Ben@Example.org")
    result = run(d1.close(), seeded_db)
    assert result.conserved
    assert quarantined(seeded_engine) == {
        "users:u_ben": (
            "duplicate_key",
            "email",
            f"same e-mail as user {stranger}: lower(email) = ben@example.org (user_emails_pkey)",
        )
    }
    assert result.checks["target_only"]["user_emails"] | {"expected": None} == {
        "expected": None,
        "users": 1,
        "rows": 2,
        "users_without_row": 0,
        "rows_without_user": 1,
        "match": False,
    }
    assert "| user_emails: not in D1" in report.markdown(result.report)
