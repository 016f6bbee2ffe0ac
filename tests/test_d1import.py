"""The D1 → Postgres import on generated D1 databases: every case the issue lists."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from d1import import load as load_module
from d1import.mapping import build_mapping
from d1import.results import RunResult
from d1import.run import ImportRefused, run_import
from d1import.source import SourceError
from dbtools.ids import legacy_uuid
from seeds.loader import read_seed_files
from tests.d1_fixture import DIRTY, D1Builder, dirty_d1, write_dump
from tests.support import ROOT, engine_for, run_alembic

UPPER_UUID = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
RAW_TOKEN = "raw-session-token-must-never-leave-d1"
RAW_SIGN_IN_TOKEN = "raw-sign-in-token-must-never-leave-d1"
LONG_TEXT = "long " * 20_000
TRICKY_TEXT = 'it\'s "quoted"\nsecond line\n\ttab, emoji 🎉, nul-free'


def scenario(path: Path) -> Path:
    """A D1 database with every case the import must handle."""
    d1 = D1Builder(path)
    # users: a non-UUID id, an upper-case UUID, epoch/ISO timestamps, boolean spellings
    d1.add(
        "users",
        id="user_ada",
        email="ada@example.org",
        name="Ada",
        emailVerified=1700000000,
        approved="true",
        tos_accepted="0",
        created_at="2025-01-02 03:04:05",
        updated_at="2025-01-02T03:04:05.123Z",
    )
    d1.add(
        "users",
        id=UPPER_UUID,
        email="grace@example.org",
        approved=0,
        tos_accepted=1,
        created_at=1700000000123,
        updated_at="2025-03-01T10:00:00+02:00",
    )
    d1.add(
        "users",
        id="user_ada_again",
        email="ADA@example.org",
        created_at="2025-02-01",
        updated_at="2025-02-01",
    )  # differs from user_ada only by case: the later one goes
    d1.add(
        "users",
        id="user_bob",
        email="bob@example.org",
        last_activity_at="",
        created_at="2025-01-03",
        updated_at="2025-01-03",
    )
    # children of the non-UUID and upper-case ids, and of the quarantined duplicate
    d1.add(
        "accounts",
        id="acc_1",
        userId="user_ada",
        type="oauth",
        provider="github",
        providerAccountId="1",
        access_token="secret-access",
        refresh_token="secret-refresh",
    )
    d1.add(
        "accounts",
        id="acc_2",
        userId=UPPER_UUID.lower(),
        type="oauth",
        provider="google",
        providerAccountId="2",
    )
    d1.add(
        "accounts",
        id="acc_3",
        userId="user_ada_again",
        type="oauth",
        provider="apple",
        providerAccountId="3",
    )
    d1.add(
        "sessions",
        id="sess_1",
        sessionToken=RAW_TOKEN,
        userId="user_ada",
        expires="2099-01-01T00:00:00Z",
    )
    d1.add(
        "verification_tokens",
        identifier="ada@example.org",
        token=RAW_SIGN_IN_TOKEN,
        expires="2099-01-01T00:00:00Z",
    )
    # wallet disagreeing with the ledger (loaded as is), and a negative wallet
    d1.add("user_wallet", id="w_ada", user_id="user_ada", coins=50, xp=10)
    d1.add("user_wallet", id="w_bob", user_id="user_bob", coins=-5, xp=0)
    d1.add(
        "points_ledger",
        id="l_1",
        user_id="user_ada",
        event_type="award",
        coins=40,
        xp=10,
        event_id="focus_abc",
        idempotency_key="k1",
    )
    # enum outside its type, integer beyond INTEGER, orphan, JSON problems, tricky text
    d1.add(
        "focus_sessions",
        id="f_nap",
        user_id="user_bob",
        mode="nap",
        duration=300,
        started_at="2025-01-01",
    )
    d1.add(
        "focus_sessions",
        id="f_ok",
        user_id="user_bob",
        mode="focus",
        duration=1500,
        started_at="2025-01-01T09:00:00",
        status="completed",
    )
    d1.add("books", id="b_big", user_id="user_bob", title="Huge", total_pages=2**40)
    d1.add("journal_entries", id="j_orphan", user_id="user_gone", content="nobody's")
    d1.add("journal_entries", id="j_tags", user_id="user_bob", content="x", tags_json='{"a": 1}')
    d1.add(
        "journal_entries",
        id="j_text",
        user_id="user_bob",
        title="",
        content=TRICKY_TEXT,
        tags_json='["a","b"]',
    )
    d1.add("journal_entries", id="j_long", user_id="user_bob", content=LONG_TEXT)
    d1.add(
        "activity_events",
        id="ev_bad",
        user_id="user_bob",
        event_type="x",
        metadata_json="{not json",
    )
    d1.add("habits", id="h_1", user_id="user_bob", name="Stretch", is_active="false")
    d1.add("habit_logs", id="hl_1", habit_id="h_1", user_id="user_bob", completed_at="2025-01-05")
    # a reference row the seeds already hold, under the same derived id, as seeded; and one
    # that D1 edited (name and cost): a difference for the operator, not "loaded"
    d1.add("skill_definitions", **seed_row("skills", "skill_focus"))
    d1.add(
        "market_items",
        **seed_row("market_items", "item_theme_dark") | {"name": "Dark", "cost_coins": 1},
    )
    d1.add("user_skills", id="us_1", user_id="user_bob", skill_key="focus", current_stars=3)
    d1.add("db_metadata", key="db_version", value="100")
    return d1.close()


def seed_row(seed_file: str, legacy_id: str) -> dict[str, Any]:
    """A row of ``seeds/data/<seed_file>.json`` as D1 holds it (booleans as 0/1)."""
    rows = json.loads((ROOT / "seeds" / "data" / f"{seed_file}.json").read_text())["rows"]
    row = next(r for r in rows if r["legacy_id"] == legacy_id)
    values = {("id" if k == "legacy_id" else k): v for k, v in row.items()}
    return {k: int(v) if isinstance(v, bool) else v for k, v in values.items()}


@pytest.fixture
def seeded(seeded_engine: Engine) -> Engine:
    return seeded_engine


@pytest.fixture
def head_db(seeded_db: URL) -> URL:
    """The import's target here: at head, with the seeds loaded (as `make upgrade` leaves it)."""
    return seeded_db


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def import_cli(source: Path, url: URL, report_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python -m d1import SOURCE --database-url URL --report DIR``, as an operator runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "d1import",
            str(source),
            "--database-url",
            url_text(url),
            "--report",
            str(report_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def run(path: Path, url: URL, **kwargs: Any) -> RunResult:
    return run_import(path, url_text(url), **kwargs)


def quarantine(engine: Engine) -> dict[str, tuple[str, str | None, str]]:
    """``table:legacy id`` (``table:#rowid`` when the id is NULL) → (kind, D1 column, detail)."""
    with engine.connect() as connection:
        if connection.execute(text("SELECT to_regclass('d1import.quarantine')")).scalar() is None:
            return {}
        rows = connection.execute(
            text(
                "SELECT source_table || ':' || COALESCE(legacy_id, '#' || source_rowid), kind, "
                "d1_column, detail FROM d1import.quarantine"
            )
        ).all()
        return {key: (kind, column, detail) for key, kind, column, detail in rows}


def test_every_row_is_loaded_or_quarantined_with_its_reason(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    result = run(scenario(tmp_path / "d1.sqlite"), head_db)
    assert result.conserved
    assert all(t.source_rows == t.loaded_rows + t.quarantined_rows for t in result.tables.values())
    assert result.tables["users"].quarantined_rows == 1
    assert all(c["match"] for c in result.checks["checksums"].values())

    reasons = quarantine(seeded)
    kind, column, detail = reasons["users:user_ada_again"]
    assert (kind, column) == ("duplicate_key", "email")
    # Reported against user_emails, which holds the e-mail's uniqueness on the tenant-key
    # schema (users_email_lower_key goes): the same reason whether or not that index is there.
    assert (
        detail == "same e-mail as user user_ada: lower(email) = ada@example.org (user_emails_pkey)"
    )
    assert reasons["accounts:acc_3"] == (
        "depends_on_quarantined",
        "userId",
        "userId = 'user_ada_again' references users row 'user_ada_again', "
        "which is quarantined (duplicate_key)",
    )
    assert reasons["focus_sessions:f_nap"] == (
        "enum_value",
        "mode",
        "'nap' is not a value of focus_mode (focus, break, long_break)",
    )
    assert reasons["books:b_big"] == (
        "out_of_range",
        "total_pages",
        "1099511627776 is out of range for integer",
    )
    assert reasons["journal_entries:j_orphan"] == (
        "orphan",
        "user_id",
        "user_id = 'user_gone' references a missing users row",
    )
    assert reasons["journal_entries:j_tags"] == (
        "not_a_json_array",
        "tags_json",
        "expected a JSON array, got dict",
    )
    assert reasons["activity_events:ev_bad"][:2] == ("invalid_json", "metadata_json")
    assert reasons["user_wallet:w_bob"][:2] == ("check", "coins")
    assert reasons["market_items:item_theme_dark"] == (
        "differs_from_existing",
        "name, cost_coins",
        "a row with this id is already in the database; it differs in: name, cost_coins",
    )
    assert len(reasons) == 9


def test_ids_are_remapped_and_references_rewritten(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    run(scenario(tmp_path / "d1.sqlite"), head_db)
    ada, grace = legacy_uuid("users", "user_ada"), uuid.UUID(UPPER_UUID.lower())
    with seeded.connect() as connection:
        owners: dict[str, uuid.UUID] = dict(
            connection.execute(text("SELECT provider, user_id FROM accounts")).all()
        )
        mapped: dict[str, uuid.UUID] = dict(
            connection.execute(
                text("SELECT legacy_id, new_id FROM d1import.id_map WHERE source_table = 'users'")
            ).all()
        )
        log_habit = connection.execute(text("SELECT habit_id FROM habit_logs")).scalar_one()
    assert owners == {"github": ada, "google": grace}
    assert mapped[UPPER_UUID] == grace
    assert mapped["user_ada"] == ada
    assert log_habit == legacy_uuid("habits", "h_1")


def test_values_are_converted_exactly(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    run(scenario(tmp_path / "d1.sqlite"), head_db)
    with seeded.connect() as connection:
        users = {
            r.email: r
            for r in connection.execute(
                text(
                    "SELECT email, approved, tos_accepted, email_verified::text AS verified, "
                    "created_at::text AS created, updated_at::text AS updated, last_activity_at "
                    "FROM users"
                )
            )
        }
        entries: dict[str, str] = dict(
            connection.execute(
                text("SELECT id::text, ROW(title, content, tags)::text FROM journal_entries")
            ).all()
        )
        texts = connection.execute(text("SELECT title, content, tags FROM journal_entries")).all()
        habit_active = connection.execute(text("SELECT is_active FROM habits")).scalar_one()
        event_id = connection.execute(text("SELECT event_id FROM points_ledger")).scalar_one()
    ada, grace, bob = users["ada@example.org"], users["grace@example.org"], users["bob@example.org"]
    assert (ada.approved, ada.tos_accepted, grace.approved, grace.tos_accepted) == (
        True,
        False,
        False,
        True,
    )
    assert ada.verified == "2023-11-14 22:13:20+00"
    assert (ada.created, ada.updated) == ("2025-01-02 03:04:05+00", "2025-01-02 03:04:05.123+00")
    assert (grace.created, grace.updated) == (
        "2023-11-14 22:13:20.123+00",
        "2025-03-01 08:00:00+00",
    )
    assert bob.last_activity_at is None  # '' in a nullable timestamp column
    assert habit_active is False
    assert event_id == legacy_uuid("event", "focus_abc")
    assert ("", TRICKY_TEXT, ["a", "b"]) in [tuple(t) for t in texts]
    assert (None, LONG_TEXT, None) in [tuple(t) for t in texts]
    assert entries


def test_wallets_that_disagree_with_the_ledger_are_loaded_and_reported(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    result = run(scenario(tmp_path / "d1.sqlite"), head_db)
    assert result.checks["wallet_ledger_mismatches"] == {
        "count": 1,
        "listed": [
            {
                "user_id": str(legacy_uuid("users", "user_ada")),
                "legacy_id": "user_ada",
                "wallet_coins": 50,
                "ledger_coins": 40,
                "wallet_xp": 10,
                "ledger_xp": 10,
            }
        ],
    }
    with seeded.connect() as connection:
        assert connection.execute(text("SELECT coins FROM user_wallet")).scalar_one() == 50


def test_session_tokens_reach_postgres_only_as_their_hash(
    tmp_path: Path, head_db: URL, seeded: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib

    caplog.set_level(logging.DEBUG)
    source = scenario(tmp_path / "d1.sqlite")
    report_dir = tmp_path / "report"
    completed = import_cli(source, head_db, report_dir)
    assert completed.returncode == 0, completed.stderr
    secrets = [RAW_TOKEN, RAW_SIGN_IN_TOKEN, "secret-access", "secret-refresh"]
    with seeded.connect() as connection:
        assert bytes(connection.execute(text("SELECT token_hash FROM sessions")).scalar_one()) == (
            hashlib.sha256(RAW_TOKEN.encode()).digest()
        )
        assert bytes(
            connection.execute(text("SELECT token_hash FROM verification_tokens")).scalar_one()
        ) == (hashlib.sha256(RAW_SIGN_IN_TOKEN.encode()).digest())
        for schema, table in connection.execute(
            text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('public', 'd1import') AND table_type = 'BASE TABLE'"
            )
        ):
            dump = connection.execute(
                text(
                    f"SELECT COALESCE(string_agg(t::text, '|'), '') FROM \"{schema}\".\"{table}\" t"
                )
            ).scalar_one()
            assert RAW_TOKEN not in dump, f"{schema}.{table}"
            assert RAW_SIGN_IN_TOKEN not in dump, f"{schema}.{table}"
    everything_written = (
        completed.stdout
        + completed.stderr
        + caplog.text
        + "".join(p.read_text() for p in report_dir.iterdir())
    )
    for secret in secrets:
        assert secret not in everything_written


def test_quarantined_rows_keep_their_values_but_not_secrets(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u1", email="a@b.c")
    d1.add("sessions", id="s_orphan", sessionToken=RAW_TOKEN, userId="nobody", expires="2099-01-01")
    run(d1.close(), head_db)
    with seeded.connect() as connection:
        row = connection.execute(
            text("SELECT source_row FROM d1import.quarantine WHERE legacy_id = 's_orphan'")
        ).scalar_one()
    assert row == {
        "id": "s_orphan",
        "sessionToken": "[redacted]",
        "userId": "nobody",
        "expires": "2099-01-01",
    }


def test_a_secret_that_does_not_convert_is_not_shown_in_its_reason(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u1", email="a@b.c")
    secret = "secret-access\x00token"
    d1.add(
        "accounts",
        id="acc_nul",
        userId="u1",
        type="oauth",
        provider="github",
        providerAccountId="1",
        access_token=secret,
    )
    run(d1.close(), head_db)
    with seeded.connect() as connection:
        record = connection.execute(
            text(
                "SELECT kind, d1_column, detail, source_row::text AS source_row "
                "FROM d1import.quarantine"
            )
        ).one()
    assert (record.kind, record.d1_column) == ("invalid_text", "access_token")
    assert "secret-access" not in record.detail + record.source_row


def test_a_dump_loads_exactly_like_the_database(
    tmp_path: Path, head_db: URL, seeded: Engine, second_seeded_db: URL
) -> None:
    source = scenario(tmp_path / "d1.sqlite")
    dump = write_dump(source, tmp_path / "d1.sql")
    assert "replace('" in dump.read_text()
    run(source, head_db)
    from_dump = run(dump, second_seeded_db)
    assert from_dump.source_kind == "dump"
    with engine_for(second_seeded_db) as other:
        assert snapshot_data(other) == snapshot_data(seeded)


def test_a_broken_dump_names_the_line(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    dump = tmp_path / "broken.sql"
    dump.write_text('PRAGMA defer_foreign_keys=TRUE;\nINSERT INTO "nowhere" VALUES(1);\n')
    with pytest.raises(
        SourceError, match=r"broken\.sql: line 2: INSERT INTO nowhere: no such table: nowhere"
    ):
        run(dump, head_db)


def test_reference_rows_already_seeded_count_as_loaded(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    result = run(scenario(tmp_path / "d1.sqlite"), head_db)
    skills = result.tables["skill_definitions"]
    assert (skills.source_rows, skills.loaded_rows, skills.already_present_rows) == (1, 1, 1)
    items = result.tables["market_items"]
    assert (items.source_rows, items.loaded_rows, items.quarantined_rows) == (1, 0, 1)
    assert result.checks["differences_from_existing"] == {
        "count": 1,
        "listed": [
            {"table": "market_items", "legacy_id": "item_theme_dark", "columns": "name, cost_coins"}
        ],
    }
    assert result.tables["user_skills"].loaded_rows == 1


def snapshot_data(engine: Engine) -> dict[str, str]:
    """Checksums of what the import decides: for D1's tables the columns D1 fills (columns
    filled by a default such as now() differ between any two runs), the id map, quarantine."""
    mapping = build_mapping()
    seeded_tables = {seed.table.name for seed in read_seed_files()}
    stamped = {"created_at", "updated_at"}  # set by now() when the seeds wrote the row
    selects = {
        table: ", ".join(
            [
                f'"{c.column}"'
                for c in table_map.columns.values()
                if c.column and not (table in seeded_tables and c.column in stamped)
            ]
            + [f'"{column}"' for column in table_map.derived]  # a child's user_id
        )
        for table, table_map in mapping.items()
    }
    selects["quest_templates"] = "id, title, category, is_universal"  # D1's global quests
    selects["d1import.id_map"] = "*"
    with engine.connect() as connection:
        sums = {}
        for table, columns in selects.items():
            if (
                table.startswith("d1import.")
                and connection.execute(text(f"SELECT to_regclass('{table}')")).scalar() is None
            ):
                continue
            name = table if "." in table else f'"{table}"'
            sums[table] = connection.execute(
                text(
                    "SELECT count(*) || ':' || md5(COALESCE(string_agg(x::text, '|' "
                    f"ORDER BY x::text), '')) FROM (SELECT {columns} FROM {name}) x"
                )
            ).scalar_one()
    return sums | {"quarantine": str(sorted(quarantine(engine).items()))}


def test_running_again_changes_nothing(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    source = scenario(tmp_path / "d1.sqlite")
    first = run(source, head_db)
    before = snapshot_data(seeded)
    again = run(source, head_db)
    assert all(t.resumed for t in again.tables.values())
    assert {t: r.loaded_rows for t, r in again.tables.items()} == {
        t: r.loaded_rows for t, r in first.tables.items()
    }
    assert snapshot_data(seeded) == before


@pytest.mark.parametrize("stop_at", ["focus_sessions:start", "journal_entries:copy"])
def test_an_interrupted_run_resumes_to_the_same_result(
    tmp_path: Path,
    head_db: URL,
    seeded: Engine,
    second_seeded_db: URL,
    monkeypatch: pytest.MonkeyPatch,
    stop_at: str,
) -> None:
    source = scenario(tmp_path / "d1.sqlite")
    run(source, second_seeded_db)  # the uninterrupted reference
    with engine_for(second_seeded_db) as other:
        reference = snapshot_data(other)

    table, where = stop_at.split(":")
    original_load, original_copy = (
        load_module.TableLoader.load,
        load_module.TableLoader._copy_into_stage,
    )

    def crash_load(self: load_module.TableLoader) -> Any:
        if self.d1_table == table:
            raise KeyboardInterrupt("killed")
        return original_load(self)

    def crash_copy(self: load_module.TableLoader) -> Any:
        if self.d1_table == table:
            original_copy(self)
            raise KeyboardInterrupt("killed after the COPY")
        return original_copy(self)

    monkeypatch.setattr(
        load_module.TableLoader,
        "load" if where == "start" else "_copy_into_stage",
        crash_load if where == "start" else crash_copy,
    )
    with pytest.raises(KeyboardInterrupt):
        run(source, head_db)
    monkeypatch.undo()
    resumed = run(source, head_db)
    assert resumed.tables["users"].resumed
    assert not resumed.tables[table].resumed
    assert snapshot_data(seeded) == reference


def test_refuses_a_target_not_at_head(tmp_path: Path, empty_db: URL) -> None:
    run_alembic(empty_db, "upgrade", "0007")
    with pytest.raises(ImportRefused, match="at revision 0007, not at head"):
        run(scenario(tmp_path / "d1.sqlite"), empty_db)


def test_refuses_user_data_from_elsewhere(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    with seeded.begin() as connection:
        connection.execute(text("INSERT INTO users (email) VALUES ('someone@else.org')"))
    with pytest.raises(
        ImportRefused, match="already holds user data that did not come from this source"
    ):
        run(scenario(tmp_path / "d1.sqlite"), head_db)


def test_refuses_a_second_source(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    run(scenario(tmp_path / "a.sqlite"), head_db)
    other = D1Builder(tmp_path / "b.sqlite")
    other.add("users", id="x", email="x@y.z")
    with pytest.raises(ImportRefused, match="did not come from this source"):
        run(other.close(), head_db)


def test_refuses_tables_and_columns_it_does_not_know(
    tmp_path: Path, head_db: URL, seeded: Engine
) -> None:
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.connection.execute("CREATE TABLE mystery (id TEXT PRIMARY KEY)")
    with pytest.raises(SourceError, match=r"tables not in the D1 map .*: mystery"):
        run(d1.close(), head_db)
    d1 = D1Builder(tmp_path / "d2.sqlite")
    d1.connection.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
    with pytest.raises(SourceError, match="users has columns not in the D1 map: nickname"):
        run(d1.close(), head_db)


def test_dry_run_writes_nothing(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    before = snapshot_data(seeded)
    result = run(scenario(tmp_path / "d1.sqlite"), head_db, dry_run=True)
    assert result.dry_run
    assert result.tables["users"].loaded_rows == 3
    assert result.tables["users"].quarantined_rows == 1
    assert snapshot_data(seeded) == before
    with seeded.connect() as connection:
        assert connection.execute(text("SELECT to_regnamespace('d1import')")).scalar() is None


def test_command_line_report_and_exit_codes(tmp_path: Path, head_db: URL, seeded: Engine) -> None:
    source = scenario(tmp_path / "d1.sqlite")
    report_dir = tmp_path / "out"
    ok = import_cli(source, head_db, report_dir)
    assert ok.returncode == 0, ok.stderr
    report = json.loads((report_dir / "report.json").read_text())
    assert report["source"]["sha256"]
    assert report["rows_per_second"] > 0
    assert report["tables"]["users"] == {
        "source_rows": 4,
        "loaded_rows": 3,
        "already_present_rows": 0,
        "quarantined_rows": 1,
        "resumed": False,
    }
    groups = {(g["table"], g["kind"], g["column"]): g for g in report["quarantine"]["groups"]}
    duplicate = groups[("users", "duplicate_key", "email")]
    assert (duplicate["rows"], [e["legacy_id"] for e in duplicate["examples"]]) == (
        1,
        ["user_ada_again"],
    )
    assert report["quarantine"]["rows"] == report["totals"]["quarantined_rows"] == 9
    assert set(report["checks"]) >= {
        "row_counts",
        "differences_from_existing",
        "wallet_ledger_mismatches",
        "checksums",
    }
    assert "| users | 4 | 3 | 0 | 1 |" in (report_dir / "report.md").read_text()
    with seeded.connect() as connection:
        stored = connection.execute(
            text("SELECT status, report FROM d1import.runs ORDER BY id DESC LIMIT 1")
        ).one()
    assert stored.status == "completed"
    assert stored.report["totals"] == report["totals"]

    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "d1import",
            str(tmp_path / "nope.sqlite"),
            "--database-url",
            url_text(head_db),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "nope.sqlite: no such file" in missing.stderr


def expected_quarantine() -> dict[tuple[str, int], tuple[str, str | None]]:
    """(table, SQLite rowid) -> (kind, D1 column) of every dirty row that must not load."""
    rowids = {"users": 1, "journal_entries": 1, "activity_events": 1, "books": 1}
    expected = {}
    for case in DIRTY:
        rowids[case.table] = rowids.get(case.table, 0) + 1
        if case.kind is not None:
            expected[(case.table, rowids[case.table])] = (case.kind, case.column)
    return expected


@pytest.mark.parametrize("form", ["sqlite", "dump"])
def test_every_awkward_value_is_quarantined_with_its_kind_or_loads_exactly(
    tmp_path: Path, head_db: URL, seeded: Engine, form: str
) -> None:
    source = dirty_d1(tmp_path / "dirty.sqlite")
    if form == "dump":
        source = write_dump(source, tmp_path / "dirty.sql")
    result = run(source, head_db)
    with seeded.connect() as connection:
        records = connection.execute(
            text("SELECT source_table, source_rowid, kind, d1_column FROM d1import.quarantine")
        ).all()
        per_table: dict[str, int] = dict(
            connection.execute(
                text("SELECT source_table, count(*) FROM d1import.quarantine GROUP BY 1")
            ).all()
        )
        for case in DIRTY:
            if case.kind is not None:
                continue
            row_id = legacy_uuid(case.table, case.values["id"])
            for expression, value in case.loads_as.items():
                found = connection.execute(
                    text(f'SELECT {expression} FROM "{case.table}" WHERE id = :id'), {"id": row_id}
                ).scalar_one()
                assert (bytes(found) if isinstance(found, memoryview) else found) == value, (
                    case.name,
                    expression,
                )
    assert {(t, rowid): (kind, column) for t, rowid, kind, column in records} == (
        expected_quarantine()
    )
    # every other row loaded; conservation counted in the quarantine table itself
    for table, outcome in result.tables.items():
        assert outcome.source_rows == outcome.loaded_rows + per_table.get(table, 0), table
    assert result.conserved
    assert all(c["match"] for c in result.checks["checksums"].values())


def test_a_batch_the_server_refuses_is_bisected_and_the_rest_loads(
    tmp_path: Path, head_db: URL, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net: a converter that lets a bad value through (here: no JSON check at
    all) costs that row, with the server's message, not the run."""
    monkeypatch.setattr("d1import.convert.to_jsonb", lambda value: value)
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u1", email="u1@example.org")
    for n, metadata in enumerate(['{"a": 1}', '{"a": NaN}', "[2]", '"\\u0000"', "{}"]):
        d1.add("activity_events", id=f"ev{n}", user_id="u1", event_type="x", metadata_json=metadata)
    result = run(d1.close(), head_db)
    events = result.tables["activity_events"]
    assert (events.loaded_rows, events.quarantined_rows) == (3, 2)
    reasons = quarantine(seeded)
    assert reasons["activity_events:ev1"][:2] == ("rejected_by_server", "metadata_json")
    assert "json" in reasons["activity_events:ev1"][2]
    assert reasons["activity_events:ev3"][:2] == ("rejected_by_server", "metadata_json")
    assert result.conserved


def test_the_servers_message_on_a_secret_column_is_redacted_too(
    tmp_path: Path, head_db: URL, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net's detail goes through the same redaction as a conversion's: a token
    the server refuses (here: not hashed, and not valid bytea) is named, never quoted."""
    monkeypatch.setattr("d1import.convert.to_token_hash", lambda value: value)
    d1 = D1Builder(tmp_path / "d1.sqlite")
    d1.add("users", id="u1", email="u1@example.org")
    token = "\\x" + RAW_TOKEN
    d1.add("sessions", id="s1", sessionToken=token, userId="u1", expires="2099-01-01")
    result = run(d1.close(), head_db)
    assert result.tables["sessions"].quarantined_rows == 1
    kind, column, detail = quarantine(seeded)["sessions:s1"]
    assert (kind, column) == ("rejected_by_server", "sessionToken")
    assert detail == load_module.REDACTED_DETAIL
    assert result.conserved
