"""The D1 → PostgreSQL column map, as data: for every D1 table and column, where it lands and
which conversion it goes through (or that it is dropped, and why).

Most entries follow from rules: the Postgres table has the D1 table's name, a column's name
is its snake_case with a ``_json`` suffix dropped, and the conversion follows from the type of
the Postgres column the models declare (a foreign key to another table's id is rewritten
through that table's id map, and so on). ``RENAMED`` and ``CONVERSIONS`` hold the exceptions,
each with its reason. ``python -m d1import mapping --json`` prints the resolved map.

Two things the map also says, beyond D1's columns:

- ``derived``: target columns D1 had nothing for that the import fills from rows it already
  loaded (``DERIVED_FROM_PARENT``: the ``user_id`` of the eight child tables, the tenant key
  of docs/distribution.md, copied from the parent row; never read from D1, never left to a
  trigger).
- ``rows_elsewhere``: D1 rows that land in another table (``ROWS_ELSEWHERE``: a quest without
  a user is a catalogue template, ``quest_templates``), with the D1 columns that table does
  not keep; conservation still counts them against their D1 table.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
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
class DerivedColumn:
    """A target column D1 had nothing for, filled from ``parent.column`` through ``via``."""

    parent: str
    via: str
    column: str
    reason: str


@dataclass(frozen=True)
class RowsElsewhere:
    """The D1 rows whose ``route_by`` column converts to NULL land in ``table``. The D1
    columns in ``not_kept`` have no column there; such a row must hold their default (given
    here), else it is quarantined (nothing it says is dropped unseen)."""

    table: str
    route_by: str
    reason: str
    not_kept: dict[str, Any]
    """D1 column -> the value the row must hold there (the quests column's default)."""
    not_kept_reason: str


@dataclass(frozen=True)
class TableMap:
    table: str
    columns: dict[str, ColumnMap]
    derived: dict[str, DerivedColumn] = field(default_factory=dict)
    """Target column -> where the import takes its value (added where D1 had nothing)."""
    rows_elsewhere: RowsElsewhere | None = None
    references: dict[str, str] = field(default_factory=dict)
    """Target column -> the table whose id D1's foreign key on it names: the import checks
    these whether or not the target keeps the foreign key (``UNENFORCED_REASON``)."""


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


# Child table -> (its reference to the parent, the parent): the tenant key ``user_id`` D1 did
# not have (the child reached its user only through the parent), copied from the parent row.
DERIVED_FROM_PARENT: dict[str, tuple[str, str]] = {
    "goal_milestones": ("goal_id", "goals"),
    "workout_sections": ("workout_id", "workouts"),
    "workout_exercises": ("workout_id", "workouts"),
    "exercise_sets": ("session_id", "workout_sessions"),
    "program_weeks": ("program_id", "training_programs"),
    "program_workouts": ("program_week_id", "program_weeks"),
    "flashcards": ("deck_id", "flashcard_decks"),
    "track_analysis_cache": ("track_id", "reference_tracks"),
}
TENANT_KEY = "user_id"
DERIVED_REASON = (
    "added where D1 had nothing: the tenant key (docs/distribution.md, child tables gain "
    "user_id); D1 reached the user only through {parent}, so the import copies the loaded "
    "{parent} row's user_id (a row whose parent is not loaded is quarantined with the parent's "
    "reason)"
)

# D1 quests without a user are global quests: a catalogue, which the tenant-key schema keeps
# in the reference table quest_templates (quests.user_id is NOT NULL there).
ROWS_ELSEWHERE: dict[str, RowsElsewhere] = {
    "quests": RowsElsewhere(
        table="quest_templates",
        route_by="user_id",
        reason=(
            "a quest without a user is a global (catalogue) quest: it lands in the reference "
            "table quest_templates, not in quests (docs/distribution.md, the quest_templates "
            "decision); its id stays the one derived from D1's quests"
        ),
        not_kept={
            "user_id": None,
            "status": "available",
            "accepted_at": None,
            "completed_at": None,
            "last_completed_date": None,
            "streak_count": 0,
        },
        not_kept_reason=(
            "per-user state of a quest: a template (no user) has none, so quest_templates has "
            "no such column; a user-less D1 quest holding anything but the default here is "
            "quarantined"
        ),
    ),
}

# A D1 reference the target keeps without a foreign key (docs/distribution.md: accounts,
# sessions, authenticators, the shared reference tables and the operators' logs reference
# users from another colocation group; ``delete_user`` cleans them up).
UNENFORCED_REASON = (
    "a reference to {parent} in D1, kept without a foreign key on the tenant-key schema "
    "(another colocation group): the ids are still derived as {parent}'s, and the import "
    "still quarantines a row whose {parent} row is missing or quarantined"
)

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


def d1_references(table: str) -> dict[str, str]:
    """D1 column -> the table whose ``id`` D1's foreign key on it references."""
    return {
        fk["columns"][0]: fk["ref_table"]
        for fk in d1_tables()[table]["foreign_keys"]
        if fk["ref_columns"] == ["id"] and len(fk["columns"]) == 1
    }


def _referenced_table(column: Column[Any], seen: frozenset[int] = frozenset()) -> str | None:
    """The table whose ``id`` the column names: a foreign key to an ``id`` first; a column
    of a composite key (``user_id`` of ``(parent_id, user_id) -> parent (id, user_id)``)
    names what the parent's column names."""
    keys = sorted(column.foreign_keys, key=lambda fk: fk.column.name != "id")
    for fk in keys:
        if fk.column.name == "id":
            return fk.column.table.name
    for fk in keys:
        if id(fk.column) not in seen and fk.column is not column:
            found = _referenced_table(fk.column, seen | {id(column)})
            if found is not None:
                return found
    return None


def conversion_for(column: Column[Any], d1_reference: str | None = None) -> str:
    """The conversion a D1 value needs to fit ``column``, named by what it does
    (``d1_reference``: the table D1's foreign key on the column names, if any)."""
    type_ = column.type
    if isinstance(type_, UUID):
        # A reference first: on the tenant-key schema user_id is part of the primary key
        # (id, user_id) and still names a users row.
        referenced = _referenced_table(column)
        if referenced is not None:
            return f"uuid_fk:{referenced}"
        if d1_reference is not None:
            return f"uuid_fk:{d1_reference}"
        if column.primary_key:
            return "uuid_pk"
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
            d1_reference = d1_references(name).get(d1_name)
            conversion = CONVERSIONS.get((name, d1_name)) or conversion_for(
                target.c[pg_name], d1_reference
            )
            if d1_reference and not target.c[pg_name].foreign_keys:
                reason = reason or UNENFORCED_REASON.format(parent=d1_reference)
            columns[d1_name] = ColumnMap(pg_name, conversion, reason)
        mapping[name] = TableMap(
            name,
            columns,
            _derived(name, columns),
            _rows_elsewhere(name, columns),
            {columns[c].column or c: parent for c, parent in d1_references(name).items()},
        )
    return mapping


def _derived(name: str, columns: dict[str, ColumnMap]) -> dict[str, DerivedColumn]:
    """The tenant key of a child table, when the models have it and D1 does not fill it."""
    tables = models.Base.metadata.tables
    if name not in DERIVED_FROM_PARENT or TENANT_KEY not in tables[name].c:
        return {}
    if any(c.column == TENANT_KEY for c in columns.values()):
        return {}
    via, parent = DERIVED_FROM_PARENT[name]
    return {
        TENANT_KEY: DerivedColumn(parent, via, TENANT_KEY, DERIVED_REASON.format(parent=parent))
    }


def _rows_elsewhere(name: str, columns: dict[str, ColumnMap]) -> RowsElsewhere | None:
    """Where some rows of a D1 table go instead, when the models have that table; every
    other D1 column must land in a column of the same name there."""
    elsewhere = ROWS_ELSEWHERE.get(name)
    tables = models.Base.metadata.tables
    if elsewhere is None or elsewhere.table not in tables:
        return None
    other = tables[elsewhere.table]
    for d1_name, column in columns.items():
        if d1_name not in elsewhere.not_kept and (column.column or "") not in other.c:
            raise KeyError(
                f"D1 column {name}.{d1_name} has no column {column.column} in "
                f"{elsewhere.table}, where {name} rows without a user land"
            )
    return elsewhere


def elsewhere_map(table_map: TableMap) -> TableMap:
    """The map of the rows that land elsewhere: the same conversions (ids still derived from
    the D1 table), the columns the other table does not keep dropped with their reason."""
    elsewhere = table_map.rows_elsewhere
    assert elsewhere is not None
    return TableMap(
        elsewhere.table,
        {
            d1: ColumnMap(None, c.conversion, elsewhere.not_kept_reason)
            if d1 in elsewhere.not_kept
            else c
            for d1, c in table_map.columns.items()
        },
    )


def mapping_as_json() -> dict[str, Any]:
    return {name: asdict(table) for name, table in build_mapping().items()}
