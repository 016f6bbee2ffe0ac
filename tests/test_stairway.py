"""Every revision, one at a time from an empty database: what it creates matches the
checkpoint, its downgrade restores the catalog exactly, and upgrading again recreates it
exactly (function bodies, triggers, views, enum labels, grants included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

import models
from dbtools.alembic_config import alembic_config
from dbtools.catalog import Snapshot, diff, names, snapshot
from dbtools.checkpoint import CHECKPOINT, MANIFEST
from tests.support import SHARED, run_alembic


def revisions_in_order() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def take(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        return snapshot(connection)


def function_names(snap: Snapshot) -> set[str]:
    return {signature.split("(")[0] for signature in names(snap, "functions")}


def test_stairway_with_catalog_snapshots(empty_db: URL, empty_engine: Engine) -> None:
    created: dict[str, tuple[set[str], set[str], set[str]]] = {}
    before = take(empty_engine)
    for revision in revisions_in_order():
        run_alembic(empty_db, "upgrade", revision)
        after = take(empty_engine)
        created[revision] = (
            names(after, "relations", "r") - names(before, "relations", "r"),
            function_names(after) - function_names(before),
            names(after, "relations", "v") - names(before, "relations", "v"),
        )
        run_alembic(empty_db, "downgrade", "-1")
        assert take(empty_engine) == before, f"{revision} down:\n{diff(before, take(empty_engine))}"
        run_alembic(empty_db, "upgrade", revision)
        again = take(empty_engine)
        assert again == after, f"{revision} up again:\n{diff(after, again)}"
        before = after

    assert sorted(created) == sorted(MANIFEST), "every revision has its manifest entry"
    for revision, expected in MANIFEST.items():
        tables, functions, views = created[revision]
        assert tables == expected.tables, revision
        if expected.functions is not None:
            assert functions == expected.functions, revision
        if expected.views is not None:
            assert views == expected.views, revision


SUMMARY_ROW = re.compile(
    r"Migration (?P<rev>\d{4}) \([^)]*\) \| .*?\| (?P<t>\d+) tables, (?P<f>\d+) functions?, "
    r"(?P<v>\d+) views?"
)


def checkpoint_document() -> Path:
    seeds = SHARED / "seeds"
    found = sorted(seeds.glob("000_*.txt"))
    assert found, f"validation checkpoint not found in {seeds}: set IGNITION_SHARED_DIR"
    return found[0]


def test_manifest_covers_every_table_once() -> None:
    tables = [t for created in MANIFEST.values() for t in created.tables]
    assert len(tables) == len(set(tables))
    assert set(tables) == set(models.Base.metadata.tables)
    assert len(tables) == 72


def test_checkpoint_data_matches_the_document() -> None:
    """The counts in dbtools.checkpoint are the document's (0002-0007)."""
    rows = {m["rev"]: m for m in SUMMARY_ROW.finditer(checkpoint_document().read_text())}
    assert sorted(rows) == ["0002", "0003", "0004", "0005", "0006", "0007"]
    for revision, row in rows.items():
        expected = CHECKPOINT[revision]
        assert expected.functions is not None
        assert expected.views is not None
        counted = (len(expected.tables), len(expected.functions), len(expected.views))
        assert counted == (int(row["t"]), int(row["f"]), int(row["v"])), revision


@pytest.mark.parametrize("broken", ["table", "function"])
def test_snapshot_diff_names_what_changed(head_engine: Engine, broken: str) -> None:
    """The snapshot must see changes autogenerate cannot (here: a function body)."""
    from sqlalchemy import text

    before = take(head_engine)
    with head_engine.begin() as connection:
        if broken == "table":
            connection.execute(text("ALTER TABLE habits ADD COLUMN extra integer"))
        else:
            connection.execute(
                text(
                    "CREATE OR REPLACE FUNCTION cleanup_expired_sessions() RETURNS integer "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN 0; END; $$"
                )
            )
    after = take(head_engine)
    assert after != before
    report = diff(before, after)
    assert (
        ("habits | extra" in report)
        if broken == "table"
        else ("cleanup_expired_sessions" in report)
    )
