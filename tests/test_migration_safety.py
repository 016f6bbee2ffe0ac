"""What pytest-alembic cannot see: data through down/up cycles, offline SQL equal to online,
a failing revision leaving nothing half-done."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from dbtools.alembic_config import alembic_config
from dbtools.catalog import diff, snapshot
from dbtools.embedded import psql_path
from tests.rows import fill_every_table, table_checksums
from tests.support import ROOT, alembic_cli, engine_for, run_alembic
from tests.test_stairway import revisions_in_order

# 0008's downgrade unlinks events from the workouts it drops (as ON DELETE SET NULL would),
# and that UPDATE moves their updated_at; the link is checked on its own below.
UNLINKED_BY_0008 = frozenset({("calendar_events", "workout_id"), ("calendar_events", "updated_at")})
# 0021 keeps only the SHA-256 of a sign-in token: its downgrade cannot give the token back (the
# rows stay, with the hash in hex).
HASHED_BY_0021 = frozenset(
    {("verification_tokens", "token"), ("verification_tokens", "token_hash")}
)
# 0025 gives the eight children a user_id (derived from the parent); its downgrade drops it.
ADDED_BY_0025 = frozenset(
    (table, "user_id")
    for table in (
        "goal_milestones",
        "workout_sections",
        "workout_exercises",
        "exercise_sets",
        "program_weeks",
        "program_workouts",
        "flashcards",
        "track_analysis_cache",
    )
)
CHANGED_ON_PURPOSE = UNLINKED_BY_0008 | HASHED_BY_0021 | ADDED_BY_0025
# 0026 moves the global quests (quests without a user) to quest_templates, its downgrade moves
# them back: quests is compared by its users' rows, the global quests wherever they are.
USERS_QUESTS = {"quests": "user_id IS NOT NULL"}
TEMPLATE_COLUMNS = (
    "id, title, description, category, difficulty, xp_reward, coin_reward, is_universal, "
    "is_active, expires_at, is_repeatable, repeat_frequency, created_at"
)


def checksums(connection: Connection) -> dict[str, str]:
    sums = table_checksums(
        connection, CHANGED_ON_PURPOSE, USERS_QUESTS, frozenset({"quest_templates"})
    )
    templates = connection.execute(text("SELECT to_regclass('quest_templates')")).scalar()
    if connection.execute(text("SELECT to_regclass('quests')")).scalar() is None:
        return sums
    union = f"SELECT {TEMPLATE_COLUMNS} FROM quests WHERE user_id IS NULL"
    if templates is not None:
        union += f" UNION ALL SELECT {TEMPLATE_COLUMNS} FROM quest_templates"
    sums["global quests"] = connection.execute(
        text(
            "SELECT count(*) || ':' || md5(COALESCE(string_agg(x::text, '|' ORDER BY x::text), "
            f"'')) FROM ({union}) x"
        )
    ).scalar_one()
    return sums


# Where the populated database, on its way down, must have the catalog of a fresh one: before
# the tenant keys (0025-0035), whose downgrades rebuild keys, policies and functions on data.
FRESH_CATALOG_AT = "0024"


def test_rows_survive_every_revision_going_down_and_up(
    head_db: URL, head_engine: Engine, empty_db: URL, empty_engine: Engine
) -> None:
    run_alembic(empty_db, "upgrade", FRESH_CATALOG_AT)
    with empty_engine.connect() as connection:
        fresh = snapshot(connection)
    with head_engine.begin() as connection:
        counts = fill_every_table(connection)
        at_head = checksums(connection)
    assert len(counts) == 74
    assert at_head["global quests"].startswith("1:"), "a global quest to move down and up"
    for revision in reversed(revisions_in_order()[1:]):
        run_alembic(head_db, "downgrade", "-1")
        with head_engine.connect() as connection:
            after_down = checksums(connection)
        assert after_down, revision
        assert after_down == {t: at_head[t] for t in after_down}, f"{revision} down lost rows"
        run_alembic(head_db, "upgrade", "+1")
        with head_engine.connect() as connection:
            after_up = checksums(connection)
        assert {t: after_up[t] for t in after_down} == after_down, f"{revision} up lost rows"
        run_alembic(head_db, "downgrade", "-1")
        if revision == f"{int(FRESH_CATALOG_AT) + 1:04d}":
            with head_engine.connect() as connection:
                came_down = snapshot(connection)
            assert came_down == fresh, diff(fresh, came_down)
        if revision == "0008":
            with head_engine.connect() as connection:
                linked = connection.execute(
                    text("SELECT count(*) FROM calendar_events WHERE workout_id IS NOT NULL")
                ).scalar_one()
            assert linked == 0


# (child, parent, the child's column that references the parent): what 0025-0026 fill
TENANT_CHILDREN = (
    ("goal_milestones", "goals", "goal_id"),
    ("workout_sections", "workouts", "workout_id"),
    ("workout_exercises", "workouts", "workout_id"),
    ("exercise_sets", "workout_sessions", "session_id"),
    ("program_weeks", "training_programs", "program_id"),
    ("program_workouts", "program_weeks", "program_week_id"),
    ("flashcards", "flashcard_decks", "deck_id"),
    ("track_analysis_cache", "reference_tracks", "track_id"),
)


def test_the_tenant_keys_fill_a_populated_database(head_db: URL, head_engine: Engine) -> None:
    """Two users' rows at 0024, more than one backfill batch of one child, a global quest:
    after the upgrade every child carries its parent's user, every user their e-mail row, and
    the global quest is a template."""
    with head_engine.begin() as connection:
        a = fill_every_table(connection, tag="a")
        b = fill_every_table(connection, tag="b")
    run_alembic(head_db, "downgrade", "0024")
    with head_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO goal_milestones (goal_id, title) "
                "SELECT :g, 'step ' || i FROM generate_series(1, 5200) i"
            ),
            {"g": b["goals"]["id"]},
        )
        connection.execute(text("UPDATE users SET email = upper(email)"))
        connection.execute(
            text("INSERT INTO quests (title, category) VALUES ('Global', 'starter')")
        )
    run_alembic(head_db, "upgrade", "head")
    with head_engine.connect() as connection:
        for child, parent, column in TENANT_CHILDREN:
            wrong = connection.execute(
                text(
                    f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column} "
                    "WHERE p.user_id IS DISTINCT FROM c.user_id"
                )
            ).scalar_one()
            assert wrong == 0, child
        milestones: dict[Any, int] = {
            row.user_id: row.n
            for row in connection.execute(
                text("SELECT user_id, count(*) AS n FROM goal_milestones GROUP BY user_id")
            )
        }
        assert milestones == {a["users"]["id"]: 1, b["users"]["id"]: 5201}
        emails = connection.execute(
            text(
                "SELECT count(*) FROM users u JOIN user_emails e "
                "ON e.user_id = u.id AND e.email_lower = lower(u.email)"
            )
        ).scalar_one()
        assert emails == connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
        assert connection.execute(
            text("SELECT title FROM quest_templates WHERE title = 'Global'")
        ).scalar_one()


def _psql(url: URL, sql: str) -> None:
    target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    applied = subprocess.run(
        # The pinned wheel's psql: there even on a machine without PostgreSQL.
        [str(psql_path()), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr


def test_offline_sql_builds_and_removes_the_same_schema(
    empty_db: URL, empty_engine: Engine, head_engine: Engine
) -> None:
    with empty_engine.connect() as connection:
        empty = snapshot(connection)
    with head_engine.connect() as connection:
        online = snapshot(connection)

    up = alembic_cli(None, "upgrade", "head", "--sql")
    assert up.returncode == 0, up.stderr
    _psql(empty_db, up.stdout)
    with empty_engine.connect() as connection:
        offline = snapshot(connection)
    assert offline == online, diff(online, offline)

    down = alembic_cli(None, "downgrade", "head:base", "--sql")
    assert down.returncode == 0, down.stderr
    _psql(empty_db, down.stdout)
    with empty_engine.connect() as connection:
        after_down = snapshot(connection)
    assert after_down == empty, diff(empty, after_down)


FAILING_REVISION = '''"""Test-only: creates a table and a function, then fails.

Revision ID: {number}
Revises: {previous}
"""

from alembic import op

revision = "{number}"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE half_done (id integer PRIMARY KEY)")
    op.execute("CREATE FUNCTION half_done_count() RETURNS bigint LANGUAGE sql AS $$ SELECT 1 $$")
    {failure}


def downgrade() -> None:
    op.execute("DROP FUNCTION half_done_count()")
    op.execute("DROP TABLE half_done")
'''


def test_a_failing_revision_leaves_the_previous_one_intact(
    tmp_path: Path, head_db: URL, head_engine: Engine
) -> None:
    script_location = tmp_path / "alembic"
    shutil.copytree(ROOT / "alembic", script_location, ignore=shutil.ignore_patterns("__pycache__"))
    head = revisions_in_order()[-1]
    number = f"{int(head) + 1:04d}"
    extra = script_location / "versions" / f"{number}_half_done.py"
    extra.write_text(
        FAILING_REVISION.format(
            number=number, previous=head, failure='raise RuntimeError("broken on purpose")'
        )
    )
    with head_engine.connect() as connection:
        before = snapshot(connection)

    config = alembic_config()
    config.set_main_option("script_location", str(script_location))
    with engine_for(head_db) as engine, engine.connect() as connection:
        config.attributes["connection"] = connection
        with pytest.raises(RuntimeError, match="broken on purpose"):
            command.upgrade(config, "head")
    with head_engine.connect() as connection:
        assert snapshot(connection) == before, diff(before, snapshot(connection))
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == head

    extra.write_text(FAILING_REVISION.format(number=number, previous=head, failure="pass"))
    with engine_for(head_db) as engine, engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == number
        assert connection.execute(text("SELECT half_done_count()")).scalar_one() == 1
