"""Loading into bare tables (``d1import.deferral``): the secondary indexes and foreign keys of
the tables the import loads are out of the way while it loads, and the catalog afterwards is
exactly the one ``alembic upgrade head`` made, whether the run completes, fails, is
interrupted, or is killed (then the next run puts them back, and says so)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from d1import import load as load_module
from d1import import parallel, pipeline
from d1import import run as run_module
from d1import.deferral import ConstraintsDoNotHold
from d1import.rules import Rules
from d1import.run import ImportRefused
from dbtools.catalog import diff, snapshot
from tests.d1_fixture import D1Builder
from tests.support import engine_for
from tests.test_d1import import run, scenario, snapshot_data


@pytest.fixture
def target(seeded_db: URL) -> URL:
    return seeded_db


def catalog(url: URL) -> dict[str, Any]:
    with engine_for(url) as engine, engine.connect() as connection:
        return snapshot(connection)


def foreign_keys_and_indexes(engine: Engine, table: str) -> tuple[int, int]:
    with engine.connect() as connection:
        keys = connection.execute(
            text(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).scalar_one()
        indexes = connection.execute(
            text(
                "SELECT count(*) FROM pg_index WHERE NOT indisunique "
                "AND indrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).scalar_one()
    return int(keys), int(indexes)


def one_value(url: URL, query: str) -> Any:
    """The single value ``query`` returns on ``url``'s database."""
    with engine_for(url) as engine, engine.connect() as connection:
        return connection.execute(text(query)).scalar_one()


def deferred_rows(url: URL) -> int:
    with engine_for(url) as engine, engine.connect() as connection:
        if connection.execute(text("SELECT to_regclass('d1import.deferred')")).scalar() is None:
            return 0
        return int(connection.execute(text("SELECT count(*) FROM d1import.deferred")).scalar_one())


def test_the_catalog_after_an_import_is_the_one_head_made(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = catalog(target)
    with engine_for(target) as engine:
        assert foreign_keys_and_indexes(engine, "journal_entries") != (0, 0)
        during: dict[str, tuple[int, int]] = {}
        original = load_module.TableLoader.load

        def watching(self: load_module.TableLoader) -> Any:
            # what the catalog holds while the table loads (another connection: committed)
            during[self.d1_table] = foreign_keys_and_indexes(engine, self.d1_table)
            return original(self)

        monkeypatch.setattr(load_module.TableLoader, "load", watching)
        result = run(scenario(tmp_path / "d1.sqlite"), target)
    assert result.conserved
    assert during["journal_entries"] == (0, 0)  # loaded into a bare table
    assert during["habit_logs"] == (0, 0)
    after = catalog(target)
    assert after == before, diff(before, after)
    assert deferred_rows(target) == 0


def test_a_loaded_tables_indexes_come_back_while_later_tables_load(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deferral.PutBackAsLoaded: users is loaded first; by the time a later table loads,
    its indexes are built again (waited for: another connection builds them)."""
    with engine_for(target) as engine:
        at_head = foreign_keys_and_indexes(engine, "users")
        assert at_head[1] > 0
        seen: list[tuple[int, int]] = []
        original = load_module.TableLoader.load

        def watching(self: load_module.TableLoader) -> Any:
            if self.d1_table == "journal_entries":
                deadline = time.monotonic() + 20
                while (now := foreign_keys_and_indexes(engine, "users")) != at_head:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                seen.append(now)
            return original(self)

        monkeypatch.setattr(load_module.TableLoader, "load", watching)
        result = run(scenario(tmp_path / "d1.sqlite"), target)
    assert result.conserved
    assert seen == [at_head]


def test_a_failed_run_puts_everything_back_before_it_exits_and_resumes(
    tmp_path: Path, target: URL, second_seeded_db: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = scenario(tmp_path / "d1.sqlite")
    run(source, second_seeded_db)
    with engine_for(second_seeded_db) as other:
        reference = snapshot_data(other)
    before = catalog(target)
    original = load_module.TableLoader.load

    def crash(self: load_module.TableLoader) -> Any:
        if self.d1_table == "journal_entries":
            raise KeyboardInterrupt("killed")
        return original(self)

    monkeypatch.setattr(load_module.TableLoader, "load", crash)
    with pytest.raises(KeyboardInterrupt):
        run(source, target)
    monkeypatch.undo()
    after = catalog(target)
    assert after == before, diff(before, after)
    assert deferred_rows(target) == 0
    resumed = run(source, target)
    assert resumed.tables["users"].resumed
    assert catalog(target) == before
    with engine_for(target) as engine:
        assert snapshot_data(engine) == reference


def test_a_killed_run_is_put_back_by_the_next_one_even_a_refused_one(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed outright (nothing of the failing run's clean-up runs): the schema lacks the
    set-aside objects until the next run, which puts them back first and says so."""
    before = catalog(target)
    original = load_module.TableLoader.load

    def crash(self: load_module.TableLoader) -> Any:
        if self.d1_table == "journal_entries":
            raise KeyboardInterrupt("killed")
        return original(self)

    monkeypatch.setattr(load_module.TableLoader, "load", crash)
    monkeypatch.setattr(run_module, "_put_back_after_failure", lambda url: None)
    with pytest.raises(KeyboardInterrupt):
        run(scenario(tmp_path / "d1.sqlite"), target)
    monkeypatch.undo()
    assert deferred_rows(target) > 0
    assert catalog(target) != before
    other = D1Builder(tmp_path / "other.sqlite")
    other.add("users", id="x", email="x@example.org")
    with pytest.raises(ImportRefused, match="an interrupted import had set aside were put back"):
        run(other.close(), target)
    after = catalog(target)
    assert after == before, diff(before, after)
    assert deferred_rows(target) == 0

    # killed again; this time the next run is the same source: it puts them back, says so
    # in its report, sets them aside again for the tables left, and ends with them back
    monkeypatch.setattr(load_module.TableLoader, "load", crash)
    monkeypatch.setattr(run_module, "_put_back_after_failure", lambda url: None)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "d1.sqlite", target)
    monkeypatch.undo()
    assert deferred_rows(target) > 0
    resumed = run(tmp_path / "d1.sqlite", target)
    said = resumed.report["run"]["put_back_first"]
    assert re.fullmatch(r"\d+ indexes and \d+ foreign keys", said)
    assert resumed.conserved
    after = catalog(target)
    assert after == before, diff(before, after)


def test_a_foreign_key_the_rows_break_comes_back_not_valid_and_the_run_fails(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding the keys back validated checks the orphan rule's reasoning over every row: with
    the rule switched off, the orphan journal entry loads and the run fails naming the key;
    the key is there (NOT VALID: it guards new rows), nothing is left set aside."""
    monkeypatch.setattr(Rules, "orphans", lambda self, fk: sql.SQL("SELECT 1 WHERE false"))
    with pytest.raises(ConstraintsDoNotHold, match="journal_entries_user_id_fkey"):
        run(scenario(tmp_path / "d1.sqlite"), target)
    assert deferred_rows(target) == 0
    valid = one_value(
        target,
        "SELECT convalidated FROM pg_constraint WHERE conname = 'journal_entries_user_id_fkey'",
    )
    assert valid is False


def test_a_dry_run_leaves_the_catalog_as_it_was(tmp_path: Path, target: URL) -> None:
    before = catalog(target)
    result = run(scenario(tmp_path / "d1.sqlite"), target, dry_run=True)
    assert result.conserved
    after = catalog(target)
    assert after == before, diff(before, after)


def test_whatever_the_catalog_holds_comes_back_exactly(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is a hard-coded list: an expression index with a predicate and a comment, a
    deferrable composite key with its own actions, a key left NOT VALID, a commented key (as
    later revisions may add) are set aside and come back as they were; and the conversion
    runs in processes of its own, ahead of the loads."""
    with engine_for(target) as engine, engine.begin() as connection:
        connection.execute(
            text(
                "CREATE INDEX habits_active_name_idx ON habits (lower(name)) WHERE is_active;"
                "COMMENT ON INDEX habits_active_name_idx IS 'a later revision''s index';"
                "CREATE UNIQUE INDEX habits_id_user_key ON habits (id, user_id);"
                "ALTER TABLE habit_logs ADD CONSTRAINT habit_logs_habit_user_fkey "
                "FOREIGN KEY (habit_id, user_id) REFERENCES habits (id, user_id) "
                "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;"
                "COMMENT ON CONSTRAINT habit_logs_habit_user_fkey ON habit_logs IS 'composite';"
                "ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_user_again_fkey "
                "FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"
            )
        )
    before = catalog(target)
    converted_by = tmp_path / "converted_by"  # the converting process writes it: a file
    original = load_module.TableLoader.convert

    def recording(self: load_module.TableLoader, spool: load_module.Spool | None = None) -> Any:
        with converted_by.open("a") as record:
            record.write(f"{self.d1_table} {os.getpid()}\n")
        return original(self, spool)

    monkeypatch.setattr(load_module.TableLoader, "convert", recording)
    result = run(scenario(tmp_path / "d1.sqlite"), target)
    assert result.conserved
    processes = dict(line.split() for line in converted_by.read_text().splitlines())
    assert "journal_entries" in processes
    assert 1 <= len(set(processes.values())) <= pipeline.WORKERS
    assert str(os.getpid()) not in processes.values()
    after = catalog(target)
    assert after == before, diff(before, after)
    with engine_for(target) as engine, engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT conname, convalidated, obj_description(oid, 'pg_constraint') "
                "FROM pg_constraint WHERE conname IN "
                "('habit_logs_habit_user_fkey', 'journal_entries_user_again_fkey') ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("habit_logs_habit_user_fkey", True, "composite"),
        ("journal_entries_user_again_fkey", False, None),
    ]


def test_tables_load_side_by_side_only_after_what_they_read(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """d1import.parallel: a table waits for the tables its rules read (habit logs for habits
    and users) and for earlier tables that read what it writes; tables that share only a
    parent (the ledger and the activity events) do not wait for each other."""
    captured: dict[str, Any] = {}
    original = parallel.dependencies

    def recording(groups: Any, writers: Any) -> list[set[int]]:
        needs = original(groups, writers)
        captured["index"] = {table: k for k, (table, _total, _group) in enumerate(groups)}
        captured["needs"] = needs
        return needs

    monkeypatch.setattr(parallel, "dependencies", recording)
    result = run(scenario(tmp_path / "d1.sqlite"), target)
    assert result.conserved
    index, needs = captured["index"], captured["needs"]
    assert all(need <= set(range(k)) for k, need in enumerate(needs))
    assert {index["habits"], index["users"]} <= needs[index["habit_logs"]]
    assert index["users"] in needs[index["points_ledger"]]
    first, second = sorted((index["points_ledger"], index["activity_events"]))
    assert first not in needs[second]


@pytest.mark.parametrize("bare_from", [0, 10**9], ids=["big enough", "too small"])
def test_an_empty_table_fills_without_its_keys_and_has_them_again_when_committed(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch, bare_from: int
) -> None:
    """d1import.bare_keys: journal_entries' primary key is not there while its rows go in
    (the insert sees no index on the table), is there again in the same transaction, and
    nobody is asked first whether it repeats (making it again checks that). A table of
    fewer rows than ``BARE_KEYS_FROM`` keeps its keys (the scenario's tables are tiny: the
    threshold is set for the test)."""
    monkeypatch.setattr(load_module, "BARE_KEYS_FROM", bare_from)
    indexes_at_insert: dict[str, int] = {}
    asked: list[str] = []
    original_insert = load_module.TableLoader._insert
    original_repeating = Rules.repeating

    def inserting(self: load_module.TableLoader) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass",
            (f"public.{self.target.name}",),
        ).fetchone()
        indexes_at_insert[self.target.name] = int(row[0]) if row else -1
        return original_insert(self)

    def repeating(self: Rules, indexes: list[Any]) -> Any:
        asked.extend(index.name for index in indexes)
        return original_repeating(self, indexes)

    monkeypatch.setattr(load_module.TableLoader, "_insert", inserting)
    monkeypatch.setattr(Rules, "repeating", repeating)
    before = catalog(target)
    result = run(scenario(tmp_path / "d1.sqlite"), target)
    assert result.conserved
    if bare_from == 0:
        assert indexes_at_insert["journal_entries"] == 0
        assert "journal_entries_pkey" not in asked
    else:
        assert indexes_at_insert["journal_entries"] == 1  # its key (the others are set aside)
        assert "journal_entries_pkey" in asked
    assert catalog(target) == before
    primary = one_value(
        target,
        "SELECT count(*) FROM pg_index WHERE indisprimary AND indisvalid "
        "AND indrelid = 'journal_entries'::regclass",
    )
    assert primary == 1


def test_a_key_that_repeats_in_d1_is_still_quarantined_when_its_table_fills_bare(
    tmp_path: Path, target: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite holds two habits whose ids differ only by case; in PostgreSQL they are one
    uuid. Making the key again finds the repeat: the rules are done again, asking, and the
    later row is quarantined as a duplicate key, the earlier one loaded; the rows land in
    D1's order."""
    monkeypatch.setattr(load_module, "BARE_KEYS_FROM", 0)  # five habits are enough here
    habit = "5f0c1b8e-3c1a-4d6e-9a47-2b1f0e6d7c11"
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u_ann", email="ann@example.org")
    d1.add("habits", id="h_first", user_id="u_ann", name="first")
    d1.add("habits", id=habit.upper(), user_id="u_ann", name="upper")
    d1.add("habits", id="h_between", user_id="u_ann", name="between")
    d1.add("habits", id=habit, user_id="u_ann", name="lower")
    d1.add("habits", id="h_last", user_id="u_ann", name="last")
    before = catalog(target)
    result = run(d1.close(), target)
    assert result.conserved
    assert (result.tables["habits"].loaded_rows, result.tables["habits"].quarantined_rows) == (4, 1)
    with engine_for(target) as engine, engine.connect() as connection:
        reason = connection.execute(
            text(
                "SELECT kind, d1_column FROM d1import.quarantine "
                "WHERE source_table = 'habits' AND legacy_id = :id"
            ),
            {"id": habit},
        ).one()
        names = connection.execute(text("SELECT name FROM habits ORDER BY ctid")).scalars().all()
    assert tuple(reason) == ("duplicate_key", "id, user_id")  # the tenant key
    assert names == ["first", "upper", "between", "last"]
    assert catalog(target) == before


def test_the_biggest_table_that_may_go_next_goes_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """parallel.largest_first: an order in which every group still follows the groups it
    depends on, and among those free to go, the one with the most rows goes first."""
    needs = [set(), {0}, {0}, {1}, set()]
    monkeypatch.setattr(parallel, "dependencies", lambda groups, writers: needs)
    groups: list[Any] = [
        ("users", 10, []),
        ("habits", 5, []),
        ("ledger", 100, []),
        ("logs", 50, []),
    ]
    groups.append(("glossary", 7, []))
    order = parallel.largest_first(groups, {})
    assert order == [0, 2, 4, 1, 3]
    assert all(needs[k] <= set(order[:i]) for i, k in enumerate(order))
