"""User-owned tables: indexed by owner, and deleting a user does to them what D1 did."""

from __future__ import annotations

from sqlalchemy import Engine, text

import models
from d1import.mapping import build_mapping, d1_tables
from tests.rows import fill_every_table

# Revision 0031 dropped the foreign keys to users that Citus cannot keep (from the lookup,
# reference and coordinator-local tables, and user_roles.granted_by); delete_user() does what
# their ON DELETE did.
BY_DELETE_USER = {
    ("accounts", "user_id"): "CASCADE",
    ("sessions", "user_id"): "CASCADE",
    ("authenticators", "user_id"): "CASCADE",
    ("exercises", "user_id"): "CASCADE",
    ("plan_templates", "user_id"): "CASCADE",
    ("infobase_entries", "user_id"): "CASCADE",
    ("admin_audit_log", "admin_id"): "CASCADE",
    ("user_emails", "user_id"): "CASCADE",
    ("market_items", "created_by_user_id"): "SET NULL",
    ("universal_quests", "created_by"): "SET NULL",
    ("audit_log", "user_id"): "SET NULL",
    ("feedback", "user_id"): "SET NULL",
    ("access_requests", "reviewed_by"): "SET NULL",
    ("user_roles", "granted_by"): "SET NULL",
}


def owner_foreign_keys() -> list[tuple[str, str, str]]:
    """(table, column, ON DELETE) for every column that references users.id, and those whose
    key delete_user() stands in for."""
    found = []
    for table in models.Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and table.name != "users":
                found.append((table.name, fk.parent.name, (fk.ondelete or "NO ACTION").upper()))
    return found + [(t, c, action) for (t, c), action in BY_DELETE_USER.items()]


def test_delete_user_stands_in_only_for_keys_that_are_gone() -> None:
    for table, column in BY_DELETE_USER:
        assert not models.Base.metadata.tables[table].c[column].foreign_keys, (table, column)


def test_every_user_reference_is_indexed(head_engine: Engine) -> None:
    with head_engine.connect() as connection:
        leading = {
            (r.table, r.column)
            for r in connection.execute(
                text(
                    "SELECT c.relname AS table, a.attname AS column FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indrelid "
                    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                )
            )
        }
    missing = [(t, c) for t, c, _ in owner_foreign_keys() if (t, c) not in leading]
    assert not missing, f"references to users without an index leading with them: {missing}"


def test_user_delete_behaves_as_in_d1() -> None:
    mapping = build_mapping()
    ours = {(t, c): action for t, c, action in owner_foreign_keys()}
    checked = 0
    for name, table in d1_tables().items():
        for fk in table["foreign_keys"]:
            if fk["ref_table"] != "users":
                continue
            (d1_column,) = fk["columns"]
            column = mapping[name].columns[d1_column].column
            assert column is not None
            assert ours[(name, column)] == fk["on_delete"], f"{name}.{column}"
            checked += 1
    assert checked == 43  # D1 has 43 foreign keys to users


def test_postgres_only_user_references_cascade_or_detach() -> None:
    d1 = set(d1_tables())
    for table, column, action in owner_foreign_keys():
        if table not in d1:
            assert action in {"CASCADE", "SET NULL"}, f"{table}.{column}: {action}"


def test_deleting_a_user_removes_their_rows_everywhere(head_engine: Engine) -> None:
    """One user with a row in every table; delete_user(); nothing of theirs is left, and the
    rows that outlive them (SET NULL) are still there without them."""
    with head_engine.begin() as connection:
        rows = fill_every_table(connection, tag="gone")
        user = rows["users"]["id"]
        assert connection.execute(text("SELECT delete_user(:u)"), {"u": user}).scalar_one()
        references = owner_foreign_keys()
        cascaded = {table for table, _, action in references if action == "CASCADE"}
        for table, column, action in references:
            left = connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :u'), {"u": user}
            ).scalar_one()
            assert left == 0, (table, column)
            if action == "SET NULL" and table not in cascaded:  # user_roles: their own grant
                kept = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE id = :id'),
                    {"id": rows[table]["id"]},
                ).scalar_one()
                assert kept == 1, (table, column)
