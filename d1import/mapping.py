"""The D1 → PostgreSQL column map, as data: for every D1 table and column, where it lands and
which conversion it goes through (or that it is dropped, and why).

Most entries follow from rules: the Postgres table has the D1 table's name, a column's name
is its snake_case with a ``_json`` suffix dropped, and the conversion follows from the type of
the Postgres column the models declare (a foreign key to another table's id is rewritten
through that table's id map, and so on). ``RENAMED`` and ``CONVERSIONS`` hold the exceptions,
each with its reason. ``python -m d1import mapping --json`` prints the resolved map.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Boolean, Column, Date, Double, Integer, Text
from sqlalchemy.dialects.postgresql import BYTEA, ENUM, JSONB, TIMESTAMP, UUID

import models

D1_SCHEMA = Path(__file__).with_name("d1_schema.json")


@dataclass(frozen=True)
class ColumnMap:
    column: str | None
    """The Postgres column, or None when the D1 column is dropped."""
    conversion: str
    reason: str | None = None


@dataclass(frozen=True)
class TableMap:
    table: str
    columns: dict[str, ColumnMap]


# D1 column -> (Postgres column, reason), where the name changes beyond snake_case.
RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("sessions", "sessionToken"): (
        "token_hash",
        "only the SHA-256 of the session token is stored; the raw token never reaches Postgres",
    ),
    ("sessions", "expires"): ("expires_at", "timestamp columns end in _at"),
    ("verification_tokens", "token"): (
        "token_hash",
        "only the SHA-256 of the sign-in token is stored, as for sessions",
    ),
    ("verification_tokens", "expires"): ("expires_at", "timestamp columns end in _at"),
}

# Conversions the Postgres column type alone does not decide.
CONVERSIONS: dict[tuple[str, str], str] = {
    ("sessions", "sessionToken"): "sha256_of_token",
    ("verification_tokens", "token"): "sha256_of_token",
    ("reference_tracks", "sha256"): "hex_to_bytea",
    ("glossary_terms", "related_terms"): "comma_list",
    ("points_ledger", "event_id"): "uuid_loose",
}


# By the Postgres column's type, most specific first (BIGINT is an INTEGER to SQLAlchemy).
CONVERSION_BY_TYPE: tuple[tuple[type[Any], str], ...] = (
    (Boolean, "boolean"),
    (TIMESTAMP, "timestamptz"),
    (Date, "date"),
    (JSONB, "jsonb"),
    (ARRAY, "json_array"),
    (BYTEA, "hex_to_bytea"),
    (BigInteger, "bigint"),
    (Integer, "integer"),
    (Double, "double"),
    (Text, "text"),
)


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@cache
def d1_tables() -> dict[str, dict[str, Any]]:
    schema = json.loads(D1_SCHEMA.read_text(encoding="utf-8"))
    return {table["name"]: table for table in schema["tables"]}


def conversion_for(column: Column[Any]) -> str:
    """The conversion a D1 value needs to fit ``column``, named by what it does."""
    type_ = column.type
    if isinstance(type_, UUID):
        if column.primary_key:
            return "uuid_pk"
        foreign = next(iter(column.foreign_keys), None)
        if foreign is not None:
            return f"uuid_fk:{foreign.column.table.name}"
        return "uuid_loose"
    if isinstance(type_, ENUM):
        return f"enum:{type_.name}"
    for sql_type, conversion in CONVERSION_BY_TYPE:
        if isinstance(type_, sql_type):
            return conversion
    raise ValueError(f"no conversion for {column.table.name}.{column.name} of type {type_!r}")


@cache
def build_mapping() -> dict[str, TableMap]:
    """The resolved map; raises if a D1 column has no home (a model is missing a column)."""
    tables = models.Base.metadata.tables
    mapping: dict[str, TableMap] = {}
    for name, d1_table in d1_tables().items():
        target = tables[name]
        columns: dict[str, ColumnMap] = {}
        for d1_column in d1_table["columns"]:
            d1_name = d1_column["name"]
            renamed = RENAMED.get((name, d1_name))
            if renamed:
                pg_name, reason = renamed
            else:
                pg_name = snake_case(d1_name).removesuffix("_json")
                reason = None
                if d1_name.endswith("_json") and pg_name in target.c:
                    typed = "TEXT[]" if isinstance(target.c[pg_name].type, ARRAY) else "JSONB"
                    reason = f"JSON text is now typed {typed}; the _json suffix is dropped"
            if pg_name not in target.c:
                raise KeyError(f"D1 column {name}.{d1_name} has no Postgres column {pg_name}")
            conversion = CONVERSIONS.get((name, d1_name)) or conversion_for(target.c[pg_name])
            columns[d1_name] = ColumnMap(pg_name, conversion, reason)
        mapping[name] = TableMap(name, columns)
    return mapping


def mapping_as_json() -> dict[str, Any]:
    return {name: asdict(table) for name, table in build_mapping().items()}
