"""The Citus distribution design's static rules (dbtools.distribution).

Each rule is shown to pass on a small compliant schema and to fail on the same schema with
one violation added, in a database of the test's own. The real schema at head must follow the
design (revisions 0025-0035 gave it its tenant keys, 0036 policies without sub-selects).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

import models
from dbtools.distribution import (
    DESIGN,
    Design,
    Kind,
    Placement,
    by_key,
    check,
    colocation_group,
    local,
    main,
    read_catalog,
    reference,
    violations,
)

# tenants <- notes <- note_tags are one colocation group; kinds is a reference table, ops_log
# and ops_notes stay on the coordinator (ops_log, tied to kinds, as a "citus local table").
# Composite keys and foreign keys carry tenant_id throughout.
COMPLIANT_SCHEMA = """
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE kinds (id integer PRIMARY KEY, name text UNIQUE);
CREATE TABLE notes (
    id uuid, tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind_id integer REFERENCES kinds (id) ON DELETE SET NULL,
    PRIMARY KEY (id, tenant_id)
);
CREATE UNIQUE INDEX notes_one_per_kind ON notes (tenant_id, kind_id) WHERE kind_id IS NOT NULL;
CREATE TABLE note_tags (
    id uuid, tenant_id uuid NOT NULL, note_id uuid NOT NULL, PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (note_id, tenant_id) REFERENCES notes (id, tenant_id) ON DELETE CASCADE
);
CREATE TABLE ops_log (id bigint PRIMARY KEY, kind_id integer REFERENCES kinds (id));
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes USING (tenant_id = current_setting('app.tenant')::uuid);
ALTER TABLE ops_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY ops_log_with_kind ON ops_log USING (kind_id IS NOT NULL);
CREATE TABLE ops_notes (id bigint PRIMARY KEY);
ALTER TABLE ops_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY ops_notes_any_kind ON ops_notes USING (EXISTS (SELECT 1 FROM kinds k));
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN NEW.updated_at := now(); RETURN NEW; END';
CREATE FUNCTION count_kinds() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN UPDATE kinds SET name = name; RETURN NEW; END';
ALTER TABLE notes ADD COLUMN updated_at timestamptz;
CREATE TRIGGER notes_set_updated_at BEFORE UPDATE ON notes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER ops_log_count_kinds AFTER INSERT ON ops_log
    FOR EACH ROW EXECUTE FUNCTION count_kinds()
"""


def by_tenant() -> Placement:
    return Placement(Kind.DISTRIBUTED, "test", "tenant_id", "tenants")


SMALL_DESIGN: Design = {
    "tenants": by_key("id", "test"),
    "kinds": reference("test"),
    "notes": by_tenant(),
    "note_tags": by_tenant(),
    "ops_log": local("test"),
    "ops_notes": local("test"),
}


def violations_after(engine: Engine, ddl: str, design: Design = SMALL_DESIGN) -> list[str]:
    with engine.begin() as connection:
        for statement in (COMPLIANT_SCHEMA + ";\n" + ddl).split(";\n"):
            if statement.strip():
                connection.execute(text(statement))
        return [f"{v.rule} {v}" for v in check(connection, design)]


def test_the_compliant_schema_passes(empty_engine: Engine) -> None:
    assert violations_after(empty_engine, "") == []


CASES = {
    "unplaced table": ("CREATE TABLE stray (id integer)", {}, "placed stray: the distribution"),
    "placed table missing": ("", {"ghost": reference("test")}, "placed ghost: placed by"),
    "no distribution column": (
        "CREATE TABLE orphans (id uuid NOT NULL)",
        {"orphans": by_tenant()},
        "column orphans: has no distribution column tenant_id",
    ),
    "nullable distribution column": (
        "CREATE TABLE loose (tenant_id uuid)",
        {"loose": by_tenant()},
        "column loose: distribution column tenant_id allows NULL",
    ),
    "distribution column of another type": (
        "CREATE TABLE typed (tenant_id text NOT NULL)",
        {"typed": by_tenant()},
        "column typed: distribution column tenant_id is text, but its colocation group "
        "(tenants) is distributed by uuid",
    ),
    "unique key without the distribution column": (
        "ALTER TABLE notes ADD COLUMN slug text UNIQUE",
        {},
        "unique-key notes: unique key notes_slug_key (slug) does not contain",
    ),
    "unique expression index": (
        "CREATE UNIQUE INDEX tenants_text_key ON tenants ((id::text))",
        {},
        "unique-key tenants: unique key tenants_text_key (<expression>) does not contain "
        "the distribution column id",
    ),
    "foreign key pairing another column": (
        "ALTER TABLE note_tags ADD COLUMN author_id uuid REFERENCES tenants (id)",
        {},
        "foreign-key note_tags: foreign key note_tags_author_id_fkey (author_id) -> tenants (id) "
        "does not carry the distribution column: it must pair note_tags.tenant_id with "
        "tenants.id",
    ),
    "foreign key across colocation groups": (
        "CREATE TABLE devices (token text PRIMARY KEY,"
        " tenant_id uuid NOT NULL REFERENCES tenants (id))",
        {"devices": by_key("token", "test")},
        "foreign-key devices: foreign key devices_tenant_id_fkey (tenant_id) -> tenants (id) "
        "joins distributed tables of different colocation groups",
    ),
    "composite foreign key that sets NULL": (
        "ALTER TABLE note_tags ADD COLUMN pinned_id uuid,"
        " ADD FOREIGN KEY (pinned_id, tenant_id) REFERENCES notes (id, tenant_id)"
        " ON DELETE SET NULL (pinned_id)",
        {},
        "foreign-key note_tags: foreign key note_tags_pinned_id_tenant_id_fkey (pinned_id, "
        "tenant_id) -> notes (id, tenant_id) has ON DELETE SET NULL",
    ),
    "reference table referencing a distributed one": (
        "ALTER TABLE kinds ADD COLUMN owner_id uuid REFERENCES tenants (id)",
        {},
        "foreign-key kinds: foreign key kinds_owner_id_fkey (owner_id) -> tenants (id) a "
        "reference table may reference only reference tables, not distributed",
    ),
    "local table referencing a distributed one": (
        "ALTER TABLE ops_log ADD COLUMN tenant_id uuid REFERENCES tenants (id)",
        {},
        "foreign-key ops_log: foreign key ops_log_tenant_id_fkey (tenant_id) -> tenants (id) "
        "a local table may not reference a distributed table",
    ),
    "distributed table referencing a local one": (
        "ALTER TABLE notes ADD COLUMN log_id bigint REFERENCES ops_log (id)",
        {},
        "foreign-key notes: foreign key notes_log_id_fkey (log_id) -> ops_log (id) a "
        "distributed table may not reference a local table",
    ),
    "policy with a subquery": (
        "ALTER TABLE note_tags ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY note_tags_via_notes ON note_tags"
        " USING (EXISTS (SELECT 1 FROM notes n WHERE n.id = note_id))",
        {},
        "policy note_tags: row-level security policy note_tags_via_notes has a subquery",
    ),
    "policy with a subquery on a local table tied to a reference table": (
        "CREATE POLICY ops_log_any_kind ON ops_log USING (EXISTS (SELECT 1 FROM kinds k))",
        {},
        "policy ops_log: row-level security policy ops_log_any_kind has a subquery, which "
        "Citus cannot propagate to a citus local (it is tied to a reference table by foreign "
        "keys) table's shards",
    ),
    "trigger touching another table": (
        "CREATE TRIGGER note_tags_count_kinds AFTER INSERT ON note_tags"
        " FOR EACH ROW EXECUTE FUNCTION count_kinds()",
        {},
        "trigger note_tags: trigger note_tags_count_kinds runs count_kinds(), which is not "
        "known to touch only its own row",
    ),
}


@pytest.mark.parametrize(("ddl", "placed", "expected"), CASES.values(), ids=CASES.keys())
def test_each_rule_reports_its_violation(
    empty_engine: Engine, ddl: str, placed: Design, expected: str
) -> None:
    found = violations_after(empty_engine, ddl, {**SMALL_DESIGN, **placed})
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_colocation_must_end_at_a_placed_table() -> None:
    looped: Design = {
        "a": Placement(Kind.DISTRIBUTED, "test", "x", "b"),
        "b": Placement(Kind.DISTRIBUTED, "test", "x", "a"),
    }
    with pytest.raises(ValueError, match="colocation of a does not end"):
        colocation_group("a", looped)
    assert colocation_group("notes", SMALL_DESIGN) == "tenants"


def test_the_design_places_every_table_of_the_models() -> None:
    assert set(DESIGN) == set(models.metadata.tables)
    for table, placement in DESIGN.items():
        assert (placement.kind is Kind.DISTRIBUTED) == (placement.column is not None), table
        assert placement.why, table
        colocation_group(table, DESIGN)


def test_every_table_at_head_is_placed_and_exists(head_db: URL, head_engine: Engine) -> None:
    with head_engine.connect() as connection:
        found = check(connection)
    assert [v for v in found if v.rule == "placed"] == []


def test_command_prints_the_violations_and_fails(
    empty_db: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db.render_as_string(hide_password=False))
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    assert "users: placed by the design but not in the schema [placed]" in out.splitlines()
    assert f"{len(DESIGN)} violation(s)" in err


def test_command_prints_the_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["design"]) == 0
    out = capsys.readouterr().out
    assert "| users | distributed by `id` |" in out
    assert "| habit_logs | distributed by `user_id`, colocated with `users` |" in out
    assert len(out.splitlines()) == len(DESIGN) + 2


def test_head_follows_the_design(head_db: URL, head_engine: Engine) -> None:
    """A later revision cannot break distributability unnoticed: keys, foreign keys, columns,
    triggers and policies at head are all as Citus needs them."""
    with head_engine.connect() as connection:
        catalog = read_catalog(connection)
    assert [str(v) for v in violations(catalog)] == []


HEAD_BREAKS = {
    "subquery policy": (
        "CREATE POLICY goal_milestones_via_goals ON goal_milestones TO ignition_app"
        " USING (EXISTS (SELECT 1 FROM goals g WHERE g.id = goal_id))",
        "goal_milestones: row-level security policy goal_milestones_via_goals has a subquery",
    ),
    "init-plan policy": (
        "CREATE POLICY habits_init_plan ON habits TO ignition_app"
        " USING (user_id = (SELECT app_user_id()))",
        "habits: row-level security policy habits_init_plan has a subquery",
    ),
    "single-column foreign key": (
        "CREATE UNIQUE INDEX habits_id_key ON habits (id);\n"
        "ALTER TABLE habit_logs DROP CONSTRAINT habit_logs_habit_id_user_id_fkey,"
        " ADD FOREIGN KEY (habit_id) REFERENCES habits (id) ON DELETE CASCADE",
        "habit_logs: foreign key habit_logs_habit_id_fkey (habit_id) -> habits (id) does not "
        "carry the distribution column",
    ),
    "trigger reading a parent": (
        "CREATE FUNCTION peek() RETURNS trigger LANGUAGE plpgsql AS"
        " 'BEGIN PERFORM 1 FROM goals; RETURN NEW; END';\n"
        "CREATE TRIGGER goal_milestones_peek BEFORE INSERT ON goal_milestones"
        " FOR EACH ROW EXECUTE FUNCTION peek()",
        "goal_milestones: trigger goal_milestones_peek runs peek()",
    ),
}


@pytest.mark.parametrize(("ddl", "expected"), HEAD_BREAKS.values(), ids=HEAD_BREAKS.keys())
def test_the_head_check_still_fails_on_what_it_must(
    head_engine: Engine, ddl: str, expected: str
) -> None:
    """Each kind of break is reported at head, the init-plan form of 0021 among them."""
    with head_engine.connect() as connection:
        for statement in ddl.split(";\n"):
            connection.execute(text(statement))
        catalog = read_catalog(connection)
        connection.rollback()
    found = [str(v) for v in violations(catalog)]
    assert any(v.startswith(expected) for v in found), found
