"""``python -m dbtools.citus distribute`` on the cluster: what it does, that a second run does
nothing, that it is one transaction, its one-line refusals, and ``place_table_sql``.

The mechanics run on ``tests/test_distribution.py``'s small compliant schema (a tenant table,
a colocated parent and child, a reference table, local tables) with rows in it, so they do
not wait for the schema at head; the schema at head is distributed in ``distributed``
(conftest) and checked table by table at the end of this module.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from dbtools.citus import (
    CitusError,
    Target,
    citus_tables,
    distribute,
    main,
    place_table_sql,
    verify,
)
from dbtools.distribution import DESIGN, DISTRIBUTED_FUNCTIONS, Design, Kind, Placement
from tests.factories import make_user
from tests.support import ROOT, engine_for
from tests.test_distribution import COMPLIANT_SCHEMA, SMALL_DESIGN, by_tenant
from tests_citus.cluster import Cluster, citus_database, plain_database
from tests_citus.conftest import RUN_ID, Distributed, foreign_keys

SMALL = Target(
    design=SMALL_DESIGN, functions={}, functions_with="tenants", head=None, function_settings={}
)
ROWS = """
INSERT INTO tenants SELECT gen_random_uuid() FROM generate_series(1, 20);
INSERT INTO kinds VALUES (1, 'a'), (2, 'b');
INSERT INTO notes SELECT gen_random_uuid(), id, 1 FROM tenants;
INSERT INTO note_tags SELECT gen_random_uuid(), tenant_id, id FROM notes;
INSERT INTO ops_log VALUES (1, 2);
ALTER TABLE notes ADD CONSTRAINT notes_kind_again FOREIGN KEY (kind_id) REFERENCES kinds (id)
    NOT VALID
"""
COUNTS = "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM notes), " + (
    "(SELECT count(*) FROM note_tags), (SELECT count(*) FROM kinds), (SELECT count(*) FROM ops_log)"
)


def run_sql(connection: Connection, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(text(statement))


@pytest.fixture
def small(cluster: Cluster) -> Iterator[URL]:
    """The small schema with rows, in a Citus database of the test's own, not distributed."""
    with citus_database(cluster, f"ignition_citus_{RUN_ID}_small") as url:
        with engine_for(url) as engine, engine.begin() as connection:
            run_sql(connection, COMPLIANT_SCHEMA + ";\n" + ROWS)
        yield url


def placement_on_cluster(connection: Connection) -> dict[str, str]:
    found = citus_tables(connection)
    return {
        name: f"{t.kind} {t.column or ''} {t.colocation_id if t.kind is Kind.DISTRIBUTED else ''}"
        for name, t in found.items()
    }


def test_the_small_schema_is_placed_with_its_rows_and_keys(small: URL) -> None:
    before_keys = foreign_keys(small)
    said: list[str] = []
    with engine_for(small) as engine, engine.connect() as connection:
        counts = connection.execute(text(COUNTS)).one()
        connection.rollback()
        distribute(connection, SMALL, say=said.append)
        found = citus_tables(connection)
        assert {n: t.kind for n, t in found.items()} == {
            "tenants": Kind.DISTRIBUTED,
            "notes": Kind.DISTRIBUTED,
            "note_tags": Kind.DISTRIBUTED,
            "kinds": Kind.REFERENCE,
            "ops_log": Kind.LOCAL,  # a citus local table: it references kinds
        }
        assert found["notes"].column == found["note_tags"].column == "tenant_id"
        assert (
            found["tenants"].colocation_id
            == found["notes"].colocation_id
            == found["note_tags"].colocation_id
        )
        assert connection.execute(text(COUNTS)).one() == counts
        # The shell tables on the coordinator keep no rows of their own.
        sizes = "SELECT pg_relation_size('notes') + pg_relation_size('note_tags')"
        assert connection.execute(text(sizes)).scalar_one() == 0
        connection.rollback()
    assert foreign_keys(small) == before_keys
    assert "NOT VALID" in next(k for k in before_keys if "notes_kind_again" in k)
    assert said[:4] == [
        f"setting   citus.enable_unsafe_triggers = 'on' for database ignition_citus_{RUN_ID}_small",
        "setting   citus.propagate_set_commands = 'local' for database "
        f"ignition_citus_{RUN_ID}_small",
        "foreign keys: 5 taken off (put back at the end)",
        "reference   kinds",
    ]
    assert "distributed tenants by id (a colocation group of its own)" in said
    assert "distributed notes by tenant_id, colocated with tenants" in said
    assert said[-2] == "foreign keys: 5 put back"

    with engine_for(small) as engine, engine.connect() as connection:
        with pytest.raises(DBAPIError, match="note_tags_note_id_tenant_id_fkey"):
            connection.execute(
                text(
                    "INSERT INTO note_tags SELECT gen_random_uuid(), tenant_id, gen_random_uuid() "
                    "FROM notes LIMIT 1"
                )
            )
        connection.rollback()
        settings = connection.execute(
            text(
                "SELECT unnest(setconfig) FROM pg_db_role_setting "
                "WHERE setdatabase = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"
            )
        ).scalars()
        assert set(settings) == {
            "citus.enable_unsafe_triggers=on",
            "citus.propagate_set_commands=local",
        }


def test_a_second_run_does_nothing_and_says_so(small: URL) -> None:
    with engine_for(small) as engine, engine.connect() as connection:
        distribute(connection, SMALL, say=lambda _: None)
        first = placement_on_cluster(connection)
        connection.rollback()
        said: list[str] = []
        again = distribute(connection, SMALL, say=said.append)
        assert again.is_empty()
        assert said == [
            "nothing to do: 4 tables already placed as designed, 2 local, functions and "
            "settings in place"
        ]
        assert placement_on_cluster(connection) == first


def test_a_refusal_half_way_changes_nothing(small: URL) -> None:
    """Citus refuses the last step (a function colocated with a reference table): the tables
    distributed before it are not, and every foreign key is still there."""
    with engine_for(small) as engine, engine.begin() as connection:
        connection.execute(
            text("CREATE FUNCTION touch(p_tenant uuid) RETURNS uuid LANGUAGE sql AS 'SELECT $1'")
        )
    before_keys = foreign_keys(small)
    target = Target(SMALL_DESIGN, {"touch": "p_tenant"}, "kinds", head=None, function_settings={})
    with engine_for(small) as engine, engine.connect() as connection:
        with pytest.raises(DBAPIError):
            distribute(connection, target, say=lambda _: None)
        connection.rollback()
        assert citus_tables(connection) == {}
    assert foreign_keys(small) == before_keys


def test_refuses_a_database_without_citus(cluster: Cluster) -> None:
    with (
        plain_database(cluster, f"ignition_citus_{RUN_ID}_plain") as url,
        engine_for(url) as engine,
        engine.connect() as connection,
        pytest.raises(CitusError, match=r"^Citus is not installed in this database"),
    ):
        distribute(connection, SMALL)


def test_refuses_a_database_without_workers(cluster: Cluster) -> None:
    with (
        citus_database(cluster, f"ignition_citus_{RUN_ID}_alone", workers=False) as url,
        engine_for(url) as engine,
        engine.connect() as connection,
        pytest.raises(CitusError, match=r"^no active Citus worker is registered"),
    ):
        distribute(connection, SMALL)


def test_refuses_a_database_not_at_head(small: URL) -> None:
    with (
        engine_for(small) as engine,
        engine.connect() as connection,
        pytest.raises(CitusError, match=r"^the database is at revision \(none\), not at head 0"),
    ):
        distribute(connection, Target(SMALL_DESIGN, {}, "tenants", function_settings={}))


def test_lists_the_violations_and_changes_nothing(small: URL) -> None:
    with engine_for(small) as engine, engine.begin() as connection:
        connection.execute(text("ALTER TABLE notes ADD COLUMN slug text UNIQUE"))
    with engine_for(small) as engine, engine.connect() as connection:
        with pytest.raises(CitusError) as refused:
            distribute(connection, SMALL)
        connection.rollback()
        assert citus_tables(connection) == {}
    assert str(refused.value) == (
        "the schema does not follow the distribution design (1 violation(s)); nothing was changed"
    )
    assert refused.value.details == [
        "notes: unique key notes_slug_key (slug) does not contain the distribution column "
        "tenant_id [unique-key]"
    ]


def test_the_command_says_what_is_wrong_in_one_line(small: URL) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dbtools.citus", "distribute"],
        cwd=ROOT,
        env={"DATABASE_URL": small.render_as_string(hide_password=False), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    first, *rest = done.stderr.splitlines()
    host = f"{small.host}:{small.port}/{small.database}"
    assert first.startswith(f"error: {host}: the database is at revision (none), not at head")
    assert rest == []


def test_place_table_sql_places_a_new_table_once(small: URL) -> None:
    with engine_for(small) as engine, engine.connect() as connection:
        distribute(connection, SMALL, say=lambda _: None)
    new: Design = {"note_links": by_tenant(), "link_kinds": Placement(Kind.REFERENCE, "test")}
    with engine_for(small) as engine, engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE note_links (id uuid, tenant_id uuid NOT NULL REFERENCES tenants (id),"
                " PRIMARY KEY (id, tenant_id))"
            )
        )
        connection.execute(text("CREATE TABLE link_kinds (id integer PRIMARY KEY)"))
        for _ in range(2):  # the second time finds them placed
            for table, placement in new.items():
                connection.execute(text(place_table_sql(table, placement)))
        found = citus_tables(connection)
    assert found["note_links"].kind is Kind.DISTRIBUTED
    assert found["note_links"].colocation_id == found["tenants"].colocation_id
    assert found["link_kinds"].kind is Kind.REFERENCE


# --- the schema at head -------------------------------------------------------------------------


def test_every_table_at_head_is_placed_as_designed(distributed: Distributed) -> None:
    with engine_for(distributed.url) as engine, engine.connect() as connection:
        found = citus_tables(connection)
    anchors = {
        table: found[table].colocation_id
        for table, placement in DESIGN.items()
        if placement.kind is Kind.DISTRIBUTED and placement.colocate_with is None
    }
    for table, placement in sorted(DESIGN.items()):
        if placement.kind is Kind.LOCAL:
            assert table not in found or found[table].kind is Kind.LOCAL, table
            continue
        assert found[table].kind is placement.kind, table
        if placement.kind is Kind.DISTRIBUTED:
            assert found[table].column == placement.column, table
            if placement.colocate_with is not None:
                assert found[table].colocation_id == anchors[placement.colocate_with], table
    assert len(set(anchors.values())) == len(anchors)  # each anchor a group of its own


def test_every_foreign_key_at_head_is_back(distributed: Distributed) -> None:
    assert foreign_keys(distributed.url) == distributed.foreign_keys_before
    assert distributed.plan.foreign_keys


def test_the_money_functions_go_to_the_users_node(distributed: Distributed) -> None:
    with engine_for(distributed.url) as engine, engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.proname FROM pg_dist_object d JOIN pg_proc p ON p.oid = d.objid "
                "WHERE d.classid = 'pg_proc'::regclass AND d.colocationid = "
                "(SELECT colocationid FROM pg_dist_partition "
                "WHERE logicalrelid = 'users'::regclass) "
                "AND d.distribution_argument_index = 0"
            )
        ).scalars()
        assert set(rows) == set(DISTRIBUTED_FUNCTIONS)


def test_a_second_run_at_head_does_nothing(distributed: Distributed) -> None:
    said: list[str] = []
    with engine_for(distributed.url) as engine, engine.connect() as connection:
        assert distribute(connection, say=said.append).is_empty()
    assert said[0].startswith("nothing to do:")
    done = [line for line in distributed.said if line.startswith("done: ")]
    assert done == [
        f"done: {len(DESIGN) - 4} tables placed now (22 reference, 48 distributed), 0 already "
        f"placed, 4 local; {len(DISTRIBUTED_FUNCTIONS)} functions"
    ]
    assert distributed.said[-2:] == [
        "verified: users without their user_emails row: 0",
        "verified: user_emails rows whose user is missing: 0",
    ]


def test_users_without_their_email_row_are_counted(distributed: Distributed) -> None:
    """users and user_emails are in different colocation groups: no foreign key keeps them
    together, so every run counts the strays (a query across the two groups)."""
    with engine_for(distributed.url) as engine:
        with engine.connect() as connection:
            before = dict(verify(connection))
        with engine.begin() as connection:
            make_user(connection)
        with engine.connect() as connection:
            after = dict(verify(connection))
    stray = "users without their user_emails row"
    assert after[stray] == before[stray] + 1


def test_the_plan_command_at_head_says_nothing_is_left(
    distributed: Distributed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", distributed.url.render_as_string(hide_password=False))
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert out == f"nothing to do: {len(DESIGN) - 4} tables already placed as designed\n"
