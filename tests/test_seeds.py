"""The reference data loader: counts, idempotence, stable ids, edits in place, bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from dbtools.ids import legacy_uuid
from seeds.exercises import CATEGORY
from seeds.loader import DATA_DIR, SeedError, load
from tests.support import ROOT

EXPECTED = {
    "skill_definitions": 6,
    "achievement_definitions": 7,
    "market_items": 6,
    "onboarding_flows": 1,
    "onboarding_steps": 10,
    "learn_topics": 6,
    "learn_drills": 7,
    "universal_quests": 8,
    "quest_templates": 5,
    "ignition_packs": 4,
    "daw_shortcuts": 5,
    "glossary_terms": 5,
    "roles": 2,
    "entitlements": 6,
    "role_entitlements": 7,
    "exercises": 873,
}


def seed(engine: Engine, data_dir: Path = DATA_DIR) -> int:
    with engine.begin() as connection:
        return load(connection, data_dir).changed()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in EXPECTED
        }


def versions(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """(id, xmin) of every seeded row: xmin moves when a row is rewritten."""
    with engine.connect() as connection:
        return {
            table: sorted(
                connection.execute(text(f'SELECT ctid::text, xmin::text FROM "{table}"')).all()
            )
            for table in EXPECTED
        }


def test_counts_after_loading(head_engine: Engine) -> None:
    seed(head_engine)
    assert counts(head_engine) == EXPECTED
    with head_engine.connect() as connection:
        steps = connection.execute(
            text(
                "SELECT count(*) FROM onboarding_steps s JOIN onboarding_flows f "
                "ON f.id = s.flow_id WHERE f.is_active"
            )
        ).scalar_one()
        builtin = connection.execute(
            text("SELECT count(*) FROM exercises WHERE is_builtin AND user_id IS NULL")
        ).scalar_one()
    assert (steps, builtin) == (10, 873)


def test_loading_twice_changes_nothing(head_engine: Engine) -> None:
    seed(head_engine)
    before = versions(head_engine)
    assert seed(head_engine) == 0
    assert versions(head_engine) == before


def test_two_fresh_databases_get_the_same_ids(
    head_engine: Engine, empty_engine: Engine, empty_db: URL
) -> None:
    from tests.support import run_alembic

    run_alembic(empty_db, "upgrade", "head")
    seed(head_engine)
    seed(empty_engine)
    query = text("SELECT id::text FROM skill_definitions UNION ALL SELECT id::text FROM exercises")
    with head_engine.connect() as a, empty_engine.connect() as b:
        assert sorted(a.execute(query).scalars()) == sorted(b.execute(query).scalars())


def test_ids_are_the_import_derivation(head_engine: Engine) -> None:
    seed(head_engine)
    with head_engine.connect() as connection:
        skill = connection.execute(
            text("SELECT id FROM skill_definitions WHERE key = 'focus'")
        ).scalar_one()
        situp = connection.execute(
            text("SELECT id FROM exercises WHERE name = '3/4 Sit-Up'")
        ).scalar_one()
    assert skill == legacy_uuid("skill_definitions", "skill_focus")
    assert situp == legacy_uuid("exercises", "3_4_Sit-Up")


def test_starter_quests_are_templates_with_the_ids_of_d1_quests(head_engine: Engine) -> None:
    """The starter quests are global: they go to quest_templates (quests holds only users'
    quests), under the id D1's quests row has, so the import finds them there."""
    seed(head_engine)
    with head_engine.connect() as connection:
        focus = connection.execute(
            text("SELECT id FROM quest_templates WHERE title = 'Complete a Focus Session'")
        ).scalar_one()
        in_quests = connection.execute(text("SELECT count(*) FROM quests")).scalar_one()
    assert focus == legacy_uuid("quests", "quest_first_focus")
    assert in_quests == 0


def test_an_edited_file_updates_in_place(head_engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    seed(head_engine, data)
    with head_engine.begin() as connection:
        user = connection.execute(
            text("INSERT INTO users (email) VALUES ('a@b.c') RETURNING id")
        ).scalar_one()
        item = connection.execute(
            text("SELECT id FROM market_items WHERE key = 'treat_coffee'")
        ).scalar_one()
        connection.execute(text("SELECT award_coins(:u, 100, 'x')"), {"u": user})
        connection.execute(text("SELECT purchase_item(:u, :i)"), {"u": user, "i": item})
    path = data / "market_items.json"
    document = json.loads(path.read_text())
    coffee = next(r for r in document["rows"] if r["key"] == "treat_coffee")
    coffee["cost_coins"] = 30
    path.write_text(json.dumps(document))
    assert seed(head_engine, data) == 1
    with head_engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, cost_coins FROM market_items WHERE key = 'treat_coffee'")
        ).one()
        bought = connection.execute(text("SELECT count(*) FROM user_purchases")).scalar_one()
    assert tuple(row) == (item, 30)
    assert bought == 1


@pytest.mark.parametrize(
    ("file", "mutate", "message"),
    [
        (
            "skills.json",
            lambda d: d["rows"][2].update(max_level=0),
            r"skills\.json: entry 2 \(skill_fitness\): .*max_level_positive",
        ),
        (
            "market_items.json",
            lambda d: d["rows"][1].update(category="jewels"),
            r"entry 1 \(item_theme_ocean\): invalid input value for enum market_category",
        ),
        (
            "glossary_terms.json",
            lambda d: d["rows"][0].pop("definition"),
            r"glossary_terms\.json: entry 0 \(gloss_bpm\): definition must be given",
        ),
        (
            "learn_topics.json",
            lambda d: d["rows"][3].update(colour="red"),
            r"entry 3 \(topic_rhythm\): learn_topics has no column colour",
        ),
        (
            "roles.json",
            lambda d: d["rows"][0].pop("legacy_id"),
            r"roles\.json: entry 0: legacy_id is missing",
        ),
    ],
)
def test_a_malformed_file_names_file_and_entry_and_loads_nothing(
    head_engine: Engine, tmp_path: Path, file: str, mutate: object, message: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / file
    document = json.loads(path.read_text())
    mutate(document)  # type: ignore[operator]
    path.write_text(json.dumps(document))
    with pytest.raises(SeedError, match=message):
        seed(head_engine, data)
    assert set(counts(head_engine).values()) == {0}


def test_a_file_that_is_not_json_is_named(head_engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "skills.json").write_text('{"table": "skill_definitions", "rows": [')
    with pytest.raises(SeedError, match=r"skills\.json: not valid JSON"):
        seed(head_engine, data)


def test_every_catalogue_category_is_mapped_and_kept() -> None:
    """The catalogue is the repository's copy (``make check-sources`` compares it with D1's)."""
    catalogue = json.loads((DATA_DIR / "exercise_catalogue.json").read_text())
    assert len(catalogue) == 873
    assert {e["category"] for e in catalogue} == set(CATEGORY)


def test_command_line_loads_and_reports(head_db: URL) -> None:
    env = {"DATABASE_URL": head_db.render_as_string(hide_password=False), "PATH": "/usr/bin:/bin"}
    first = subprocess.run(
        [sys.executable, "-m", "seeds"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "exercises: 873 inserted" in first.stdout
    again = subprocess.run(
        [sys.executable, "-m", "seeds"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "exercises: 0 inserted, 0 updated, 873 unchanged" in again.stdout
