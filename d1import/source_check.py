"""Is the source D1's database, whole? Checked before the target is touched.

Against D1's schema (``d1_schema.json``): a table or column the source has and the map does
not is refused (its rows would be lost); a table or column the map needs and the source
lacks is refused too, unless the operator names it with ``--allow-missing`` (a missing table
then loads as empty, a missing column as NULL, and the report lists what was absent); a file
holding none of D1's tables is not D1's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from d1import.mapping import d1_tables
from d1import.source import Source, SourceError

# Source tables that are D1's or wrangler's own bookkeeping, not app data.
IGNORED_SOURCE_TABLES = ("sqlite_", "_cf_", "d1_migrations")


@dataclass(frozen=True)
class SourceShape:
    ignored_tables: list[str] = field(default_factory=list)
    absent_tables: list[str] = field(default_factory=list)
    """D1 tables the source lacks, allowed by ``--allow-missing``."""
    absent_columns: list[str] = field(default_factory=list)
    """``table.column`` the source lacks, allowed by ``--allow-missing``."""


def parse_allow_missing(values: Iterable[str]) -> set[str]:
    """``TABLE`` or ``TABLE.COLUMN`` names of D1's schema; a primary key cannot be missing."""
    known = d1_tables()
    allowed: set[str] = set()
    for value in values:
        table, _, column = value.partition(".")
        if table not in known:
            raise SourceError(f"--allow-missing {value}: D1 has no table {table}")
        if column:
            columns = {c["name"]: c for c in known[table]["columns"]}
            if column not in columns:
                raise SourceError(f"--allow-missing {value}: D1's {table} has no column {column}")
            if columns[column]["pk"]:
                raise SourceError(
                    f"--allow-missing {value}: {column} is {table}'s primary key; "
                    "rows without it cannot be imported"
                )
        allowed.add(value)
    return allowed


def check_source(source: Source, allow_missing: Iterable[str] = ()) -> SourceShape:
    allow_missing = set(allow_missing)
    known = d1_tables()
    present = source.tables()
    path = source.path
    ignored = sorted(t for t in present if t.startswith(IGNORED_SOURCE_TABLES))
    if not present & known.keys():
        raise SourceError(
            f"{path}: holds none of D1's {len(known)} tables "
            f"({len(present) - len(ignored)} tables of its own): not a D1 database"
        )
    unknown = sorted(present - known.keys() - set(ignored))
    if unknown:
        raise SourceError(
            f"{path}: tables not in the D1 map (their rows would be lost): " + ", ".join(unknown)
        )
    missing: list[str] = []
    absent_tables: list[str] = []
    absent_columns: list[str] = []
    for table, facts in sorted(known.items()):
        if table not in present:
            (absent_tables if table in allow_missing else missing).append(table)
            continue
        have = set(source.columns(table))
        expected = [c["name"] for c in facts["columns"]]
        extra = have - set(expected)
        if extra:
            raise SourceError(
                f"{path}: {table} has columns not in the D1 map: " + ", ".join(sorted(extra))
            )
        for column in expected:
            if column in have:
                continue
            name = f"{table}.{column}"
            allowed = table in allow_missing or name in allow_missing
            (absent_columns if allowed else missing).append(name)
    if missing:
        flags = " ".join(f"--allow-missing {name}" for name in missing)
        raise SourceError(
            f"{path}: not all of D1's schema is there: missing {', '.join(missing)} "
            f"(to import without {'it' if len(missing) == 1 else 'them'}: {flags})"
        )
    return SourceShape(ignored, absent_tables, absent_columns)
