"""Load the seed files into the database: validated first, then upserted in one transaction.

- Ids are ``dbtools.ids.legacy_uuid(table, legacy_id)``, the derivation the D1 import uses,
  so seeded and imported references to ``skill_focus`` are one row. Columns listed under a
  file's ``references`` hold another table's legacy id and are derived the same way. A file
  whose rows are D1 rows of another table (``ids_of``: the starter quests are D1 ``quests``
  rows that land in ``quest_templates``) derives them from that table, as the import does.
- Each row is upserted on the file's natural ``key``; a row whose values did not change is
  not written (its ``xmin`` stays), a changed one is updated in place (its id, and so every
  foreign key to it, stays). Nothing is ever deleted.
- A file or entry that does not fit raises ``SeedError`` naming the file and the entry, and
  the transaction loads nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, literal_column, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

import models
from dbtools.ids import legacy_uuid
from seeds.exercises import exercise_rows

DATA_DIR = Path(__file__).with_name("data")
EXERCISE_CATALOGUE = "exercise_catalogue.json"
BATCH = 500


class SeedError(Exception):
    """A seed file or entry that cannot be loaded; the message names the file and entry."""


@dataclass
class SeedFile:
    path: Path
    table: Table
    key: list[str]
    references: dict[str, str]
    rows: list[dict[str, Any]]
    ids_of: str | None = None
    """The D1 table the rows' legacy ids belong to, when it is not ``table``'s name."""


@dataclass
class LoadReport:
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, table: str, outcome: str) -> None:
        self.counts.setdefault(table, Counter())[outcome] += 1

    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{table}: {c['inserted']} inserted, {c['updated']} updated, {c['unchanged']} unchanged"
            for table, c in self.counts.items()
        ]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path}: not valid JSON: {exc}") from None


def read_seed_files(data_dir: Path = DATA_DIR) -> list[SeedFile]:
    """Every seed file, checked for shape, in foreign-key order of their tables."""
    tables = models.Base.metadata.tables
    files = []
    for path in sorted(data_dir.glob("*.json")):
        document = _read_json(path)
        if path.name == EXERCISE_CATALOGUE:
            if not isinstance(document, list):
                raise SeedError(f"{path}: the catalogue must be a JSON list of exercises")
            files.append(SeedFile(path, tables["exercises"], ["id"], {}, exercise_rows(document)))
            continue
        if not isinstance(document, dict) or not {"table", "key", "rows"} <= document.keys():
            raise SeedError(f"{path}: expected an object with table, key and rows")
        if document["table"] not in tables:
            raise SeedError(f"{path}: unknown table {document['table']!r}")
        if not isinstance(document["rows"], list):
            raise SeedError(f"{path}: rows must be a list")
        ids_of = document.get("ids_of")
        if ids_of is not None and not isinstance(ids_of, str):
            raise SeedError(f"{path}: ids_of must be the name of a D1 table")
        files.append(
            SeedFile(
                path,
                tables[document["table"]],
                list(document["key"]),
                dict(document.get("references", {})),
                document["rows"],
                ids_of,
            )
        )
    order = {table: i for i, table in enumerate(models.Base.metadata.sorted_tables)}
    return sorted(files, key=lambda f: order[f.table])


def _entry(seed: SeedFile, index: int, row: Any) -> str:
    legacy = row.get("legacy_id") if isinstance(row, dict) else None
    return f"{seed.path}: entry {index}" + (f" ({legacy})" if legacy else "")


def prepare(seed: SeedFile) -> list[dict[str, Any]]:
    """Rows as column values, ids derived; SeedError for the first entry that does not fit."""
    table = seed.table
    required = {
        c.name
        for c in table.columns
        if not c.nullable and c.server_default is None and c.name != "id"
    }
    prepared = []
    for index, row in enumerate(seed.rows):
        where = _entry(seed, index, row)
        if not isinstance(row, dict):
            raise SeedError(f"{where}: expected an object, got {type(row).__name__}")
        values = dict(row)
        legacy_id = values.pop("legacy_id", None)
        if "id" in table.c:
            if not isinstance(legacy_id, str | int) or legacy_id == "":
                raise SeedError(f"{where}: legacy_id is missing")
            values["id"] = legacy_uuid(seed.ids_of or table.name, legacy_id)
        unknown = set(values) - set(table.c.keys())
        if unknown:
            raise SeedError(f"{where}: {table.name} has no column {', '.join(sorted(unknown))}")
        missing = required - {k for k, v in values.items() if v is not None}
        if missing:
            raise SeedError(f"{where}: {', '.join(sorted(missing))} must be given")
        for column, target in seed.references.items():
            if values.get(column) is not None:
                values[column] = legacy_uuid(target, values[column])
        prepared.append(values)
    return prepared


def _upsert_statement(seed: SeedFile, rows: list[dict[str, Any]]) -> Any:
    table = seed.table
    statement = insert(table).values(rows)
    updatable = [c for c in rows[0] if c not in seed.key and c != "id"]
    if updatable:
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=seed.key,
            set_={c: excluded[c] for c in updatable},
            where=or_(*(table.c[c].is_distinct_from(excluded[c]) for c in updatable)),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=seed.key)
    # xmax = 0 on a returned row: it was inserted; otherwise updated. No row: unchanged.
    return statement.returning(literal_column("(xmax = 0)").label("inserted"))


def upsert(
    connection: Connection, seed: SeedFile, rows: list[dict[str, Any]], report: LoadReport
) -> None:
    """Upsert in batches of rows with the same columns; when a batch fails, find the entry
    that makes it fail (row by row, in a savepoint) and name it."""
    batches: dict[tuple[str, ...], list[int]] = {}
    for index, values in enumerate(rows):
        batches.setdefault(tuple(values), []).append(index)
    for indexes in batches.values():
        for start in range(0, len(indexes), BATCH):
            chunk = indexes[start : start + BATCH]
            try:
                with connection.begin_nested():
                    results = connection.execute(
                        _upsert_statement(seed, [rows[i] for i in chunk])
                    ).all()
            except DBAPIError:
                _name_the_failing_entry(connection, seed, rows, chunk)
                raise  # pragma: no cover - the row-by-row pass raises first
            inserted = sum(1 for r in results if r.inserted)
            for outcome, count in (
                ("inserted", inserted),
                ("updated", len(results) - inserted),
                ("unchanged", len(chunk) - len(results)),
            ):
                for _ in range(count):
                    report.add(seed.table.name, outcome)


def _name_the_failing_entry(
    connection: Connection, seed: SeedFile, rows: list[dict[str, Any]], indexes: list[int]
) -> None:
    for index in indexes:
        try:
            with connection.begin_nested():
                connection.execute(_upsert_statement(seed, [rows[index]]))
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise SeedError(f"{_entry(seed, index, seed.rows[index])}: {reason}") from None


def load(connection: Connection, data_dir: Path = DATA_DIR) -> LoadReport:
    """Validate every file, then upsert every row, in the caller's transaction."""
    seeds = read_seed_files(data_dir)
    prepared = [(seed, prepare(seed)) for seed in seeds]
    report = LoadReport()
    for seed, rows in prepared:
        upsert(connection, seed, rows, report)
    return report
