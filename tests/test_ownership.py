"""User-owned tables: indexed by owner, and deleting a user does to them what D1 did."""

from __future__ import annotations

from sqlalchemy import Engine, text

import models
from d1import.mapping import build_mapping, d1_tables


def owner_foreign_keys() -> list[tuple[str, str, str]]:
    """(table, column, ON DELETE) for every column that references users.id."""
    found = []
    for table in models.Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and table.name != "users":
                found.append((table.name, fk.parent.name, (fk.ondelete or "NO ACTION").upper()))
    return found


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
    """One user with a row in every user-owned table; delete them; nothing of theirs is left."""
    with head_engine.begin() as connection:
        user = connection.execute(
            text("INSERT INTO users (email) VALUES ('gone@example.org') RETURNING id")
        ).scalar_one()
        connection.execute(text("SELECT award_coins(:u, 5, 'x')"), {"u": user})
        connection.execute(
            text("INSERT INTO workouts (user_id, name) VALUES (:u, 'Legs')"), {"u": user}
        )
        connection.execute(
            text("INSERT INTO journal_entries (user_id, content) VALUES (:u, 'dear diary')"),
            {"u": user},
        )
        connection.execute(text("INSERT INTO user_settings (user_id) VALUES (:u)"), {"u": user})
        connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user})
        for table, column, action in owner_foreign_keys():
            if action == "CASCADE":
                left = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :u'), {"u": user}
                ).scalar_one()
                assert left == 0, table
