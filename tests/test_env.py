"""The Alembic environment as operators use it: the command line, offline SQL, concurrency,
and the errors a wrong DATABASE_URL gives."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from dbtools.alembic_config import alembic_config, head_revision
from tests.support import alembic_cli, our_objects, run_alembic


def revisions() -> list[str]:
    return [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


def test_check_reports_no_drift_at_head(head_db: URL) -> None:
    result = alembic_cli(head_db, "check")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "No new upgrade operations detected" in result.stdout


def test_check_detects_a_dropped_trigger(head_db: URL, head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER users_set_updated_at ON users"))
    result = alembic_cli(head_db, "check")
    assert result.returncode != 0
    assert "users_set_updated_at" in result.stdout + result.stderr


def test_check_detects_a_changed_function_body(head_db: URL, head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION cleanup_expired_sessions() RETURNS integer "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN 0; END; $$"
            )
        )
    result = alembic_cli(head_db, "check")
    assert result.returncode != 0
    assert "cleanup_expired_sessions" in result.stdout + result.stderr


def test_downgrade_base_leaves_nothing_behind(empty_db: URL, empty_engine: Engine) -> None:
    before = our_objects(empty_engine)
    run_alembic(empty_db, "upgrade", "head")
    at_head = our_objects(empty_engine)
    assert "r:users" in at_head["relations"]
    assert at_head["functions"]
    assert at_head["triggers"]
    run_alembic(empty_db, "downgrade", "base")
    assert our_objects(empty_engine) == before


def test_concurrent_upgrades_serialize(empty_db: URL, empty_engine: Engine) -> None:
    """Replicas all run ``upgrade head`` at start-up: every one exits 0, each revision once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: alembic_cli(empty_db, "upgrade", "head"), range(4)))
    for result in results:
        assert result.returncode == 0, result.stderr
    ran = [line for r in results for line in r.stderr.splitlines() if "Running upgrade" in line]
    assert len(ran) == len(revisions()), "every revision must be applied exactly once"
    with empty_engine.connect() as connection:
        versions = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        )
    assert versions == [head_revision()]


def test_unreachable_server_gives_one_line_with_host_and_what_to_do() -> None:
    url = URL.create(
        "postgresql", username="postgres", host="127.0.0.1", port=1, database="nowhere"
    )
    result = alembic_cli(url, "upgrade", "head", timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "127.0.0.1:1" in lines[0]
    assert "docker compose up -d" in lines[0]


def test_missing_database_names_it_and_how_to_create_it(empty_db: URL) -> None:
    url = empty_db.set(database=f"{empty_db.database}_missing")
    result = alembic_cli(url, "current")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"{url.database}" in result.stderr
    assert "createdb" in result.stderr


def test_unset_database_url_names_the_variable() -> None:
    result = alembic_cli(None, "current")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL is not set" in result.stderr


def test_password_is_not_printed_in_errors() -> None:
    url = URL.create(
        "postgresql",
        username="postgres",
        password="s3cret-pw",
        host="127.0.0.1",
        port=1,
        database="x",
    )
    result = alembic_cli(url, "current", timeout=60)
    assert result.returncode != 0
    assert "s3cret-pw" not in result.stderr + result.stdout
