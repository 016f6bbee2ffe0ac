"""Every revision, one at a time from an empty database: what it creates matches the
checkpoint, its downgrade restores the catalog exactly, and upgrading again recreates it
exactly (function bodies, triggers, views, enum labels, grants included)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import models
from dbtools.alembic_config import alembic_config
from dbtools.catalog import Snapshot, diff, snapshot
from dbtools.checkpoint import CHECKPOINT, DOCUMENT_COUNTS, MANIFEST
from dbtools.validate import RevisionResult


def revisions_in_order() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def take(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        return snapshot(connection)


def test_stairway_with_catalog_snapshots(stairway: list[RevisionResult]) -> None:
    """The walk is ``dbtools.validate.walk`` (the one ``make validate`` documents), run once per
    test session by the ``stairway`` fixture and read here and in test_validate.py."""
    assert [r.revision for r in stairway] == revisions_in_order()
    created: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for result in stairway:
        assert result.rollback_ok, f"{result.revision} down:\n{result.rollback_diff}"
        assert result.reapply_ok, f"{result.revision} up again:\n{result.reapply_diff}"
        created[result.revision] = (set(result.tables), set(result.functions), set(result.views))

    assert sorted(created) == sorted(MANIFEST), "every revision has its manifest entry"
    for revision, expected in MANIFEST.items():
        tables, functions, views = created[revision]
        assert tables == expected.tables, revision
        if expected.functions is not None:
            assert functions == expected.functions, revision
        if expected.views is not None:
            assert views == expected.views, revision


def test_manifest_covers_every_table_once() -> None:
    tables = [t for created in MANIFEST.values() for t in created.tables]
    assert len(tables) == len(set(tables))
    assert set(tables) == set(models.Base.metadata.tables)
    assert len(tables) == 74


def test_checkpoint_data_matches_the_document() -> None:
    """The sets in dbtools.checkpoint have the document's counts (0002-0007); the counts are
    the project's copy of the document (``make check-sources`` compares it with the source)."""
    assert sorted(DOCUMENT_COUNTS) == ["0002", "0003", "0004", "0005", "0006", "0007"]
    for revision, counts in DOCUMENT_COUNTS.items():
        expected = CHECKPOINT[revision]
        assert expected.functions is not None
        assert expected.views is not None
        counted = (len(expected.tables), len(expected.functions), len(expected.views))
        assert counted == counts, revision


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
