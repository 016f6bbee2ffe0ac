"""Least privilege and row-level security, on real connections as each role.

Generated over every user-owned table (a ``user_id`` column, or a parent chain that reaches
one), not hand-picked: two users get a row in every table, then ``ignition_app`` acting as A
must not see, change, delete or create B's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Table, text
from sqlalchemy.exc import DBAPIError

import models
from models.security import acting_as, as_service
from tests.acting import as_role, new_session
from tests.conftest import scratch_database
from tests.rows import fill_every_table
from tests.support import engine_for

MONEY = {
    "points_ledger",
    "user_progress",
    "user_purchases",
    "user_quest_progress",
    "user_streaks",
    "user_wallet",
}
# What ignition_app may read but not write (money and progress move through functions; roles
# are granted by the service).
PROGRESS = {"focus_pause_state", "focus_sessions", "habit_logs", "user_achievements", "user_skills"}
# user_emails: sign-up and e-mail changes are service work (revision 0025).
READ_ONLY_FOR_APP = MONEY | PROGRESS | {"user_roles", "user_emails"}
# What ignition_app may only add to, and what it may read and delete but not add or change
# (revision 0021).
INSERT_ONLY_FOR_APP = {"audit_log"}
NO_WRITES_BUT_DELETE_FOR_APP = {"accounts", "authenticators"}
# The column a test may rewrite when it is not the first plain one (sessions: the app may
# update last_active_at only).
UPDATABLE_COLUMN = {"sessions": "last_active_at"}


def owner_column(table: Table) -> str | None:
    return "user_id" if "user_id" in table.c else ("id" if table.name == "users" else None)


def parent_of(table: Table) -> Table | None:
    """For a table without an owner column: the parent it hangs off (a NOT NULL foreign key)."""
    for fk in table.foreign_keys:
        if not fk.parent.nullable and fk.column.table is not table:
            return fk.column.table
    return None


def owner_path(table: Table) -> list[Table]:
    """[table, parent, grandparent, ...] up to a table with an owner column, or [] if none."""
    path = [table]
    while owner_column(path[-1]) is None:
        parent = parent_of(path[-1])
        if parent is None:
            return []
        path.append(parent)
    return path


USER_OWNED = sorted(
    t.name
    for t in models.Base.metadata.sorted_tables
    if owner_path(t) and t.name not in {"admin_audit_log"}
)


def test_every_user_owned_table_has_row_level_security(head_engine: Engine) -> None:
    with head_engine.connect() as connection:
        secured = set(
            connection.execute(
                text("SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")
            ).scalars()
        )
    assert len(USER_OWNED) > 40
    assert set(USER_OWNED) <= secured, sorted(set(USER_OWNED) - secured)


@pytest.fixture(scope="module")
def two_users(
    pg_head_server: Any,
) -> Iterator[tuple[Engine, dict[str, dict[str, Any]], dict[str, dict[str, Any]]]]:
    """A database with user A's and user B's rows in every table (written as the owner), and
    the import's schema as the tool makes it. One for the module: every test works in a
    transaction that ``as_role`` rolls back."""
    from d1import.bookkeeping import SCHEMA_DDL

    with (
        scratch_database(
            f"{pg_head_server.dbname}_security", pg_head_server.template_dbname
        ) as url,
        engine_for(url, service=False) as engine,
    ):
        with engine.begin() as connection:
            a = fill_every_table(connection, tag="a")
            b = fill_every_table(connection, tag="b")
            connection.execute(text(SCHEMA_DDL))
        yield engine, a, b


# Key columns the app may not read (sessions' key is (id, token_hash) since 0031): id alone
# names the row.
SECRET_KEY_COLUMNS = {("sessions", "token_hash")}


def key_of(table: Table, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    keys = [
        c.name for c in table.primary_key.columns if (table.name, c.name) not in SECRET_KEY_COLUMNS
    ]
    where = " AND ".join(f'"{k}" = :{k}' for k in keys)
    return where, {k: row[k] for k in keys}


@pytest.mark.parametrize("name", USER_OWNED)
def test_app_sees_and_changes_only_its_own_rows(two_users: Any, name: str) -> None:
    engine, a, b = two_users
    table = models.Base.metadata.tables[name]
    user_a = a["users"]["id"]
    where_a, key_a = key_of(table, a[name])
    where_b, key_b = key_of(table, b[name])
    with as_role(engine, "ignition_app", user_a) as connection:
        if name in INSERT_ONLY_FOR_APP:
            for statement in ("SELECT count(*) FROM", "DELETE FROM"):
                with (
                    pytest.raises(DBAPIError, match="permission denied"),
                    connection.begin_nested(),
                ):
                    connection.execute(text(f'{statement} "{name}" WHERE {where_a}'), key_a)
            return
        assert (
            connection.execute(
                text(f'SELECT count(*) FROM "{name}" WHERE {where_a}'), key_a
            ).scalar_one()
            == 1
        )
        assert (
            connection.execute(
                text(f'SELECT count(*) FROM "{name}" WHERE {where_b}'), key_b
            ).scalar_one()
            == 0
        )
        if name in READ_ONLY_FOR_APP:
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(text(f'DELETE FROM "{name}" WHERE {where_b}'), key_b)
            return
        assert (
            connection.execute(text(f'DELETE FROM "{name}" WHERE {where_b}'), key_b).rowcount == 0
        )
        column = UPDATABLE_COLUMN.get(name) or next(
            c.name for c in table.columns if c.name not in key_b and not c.foreign_keys
        )
        update = text(f'UPDATE "{name}" SET "{column}" = "{column}" WHERE {where_b}')
        if name in NO_WRITES_BUT_DELETE_FOR_APP:
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(update, key_b)
            return
        assert connection.execute(update, key_b).rowcount == 0


@pytest.mark.parametrize("name", [t for t in USER_OWNED if t not in READ_ONLY_FOR_APP])
def test_app_cannot_insert_rows_for_another_user(two_users: Any, name: str) -> None:
    engine, a, b = two_users
    table = models.Base.metadata.tables[name]
    user_a = a["users"]["id"]
    # B's row again under a new key, owned by B (or hanging off B's parent row)
    row = {k: v for k, v in b[name].items() if v is not None}
    for column in table.primary_key.columns:
        if column.name == "id":
            row["id"] = uuid.uuid4()
        elif column.name in ("email",):
            row[column.name] = f"x-{uuid.uuid4().hex}"
    for column in table.columns:
        if column.unique and column.name != "id" and isinstance(row.get(column.name), str):
            row[column.name] = f"{row[column.name]}-{uuid.uuid4().hex[:6]}"
    if name == "users":
        row["email"] = f"{uuid.uuid4().hex}@example.org"
    with as_role(engine, "ignition_app", user_a) as connection:
        statement = table.insert().values(row)
        with pytest.raises(DBAPIError, match=r"row-level security|permission denied|violates"):
            connection.execute(statement)


def test_without_an_acting_user_no_user_rows_are_visible(two_users: Any) -> None:
    engine, _, _ = two_users
    with as_role(engine, "ignition_app") as connection:
        for name in sorted(set(USER_OWNED) - INSERT_ONLY_FOR_APP):
            assert connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() == 0, (
                name
            )
        assert connection.execute(text("SELECT count(*) FROM skill_definitions")).scalar_one() == 2


def test_money_moves_only_through_the_functions_and_only_for_oneself(two_users: Any) -> None:
    engine, a, b = two_users
    user_a, user_b = a["users"]["id"], b["users"]["id"]
    quest = a["universal_quests"]["id"]
    with as_role(engine, "ignition_app", user_a) as connection:
        entry = connection.execute(
            text("SELECT * FROM accept_universal_quest(:u, :q)"), {"u": user_a, "q": quest}
        ).one()
        assert entry.user_id == user_a
        with (
            pytest.raises(DBAPIError, match="not allowed to act for user") as exc,
            connection.begin_nested(),
        ):
            connection.execute(
                text("SELECT * FROM accept_universal_quest(:u, :q)"), {"u": user_b, "q": quest}
            )
        assert getattr(exc.value.orig, "pgcode", None) == "42501"
        with (
            pytest.raises(DBAPIError, match="permission denied for table user_wallet"),
            connection.begin_nested(),
        ):
            connection.execute(text("UPDATE user_wallet SET coins = 999999"))
        with (
            pytest.raises(DBAPIError, match="permission denied for table points_ledger"),
            connection.begin_nested(),
        ):
            connection.execute(
                text("INSERT INTO points_ledger (user_id, event_type, coins) VALUES (:u, 'x', 10)"),
                {"u": user_a},
            )


def test_the_service_role_may_act_for_anyone(two_users: Any) -> None:
    engine, _, b = two_users
    with as_role(engine, "ignition_service") as connection:
        entry = connection.execute(
            text("SELECT * FROM accept_universal_quest(:u, :q)"),
            {"u": b["users"]["id"], "q": b["universal_quests"]["id"]},
        ).one()
        assert entry.user_id == b["users"]["id"]
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
        assert connection.execute(text("SELECT count(*) FROM journal_entries")).scalar_one() == 2


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE sneaky (id integer)",
        "DROP TABLE journal_entries",
        "ALTER TABLE users ADD COLUMN x integer",
        "TRUNCATE journal_entries",
        "SELECT * FROM d1import.runs",
        "INSERT INTO market_items (key, name, category, cost_coins) "
        "VALUES ('free', 'Free', 'treats', 0)",
    ],
)
def test_app_has_no_ddl_no_truncate_no_d1import_no_reference_writes(
    two_users: Any, statement: str
) -> None:
    engine, a, _ = two_users
    with (
        as_role(engine, "ignition_app", a["users"]["id"]) as connection,
        pytest.raises(DBAPIError, match=r"permission denied|must be owner"),
    ):
        connection.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT token_hash FROM sessions",
        "SELECT access_token FROM accounts",
        "SELECT refresh_token FROM accounts",
        "SELECT * FROM verification_tokens",
        "SELECT credential_public_key FROM authenticators",
        "SELECT * FROM sessions",
    ],
)
def test_readonly_cannot_read_secrets(two_users: Any, statement: str) -> None:
    engine, _, _ = two_users
    with (
        as_role(engine, "ignition_readonly") as connection,
        pytest.raises(DBAPIError, match="permission denied"),
    ):
        connection.execute(text(statement))


def test_readonly_reads_everything_else_across_users(two_users: Any) -> None:
    engine, _, _ = two_users
    with as_role(engine, "ignition_readonly") as connection:
        assert connection.execute(text("SELECT count(*) FROM journal_entries")).scalar_one() == 2
        assert connection.execute(text("SELECT count(id) FROM sessions")).scalar_one() == 2
        assert (
            connection.execute(text("SELECT count(*) FROM user_gamification_summary")).scalar_one()
            == 2
        )
        with pytest.raises(DBAPIError, match="permission denied"):
            connection.execute(text("UPDATE journal_entries SET content = 'x'"))


def test_views_show_only_the_acting_users_rows(two_users: Any) -> None:
    engine, a, _ = two_users
    with as_role(engine, "ignition_app", a["users"]["id"]) as connection:
        rows = (
            connection.execute(text("SELECT user_id FROM user_gamification_summary"))
            .scalars()
            .all()
        )
    assert rows == [a["users"]["id"]]


def test_models_helper_sets_the_acting_user_per_transaction(two_users: Any) -> None:
    from sqlalchemy import select

    from models.journal import JournalEntry

    engine, a, _ = two_users
    with engine.begin() as connection:
        token = new_session(connection, a["users"]["id"])
    app = engine.execution_options()
    with acting_as(app, token) as session:
        session.execute(text("SET LOCAL ROLE ignition_app"))
        owners = session.scalars(select(JournalEntry.user_id)).all()
        session.commit()
        session.execute(text("SET LOCAL ROLE ignition_app"))
        assert session.scalars(select(JournalEntry.user_id)).all() == owners
    with as_service(app) as session:
        assert session.scalar(text("SELECT current_user")) == "ignition_service"
        assert len(session.scalars(select(JournalEntry.user_id)).all()) == 2
        session.execute(
            text("DELETE FROM sessions WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"),
            {"t": token},
        )
        session.commit()
    assert owners == [a["users"]["id"]]
