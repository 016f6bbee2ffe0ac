"""The D1 database to import: a SQLite file, or the SQL dump ``wrangler d1 export`` writes.

A dump is replayed statement by statement into a temporary SQLite file (streamed: the dump is
never held in memory whole), so both kinds are read the same way afterwards. The source's
SHA-256 is of the file as given.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d1import.convert import UndecodedText

SQLITE_MAGIC = b"SQLite format 3\x00"


class SourceError(Exception):
    """The source cannot be read; the message says where and why."""


@dataclass
class Source:
    path: Path
    sha256: str
    kind: str  # "sqlite" or "dump"
    connection: sqlite3.Connection

    def __post_init__(self) -> None:
        # TEXT that is not UTF-8 must reach the converter (and be quarantined), not raise
        # while reading.
        self.connection.text_factory = decode_text

    def tables(self) -> set[str]:
        rows = self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.connection.execute(f'PRAGMA table_info("{table}")')]

    def count(self, table: str) -> int:
        (count,) = self.connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(count)

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Rows in rowid order (a stable order for "the later one" decisions), streamed."""
        cursor = self.connection.execute(
            f'SELECT rowid AS "__rowid", * FROM "{table}" ORDER BY rowid'
        )
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))

    def rows_by_rowid(self, table: str, rowids: list[int]) -> Iterator[dict[str, Any]]:
        """The rows with these rowids (in rowid order), read as ``rows`` reads them."""
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            cursor = self.connection.execute(
                f'SELECT rowid AS "__rowid", * FROM "{table}" WHERE rowid IN ({marks}) '
                "ORDER BY rowid",
                chunk,
            )
            names = [d[0] for d in cursor.description]
            for values in cursor:
                yield dict(zip(names, values, strict=True))


def decode_text(raw: bytes) -> str | UndecodedText:
    """SQLite TEXT as ``str``; bytes that are not UTF-8 kept as ``UndecodedText``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UndecodedText(raw)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replay_dump(dump: Path, target: sqlite3.Connection) -> None:
    statement: list[str] = []
    with dump.open(encoding="utf-8", newline="") as handle:  # CR inside strings stays CR
        for number, line in enumerate(handle, start=1):
            statement.append(line)
            text = "".join(statement)
            if not sqlite3.complete_statement(text):
                continue
            try:
                target.execute(text)
            except sqlite3.Error as exc:
                first = text.strip().splitlines()[0][:120]
                raise SourceError(f"{dump}: line {number}: {exc} in: {first}") from None
            statement.clear()
    if "".join(statement).strip():
        raise SourceError(f"{dump}: ends inside an unfinished statement")


@contextmanager
def open_source(path: Path) -> Iterator[Source]:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    sha256 = file_sha256(path)
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            yield Source(path, sha256, "sqlite", connection)
        finally:
            connection.close()
        return
    with tempfile.TemporaryDirectory(prefix="d1import-") as tmp:
        replica = sqlite3.connect(Path(tmp) / "replay.sqlite", isolation_level=None)
        try:
            replica.execute("PRAGMA journal_mode = OFF")
            replica.execute("PRAGMA synchronous = OFF")
            replica.execute("BEGIN")
            try:
                _replay_dump(path, replica)
            except UnicodeDecodeError:
                raise SourceError(
                    f"{path}: neither a SQLite database nor a UTF-8 SQL dump"
                ) from None
            replica.execute("COMMIT")
            yield Source(path, sha256, "dump", replica)
        finally:
            replica.close()
