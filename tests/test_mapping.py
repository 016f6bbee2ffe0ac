"""The D1 → Postgres column map: complete against D1's schema, true against the live schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

import models
from d1import.mapping import (
    D1_SCHEMA,
    DERIVED_FROM_PARENT,
    build_mapping,
    d1_tables,
    elsewhere_map,
    snake_case,
)
from d1import.parity import parity_section
from tests.support import ROOT

# information_schema data_type (or udt_name for ENUMs) each conversion must land in.
EXPECTED_TYPE = {
    "uuid_pk": "uuid",
    "uuid_fk": "uuid",
    "uuid_loose": "uuid",
    "boolean": "boolean",
    "timestamptz": "timestamp with time zone",
    "date": "date",
    "jsonb": "jsonb",
    "json_array": "ARRAY",
    "comma_list": "ARRAY",
    "hex_to_bytea": "bytea",
    "sha256_of_token": "bytea",
    "integer": "integer",
    "bigint": "bigint",
    "double": "double precision",
    "text": "text",
}


def test_every_d1_table_and_column_is_mapped() -> None:
    schema = json.loads(D1_SCHEMA.read_text())
    mapping = build_mapping()
    assert schema["table_count"] == len(schema["tables"]) == len(mapping) == 66
    for table in schema["tables"]:
        mapped = mapping[table["name"]].columns
        assert set(mapped) == {c["name"] for c in table["columns"]}, table["name"]
        for name, column in mapped.items():
            if column.column is None or column.column not in (name, snake_case(name)):
                assert column.reason, f"{table['name']}.{name}: dropped/renamed without a reason"


def test_every_target_column_exists_with_the_right_type(head_engine: Engine) -> None:
    with head_engine.connect() as connection:
        live = {
            (r.table_name, r.column_name): (r.data_type, r.udt_name)
            for r in connection.execute(
                text(
                    "SELECT table_name, column_name, data_type, udt_name "
                    "FROM information_schema.columns WHERE table_schema = 'public'"
                )
            )
        }
    for d1_table, table_map in build_mapping().items():
        for d1_column, column in table_map.columns.items():
            assert column.column is not None
            where = f"{d1_table}.{d1_column} -> {table_map.table}.{column.column}"
            assert (table_map.table, column.column) in live, f"{where}: no such column"
            data_type, udt_name = live[(table_map.table, column.column)]
            kind, _, detail = column.conversion.partition(":")
            if kind == "enum":
                assert (data_type, udt_name) == ("USER-DEFINED", detail), where
            else:
                assert data_type == EXPECTED_TYPE[kind], f"{where}: {data_type} for {kind}"


def test_postgres_columns_without_a_d1_source_can_be_left_out() -> None:
    """The import writes only mapped and derived columns; every other column needs a default
    or NULL, also in the table where some of a D1 table's rows land instead."""
    for d1_table, table_map in build_mapping().items():
        maps = [table_map]
        if table_map.rows_elsewhere is not None:
            maps.append(elsewhere_map(table_map))
        for each in maps:
            targeted = {c.column for c in each.columns.values()} | set(table_map.derived)
            table = models.Base.metadata.tables[each.table]
            for column in table.columns:
                if column.name not in targeted:
                    assert column.nullable or column.server_default is not None, (
                        f"{table.name}.{column.name} is NOT NULL without a default and nothing "
                        f"in D1's {d1_table} fills it"
                    )


def test_derived_columns_are_the_tenant_key_of_the_eight_children() -> None:
    """Every child table of the design gains user_id, and the map says it is derived from the
    parent (D1 had nothing), naming the reference the parent is found by."""
    mapping = build_mapping()
    derived = {name: t.derived for name, t in mapping.items() if t.derived}
    assert set(derived) == set(DERIVED_FROM_PARENT)
    tables = models.Base.metadata.tables
    for child, columns in derived.items():
        (column,) = columns.values()
        assert column.column == "user_id"
        assert "user_id" in tables[child].c
        assert column.reason.startswith("added where D1 had nothing"), child
        via = tables[child].c[column.via]
        assert {fk.column.table.name for fk in via.foreign_keys} == {column.parent}, child
        assert "user_id" in tables[column.parent].c, child
        assert all(c.column != "user_id" for c in mapping[child].columns.values()), child


def test_quests_without_a_user_map_onto_quest_templates() -> None:
    """Every D1 quests column lands in quest_templates under its name, or is per-user state
    that the templates do not keep (with the default a user-less row must hold there)."""
    quests = build_mapping()["quests"]
    elsewhere = quests.rows_elsewhere
    assert elsewhere is not None
    templates = models.Base.metadata.tables["quest_templates"]
    kept = {d1 for d1, c in quests.columns.items() if (c.column or "") in templates.c}
    assert kept | set(elsewhere.not_kept) == set(quests.columns)
    assert not kept & set(elsewhere.not_kept)
    assert all(elsewhere_map(quests).columns[d1].column is None for d1 in elsewhere.not_kept)
    quests_table = models.Base.metadata.tables["quests"]
    for column, default in elsewhere.not_kept.items():
        server_default = quests_table.c[column].server_default
        arg = getattr(server_default, "arg", None)
        declared = arg if isinstance(arg, str) else getattr(arg, "text", None)
        assert declared == (None if default is None else str(default)), column


def test_the_parity_table_names_both_tables_of_quests() -> None:
    """``make validate``'s D1 parity: every D1 table once, quests with quest_templates."""
    created_in = dict.fromkeys(models.Base.metadata.tables, "0001")
    lines = parity_section(created_in)
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(d1_tables())
    assert all(row.endswith("| ✅ Migrated |") for row in rows)
    assert "| quests | quests (0001), quest_templates (0001) | 19 | ✅ Migrated |" in rows
    del created_in["quest_templates"]
    assert "| quests | quests (0001), quest_templates (?) | 19 | ❌ missing |" in (
        parity_section(created_in)
    )


def test_foreign_keys_of_d1_map_onto_foreign_keys() -> None:
    mapping = build_mapping()
    for name, table in d1_tables().items():
        for fk in table["foreign_keys"]:
            (d1_column,) = fk["columns"]
            conversion = mapping[name].columns[d1_column].conversion
            if fk["ref_columns"] == ["id"]:
                assert conversion == f"uuid_fk:{fk['ref_table']}", f"{name}.{d1_column}"


def test_every_d1_reference_is_checked_by_the_import() -> None:
    """D1's references are the import's to check even where the target keeps them without a
    foreign key (users of another colocation group): each is in ``references``, and one the
    models do not hold as a foreign key says so in its reason."""
    mapping = build_mapping()
    tables = models.Base.metadata.tables
    for name, table in d1_tables().items():
        expected = {
            mapping[name].columns[fk["columns"][0]].column: fk["ref_table"]
            for fk in table["foreign_keys"]
            if fk["ref_columns"] == ["id"]
        }
        assert mapping[name].references == expected, name
        for d1_column, column in mapping[name].columns.items():
            target = column.column or ""
            if target in expected and not tables[name].c[target].foreign_keys:
                assert column.reason is not None, f"{name}.{d1_column}"
                assert "kept without a foreign key" in column.reason, f"{name}.{d1_column}"


def test_mapping_command_prints_the_map_as_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "d1import", "mapping", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    printed: dict[str, Any] = json.loads(result.stdout)
    assert printed["sessions"]["table"] == "sessions"
    assert printed["sessions"]["columns"]["sessionToken"] == {
        "column": "token_hash",
        "conversion": "sha256_of_token",
        "reason": printed["sessions"]["columns"]["sessionToken"]["reason"],
    }
    assert printed["users"]["columns"]["emailVerified"]["column"] == "email_verified"
    assert printed["goal_milestones"]["derived"]["user_id"]["parent"] == "goals"
    assert printed["goal_milestones"]["derived"]["user_id"]["reason"].startswith(
        "added where D1 had nothing"
    )
    assert printed["quests"]["rows_elsewhere"]["table"] == "quest_templates"
    assert printed["users"]["derived"] == {}
    assert printed["users"]["rows_elsewhere"] is None
    assert sum(len(t["columns"]) for t in printed.values()) == sum(
        len(t["columns"]) for t in d1_tables().values()
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("providerAccountId", "provider_account_id"),
        ("credentialID", "credential_id"),
        ("user_id", "user_id"),
        ("emailVerified", "email_verified"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected


def test_unknown_columns_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A D1 column the models do not have must fail the map, not vanish."""
    schema = json.loads(D1_SCHEMA.read_text())
    schema["tables"][0]["columns"].append({"name": "nickname", "type": "TEXT"})
    patched = tmp_path / "schema.json"
    patched.write_text(json.dumps(schema))
    monkeypatch.setattr("d1import.mapping.D1_SCHEMA", patched)
    d1_tables.cache_clear()
    build_mapping.cache_clear()
    try:
        with pytest.raises(KeyError, match=r"users\.nickname has no Postgres column nickname"):
            build_mapping()
    finally:
        d1_tables.cache_clear()
        build_mapping.cache_clear()
