"""The lock-safety lint: our revisions pass it, and it catches what it is there to catch."""

from __future__ import annotations

from dbtools.lint_migrations import lint_sql, revision_sql


def test_every_revision_passes_squawk() -> None:
    sql = revision_sql()
    assert "0001_auth" in sql
    assert "CREATE TABLE alembic_version" not in sql["0001_auth"]
    result = lint_sql(sql)
    assert result.ok, result.report


def test_lint_catches_a_blocking_index_and_an_unvalidated_foreign_key() -> None:
    unsafe = {
        "9998_blocking_index": "BEGIN;\nCREATE INDEX users_name_idx ON users (name);\nCOMMIT;\n",
        "9999_fk": (
            "BEGIN;\nALTER TABLE accounts ADD CONSTRAINT accounts_x_fkey "
            "FOREIGN KEY (user_id) REFERENCES users (id);\nCOMMIT;\n"
        ),
    }
    result = lint_sql(unsafe)
    assert not result.ok
    assert "require-concurrent-index-creation" in result.report
    assert "adding-foreign-key-constraint" in result.report
    assert "alembic/versions/9998_blocking_index.sql" in result.report
