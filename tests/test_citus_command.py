"""``dbtools.citus`` on plain PostgreSQL: the distribute command refuses in one line, and the
helper for later revisions does nothing. What it does on a cluster is ``make test-citus``'s
(tests_citus/)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from dbtools.citus import main, place_table_sql
from dbtools.distribution import DESIGN, Kind, Placement
from models.security import set_session_token_sql


def test_distribute_refuses_a_database_without_citus(
    head_db: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", head_db.render_as_string(hide_password=False))
    assert main(["distribute"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: {head_db.host}:{head_db.port}/{head_db.database}: Citus is not installed in "
        "this database: CREATE EXTENSION citus (the server needs shared_preload_libraries = "
        "'citus'), then add the workers with citus_add_node"
    ]


def test_distribute_needs_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["plan"]) == 2
    assert capsys.readouterr().err.startswith("error: DATABASE_URL is not set")


@pytest.mark.parametrize(
    "placement",
    [
        Placement(Kind.DISTRIBUTED, "test", "user_id", "users"),
        Placement(Kind.DISTRIBUTED, "test", "token", None),
        Placement(Kind.REFERENCE, "test"),
        Placement(Kind.LOCAL, "test"),
    ],
    ids=["colocated", "own-group", "reference", "local"],
)
def test_placing_a_new_table_does_nothing_without_citus(
    head_engine: Engine, placement: Placement
) -> None:
    with head_engine.begin() as connection:
        connection.execute(text("CREATE TABLE later (token text, user_id uuid)"))
        connection.execute(text(place_table_sql("later", placement)))
        assert connection.execute(text("SELECT to_regclass('later') IS NOT NULL")).scalar_one()


def test_the_helper_takes_the_design_by_default() -> None:
    assert "colocate_with => 'public.users'" in place_table_sql("habits")
    assert "create_reference_table('public.roles')" in place_table_sql("roles")
    assert DESIGN["audit_log"].kind is Kind.LOCAL
    assert "create_" not in place_table_sql("audit_log")


def test_the_token_statement_takes_only_token_characters() -> None:
    """acting_as presents the token with a SET LOCAL statement (Citus sends those to the
    workers, not set_config()); SET takes no parameters, so the token is checked."""
    assert set_session_token_sql("aZ09-_.~+/=") == "SET LOCAL app.session_token = 'aZ09-_.~+/='"
    assert set_session_token_sql("") == "SET LOCAL app.session_token = ''"
    for forged in ("x'; SET ROLE ignition_service; --", "a\\b", "a:b", "a b", "é"):
        with pytest.raises(ValueError, match="a session token holds only"):
            set_session_token_sql(forged)
