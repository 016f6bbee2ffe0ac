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
from d1import.mapping import D1_SCHEMA, build_mapping, d1_tables, snake_case
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
    """The import writes only mapped columns; every other column needs a default or NULL."""
    for d1_table, table_map in build_mapping().items():
        targeted = {c.column for c in table_map.columns.values()}
        table = models.Base.metadata.tables[table_map.table]
        for column in table.columns:
            if column.name not in targeted:
                assert column.nullable or column.server_default is not None, (
                    f"{table.name}.{column.name} is NOT NULL without a default and nothing in "
                    f"D1's {d1_table} fills it"
                )


def test_foreign_keys_of_d1_map_onto_foreign_keys() -> None:
    mapping = build_mapping()
    for name, table in d1_tables().items():
        for fk in table["foreign_keys"]:
            (d1_column,) = fk["columns"]
            conversion = mapping[name].columns[d1_column].conversion
            if fk["ref_columns"] == ["id"]:
                assert conversion == f"uuid_fk:{fk['ref_table']}", f"{name}.{d1_column}"


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
