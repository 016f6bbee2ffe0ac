"""The D1 database to import: a SQLite file, or the SQL dump ``wrangler d1 export`` writes
(plain or gzip-compressed).

A SQLite file is opened read-only (``mode=ro&immutable=1``: SQLite creates no journal, lock
or WAL file beside it) and checked first: a header promising more pages than the file holds
is truncation, and ``PRAGMA quick_check`` finds damage, both before the target is touched. A
dump is replayed as data (``d1import.dump``) into SQLite's private temporary database (its
file is unlinked as it is created: nothing of the dump, raw tokens among it, stays on disk
however the run ends), so both kinds are read the same way afterwards. ``Source.reopened``
gives the converting process a connection of its own to a SQLite file; a replayed dump has
no name to open again (``can_reopen``: its tables convert in their turn). The source's
SHA-256 is of the file as given.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d1import.convert import UndecodedText
from d1import.dump import DumpError, replay
from d1import.errors import SafeMessage, scrub, sqlite_message

SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
OTHER_COMPRESSIONS = (
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"\x04\x22\x4d\x18", "lz4"),
)


class SourceError(SafeMessage):
    """The source cannot be read or is not D1's; the message names the file and why."""


@dataclass
class Source:
    path: Path
    sha256: str
    kind: str  # "sqlite" or "dump"
    connection: sqlite3.Connection
    fast_text: bool = False
    """Only ``tuples`` reads this connection (the converting process's): it may switch the
    connection's text factory while it reads."""

    @property
    def can_reopen(self) -> bool:
        return self.kind == "sqlite"

    def __post_init__(self) -> None:
        # TEXT that is not UTF-8 must reach the converter (and be quarantined), not raise
        # while reading.
        self.connection.text_factory = decode_text

    @contextmanager
    def reopened(self) -> Iterator[Source]:
        """The same source on a connection of its own (for another process: an SQLite
        connection must not cross a fork), read-only, not checked again."""
        if not self.can_reopen:
            raise SourceError(f"{self.path}: a replayed dump cannot be opened again")
        with closing(_read_only(self.path)) as connection:
            yield Source(self.path, self.sha256, self.kind, connection, fast_text=True)

    def tables(self) -> set[str]:
        rows = self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.connection.execute(f'PRAGMA table_info("{table}")')]

    def primary_key(self, table: str) -> list[str]:
        info = self.connection.execute(f'PRAGMA table_info("{table}")').fetchall()
        return [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]

    def without_rowid(self, table: str) -> bool:
        for row in self.connection.execute(f'PRAGMA table_list("{table}")'):
            if row[0] == "main":
                return bool(row[4])
        return False

    def count(self, table: str) -> int:
        (count,) = self.connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(count)

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Rows in a stable order (for "the later one" decisions), streamed: rowid order, or
        primary-key order for a ``WITHOUT ROWID`` table (numbered 1, 2, ... as ``__rowid``)."""
        names, rows = self.tuples(table)
        for values in rows:
            yield dict(zip(names, values, strict=True))

    def tuples(self, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """``rows()`` as tuples (no dict per row: the import's hot loop), with their column
        names, ``__rowid`` first (``fast_text``: see ``_decoded_by_sqlite``)."""
        if self.without_rowid(table):
            keys = ", ".join(f'"{column}"' for column in self.primary_key(table))
            cursor = self.connection.execute(f'SELECT * FROM "{table}" ORDER BY {keys}')
            names = ["__rowid", *(d[0] for d in cursor.description)]
            return names, ((number, *values) for number, values in enumerate(cursor, start=1))
        query = f'SELECT rowid AS "__rowid", * FROM "{table}"'
        if self.fast_text:
            names = [d[0] for d in self.connection.execute(f"{query} LIMIT 0").description]
            return names, self._decoded_by_sqlite(query)
        cursor = self.connection.execute(f"{query} ORDER BY rowid")
        return [d[0] for d in cursor.description], iter(cursor)

    def _decoded_by_sqlite(self, query: str) -> Iterator[tuple[Any, ...]]:
        """``query``'s rows in rowid order, TEXT decoded by the sqlite3 module itself (no
        call back into Python per value) until a value is not UTF-8, which it refuses; from
        that row on, read again through ``decode_text``."""
        last = None
        self.connection.text_factory = str
        try:
            for values in self.connection.execute(f"{query} ORDER BY rowid"):
                last = values[0]
                yield values
            return
        except sqlite3.OperationalError as exc:
            if "Could not decode to UTF-8" not in str(exc):
                raise
        finally:
            self.connection.text_factory = decode_text
        if last is None:
            yield from self.connection.execute(f"{query} ORDER BY rowid")
        else:
            yield from self.connection.execute(f"{query} WHERE rowid > ? ORDER BY rowid", (last,))

    def rows_at(self, table: str, rowids: list[int]) -> Iterator[dict[str, Any]]:
        """The rows ``rows()`` gives these ``__rowid`` values, in ``rows()`` order and read
        as it reads them (a table scan for a ``WITHOUT ROWID`` table, whose numbers are
        positions)."""
        if self.without_rowid(table):
            wanted = set(rowids)
            yield from (row for row in self.rows(table) if row["__rowid"] in wanted)
            return
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


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_AHEAD: dict[tuple[tuple[str, int, int], str], Future[Any]] = {}


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _quick_check(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("PRAGMA quick_check")]


def check_ahead(path: Path) -> None:
    """Starts, in a thread, what opening ``path`` begins with and what takes time on a big
    file: its SHA-256 and, for a SQLite file, ``PRAGMA quick_check`` (reading the file,
    hashing it and SQLite's work release the interpreter's lock). The command starts it
    before its slower imports, which it then runs beside; ``open_source`` takes the results
    only for the file as it was (same size and modification time), else does it again, as it
    does for a file this could not read."""
    try:
        identity = _identity(path)
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError:
        return
    digest: Future[str] = Future()
    checked: Future[list[str]] | None = None
    _AHEAD[identity, "sha256"] = digest
    if header == SQLITE_MAGIC and not _has_wal(path):
        checked = Future()
        _AHEAD[identity, "quick_check"] = checked

    def settle(future: Future[Any], work: Callable[[], Any]) -> None:
        try:
            future.set_result(work())
        except BaseException as exc:
            future.set_exception(exc)

    def work() -> None:
        settle(digest, lambda: _sha256_of(path))
        if checked is not None:
            settle(checked, lambda: _checked_apart(path))

    threading.Thread(target=work, name="d1import-check-ahead", daemon=True).start()


def _checked_apart(path: Path) -> list[str]:
    with closing(_read_only(path)) as connection:
        return _quick_check(connection)


def _ahead_or(path: Path, what: str, compute: Callable[[], Any]) -> Any:
    """What ``check_ahead`` computed as ``what`` for ``path`` as it is now, else ``compute()``
    (also when reading the file failed there: its error is the run's, raised here)."""
    try:
        ahead = _AHEAD.pop((_identity(path), what), None)
    except OSError:
        ahead = None
    if ahead is not None:
        try:
            return ahead.result()
        except OSError:
            pass
    return compute()


def file_sha256(path: Path) -> str:
    return str(_ahead_or(path, "sha256", lambda: _sha256_of(path)))


def _truncation(path: Path, header: bytes) -> str | None:
    """What the header promises and the file does not hold, if anything."""
    size = path.stat().st_size
    if len(header) < 100:
        return f"is truncated: {size} bytes, less than a SQLite header"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_count_valid = header[24:28] == header[92:96]  # else SQLite ignores the count
    if page_size and header_count_valid and pages and size < pages * page_size:
        return f"is truncated: {size} bytes where its header promises {pages * page_size}"
    if page_size and size % page_size:
        return f"is truncated: {size} bytes is not a whole number of {page_size}-byte pages"
    return None


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection that reads the file as it is (``immutable``: no journal, lock or WAL file
    beside it), from any thread of this process (the loading connections' threads write up
    the quarantine; the sqlite3 module is built serialized)."""
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
    except BaseException:
        connection.close()
        raise
    return connection


def _has_wal(path: Path) -> bool:
    """A write-ahead log with something in it lies beside the file."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _open_sqlite(path: Path, header: bytes) -> sqlite3.Connection:
    if _has_wal(path):
        raise SourceError(
            f"{path}: has a write-ahead log beside it ({path.name}-wal) that a read-only open "
            f"would not see: checkpoint it first (sqlite3 {path.name} 'PRAGMA wal_checkpoint')"
        )
    truncated = _truncation(path, header)
    if truncated:
        raise SourceError(f"{path}: the SQLite file {truncated}")
    connection = _read_only(path)
    try:
        problems = _ahead_or(path, "quick_check", lambda: _quick_check(connection))
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise SourceError(f"{path}: {sqlite_message(exc)}") from None
    if problems != ["ok"]:
        connection.close()
        first = next((p for p in problems if not p.startswith("***")), problems[0])
        raise SourceError(
            f"{path}: the SQLite file is damaged (PRAGMA quick_check: {scrub(first)}; "
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''})"
        )
    return connection


def _dump_lines(path: Path, compressed: bool) -> Iterator[tuple[int, str]]:
    """The dump's lines, numbered from 1, decoded as UTF-8 one by one (so an error names its
    line)."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if number == 1:
                        raise DumpError(
                            "neither a SQLite database nor a UTF-8 SQL dump "
                            "(its first line is not UTF-8 text)"
                        ) from None
                    raise DumpError(
                        f"line {number}: not UTF-8 text (at byte {exc.start + 1} of the line)"
                    ) from None
                yield number, line.removeprefix("\ufeff") if number == 1 else line
        except (OSError, EOFError, zlib.error) as exc:
            raise DumpError(f"the gzip data is damaged or cut short ({scrub(str(exc))})") from None


def _replay(path: Path, compressed: bool) -> sqlite3.Connection:
    try:
        return replay(_dump_lines(path, compressed))
    except DumpError as exc:
        raise SourceError(f"{path}: {exc}") from None
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: replaying the dump: {sqlite_message(exc)}") from None


def _gzip_content_start(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC))
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: the gzip data is damaged ({scrub(str(exc))})") from None


@contextmanager
def open_source(path: Path) -> Iterator[Source]:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header:
        raise SourceError(f"{path}: the file is empty")
    for magic, name in OTHER_COMPRESSIONS:
        if header.startswith(magic):
            raise SourceError(
                f"{path}: the file is {name}-compressed: decompress it first "
                "(a gzip-compressed dump is read directly)"
            )
    sha256 = file_sha256(path)
    if header.startswith(SQLITE_MAGIC):
        with closing(_open_sqlite(path, header)) as connection:
            yield Source(path, sha256, "sqlite", connection)
        return
    if header.startswith(GZIP_MAGIC) and _gzip_content_start(path) == SQLITE_MAGIC:
        raise SourceError(
            f"{path}: a gzip-compressed SQLite database: decompress it first "
            f"(gunzip -k {path.name})"
        )
    with closing(_replay(path, compressed=header.startswith(GZIP_MAGIC))) as connection:
        yield Source(path, sha256, "dump", connection)
