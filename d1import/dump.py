"""Replaying the SQL dump ``wrangler d1 export`` writes, as data and nothing else.

A dump is input from outside, so it is never run as a script. Statements are split by a
scanner that keeps its quote state from line to line (each character is looked at once, so
any dump takes linear time; a string that is never closed is named by the line it opens on),
and each statement goes through SQLite's authorizer, which lets through only what wrangler
writes: ``PRAGMA defer_foreign_keys``, ``CREATE TABLE``, ``CREATE INDEX``, ``INSERT`` and the
``replace(...)``/``char(...)`` calls inside values. ATTACH, other pragmas, triggers, views,
SELECT, DELETE, transactions and every other function are refused with the line.

The replica is SQLite's private temporary database (opened with an empty name): SQLite
unlinks its file the moment it creates it, so no exit path, not even SIGKILL, leaves the
replayed rows (raw tokens among them) on disk.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from d1import.errors import SafeMessage, sqlite_message

MAX_STATEMENT_BYTES = 64 << 20  # D1 caps a row at 2 MB; anything this long is a stray quote

# The places where the scanner's state can change, outside quotes.
_SPECIAL = re.compile(r"""['";\[`]|--|/\*""")
_CLOSING = {"'": "'", '"': '"', "[": "]", "`": "`", "/*": "*/"}
_QUOTE_NAMES = {"'": "string", '"': "quoted name", "[": "[name]", "`": "`name`", "/*": "comment"}

# Functions a dump may call: the two wrangler writes inside values, and the pure built-ins a
# D1 schema can use in a CHECK, a generated column or an index expression.
VALUE_FUNCTIONS = frozenset({"replace", "char"})
SCHEMA_FUNCTIONS = frozenset(
    {"lower", "upper", "length", "trim", "abs", "coalesce", "ifnull", "typeof"}
    | {"datetime", "date", "time", "strftime", "julianday", "unixepoch", "json_valid"}
)


class DumpError(SafeMessage):
    """A dump that is not a clean ``wrangler d1 export``; the message names the line."""


@dataclass(frozen=True)
class Statement:
    line: int
    """The line the statement starts on."""
    text: str


class StatementSplitter:
    """Splits SQL text, fed line by line, into statements ending with ``;``.

    Quotes (``'...'``, ``"..."``, ``[...]``, backticks) and comments are tracked across lines,
    so a ``;`` inside them does not end a statement. A NUL byte inside a string becomes
    ``'||char(0)||'`` (the value then reaches the converters, which quarantine it with a
    reason); anywhere else it is refused.
    """

    def __init__(self) -> None:
        self.quote: str | None = None
        self.quote_line = 0
        self.start_line = 0
        self.parts: list[str] = []
        self.size = 0

    def feed(self, number: int, line: str) -> Iterator[Statement]:
        if "\x00" in line:
            line = self._nul_as_char(number, line)
        if (
            self.quote is None
            and not self.parts
            and line.count(";") == 1
            and sqlite3.complete_statement(line)
        ):
            # The common case, one statement on one line, decided in C (on this line only).
            yield Statement(number, line)
            return
        position = 0
        segment_start = 0
        end = len(line)
        while position < end:
            if self.quote is not None:
                closing = _CLOSING[self.quote]
                found = line.find(closing, position)
                if found < 0:
                    break
                position = found + len(closing)
                self.quote = None
                continue
            match = _SPECIAL.search(line, position)
            if match is None:
                break
            token = match.group()
            if token == ";":
                self._add(number, line[segment_start : match.end()])
                segment_start = position = match.end()
                yield Statement(self.start_line, "".join(self.parts))
                self.parts, self.size, self.start_line = [], 0, 0
            elif token == "--":  # the rest of the line is a comment: left out
                self._add(number, line[segment_start : match.start()] + "\n")
                segment_start = end
                break
            else:
                self.quote, self.quote_line = token, number
                position = match.end()
        self._add(number, line[segment_start:])

    def finish(self) -> None:
        """At the end of the dump: nothing may be left open."""
        if self.quote is not None and self.quote != "/*":
            # Quotes pair up from the stray one on, so the string left open at the end is
            # not where the fault is; the statement that swallowed the rest starts there.
            raise DumpError(
                f"line {self.start_line}: {self._subject()}a {_QUOTE_NAMES[self.quote]} in the "
                "statement starting here is never closed (a stray quote, or the dump is cut short)"
            )
        if self.start_line and "".join(self.parts).strip():
            raise DumpError(
                f"line {self.start_line}: {self._subject()}the last statement, starting here, "
                "does not end with ';' (is the dump cut short?)"
            )

    def _subject(self) -> str:
        head = "".join(self.parts[:4])[:200].lstrip()
        return _subject(Statement(self.start_line, head))

    def _add(self, number: int, segment: str) -> None:
        if not self.start_line:
            if not segment.strip():
                return  # blank space between statements
            self.start_line = number
        self.parts.append(segment)
        self.size += len(segment)
        if self.size > MAX_STATEMENT_BYTES:
            where = (
                f"a {_QUOTE_NAMES[self.quote]} opened on line {self.quote_line} is still open"
                if self.quote
                else "no ';' ends it"
            )
            raise DumpError(
                f"line {self.start_line}: the statement starting here is longer than "
                f"{MAX_STATEMENT_BYTES >> 20} MiB and {where}"
            )

    def _nul_as_char(self, number: int, line: str) -> str:
        """The line with each NUL inside a string written as ``'||char(0)||'``."""
        pieces: list[str] = []
        quote = self.quote
        position = 0
        while position < len(line):
            if quote is None:
                match = _SPECIAL.search(line, position)
                stop = match.start() if match else len(line)
                if "\x00" in line[position:stop] or (
                    match is not None and match.group() == "--" and "\x00" in line[stop:]
                ):
                    raise DumpError(f"line {number}: a NUL byte outside a string")
                if match is None or match.group() == "--":
                    pieces.append(line[position:])
                    break
                pieces.append(line[position : match.end()])
                position = match.end()
                if match.group() != ";":
                    quote = match.group()
                continue
            closing = _CLOSING[quote]
            found = line.find(closing, position)
            stop = len(line) if found < 0 else found + len(closing)
            inside = line[position:stop]
            if "\x00" in inside:
                if quote != "'":
                    raise DumpError(
                        f"line {number}: a NUL byte inside a {_QUOTE_NAMES[quote]}, not a string"
                    )
                inside = inside.replace("\x00", "'||char(0)||'")
            pieces.append(inside)
            position = stop
            if found >= 0:
                quote = None
        return "".join(pieces)


def split_statements(lines: Iterable[tuple[int, str]]) -> Iterator[Statement]:
    splitter = StatementSplitter()
    for number, line in lines:
        yield from splitter.feed(number, line)
    splitter.finish()


class DumpGuard:
    """SQLite authorizer for the replay: allows what wrangler writes, remembers what it
    refused so the error can say it."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def take(self) -> str | None:
        """What it refused since the last call, if anything."""
        refused, self.refused = self.refused, None
        return refused

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, database: str | None, _: str | None
    ) -> int:
        allowed = self._allowed(action, arg1, arg2, database)
        if not allowed:
            if self.refused is None:  # the first refusal of the statement is its cause
                self.refused = self._describe(action, arg1, arg2)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    @staticmethod
    def _allowed(action: int, arg1: str | None, arg2: str | None, database: str | None) -> bool:
        if action == sqlite3.SQLITE_PRAGMA:
            return (arg1 or "").lower() == "defer_foreign_keys"
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            return name in VALUE_FUNCTIONS or name in SCHEMA_FUNCTIONS
        if action in (sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_INDEX):
            return database == "main"
        if action == sqlite3.SQLITE_INSERT:
            # CREATE TABLE inserts into sqlite_master itself; a statement cannot (SQLite
            # refuses unless writable_schema, a pragma refused above).
            return database == "main"
        if action == sqlite3.SQLITE_UPDATE:
            return database == "main" and arg1 == "sqlite_master"  # CREATE TABLE's own step
        if action in (sqlite3.SQLITE_READ, sqlite3.SQLITE_REINDEX):
            return database == "main"  # CREATE INDEX reads its table and builds the index
        return False

    @staticmethod
    def _describe(action: int, arg1: str | None, arg2: str | None) -> str:
        if action == sqlite3.SQLITE_PRAGMA:
            return f"PRAGMA {arg1}"
        if action == sqlite3.SQLITE_FUNCTION:
            return f"the function {arg2}()"
        names = {
            sqlite3.SQLITE_ATTACH: "ATTACH",
            sqlite3.SQLITE_DETACH: "DETACH",
            sqlite3.SQLITE_SELECT: "SELECT",
            sqlite3.SQLITE_DELETE: "DELETE",
            sqlite3.SQLITE_UPDATE: "UPDATE",
            sqlite3.SQLITE_TRANSACTION: "BEGIN/COMMIT",
            sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT",
            sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
            sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TRIGGER",
            sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
            sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE VIEW",
            sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE",
            sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX",
            sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
            sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
            sqlite3.SQLITE_ANALYZE: "ANALYZE",
            sqlite3.SQLITE_RECURSIVE: "a recursive query",
        }
        if action in names:
            return names[action]
        if action in (
            sqlite3.SQLITE_DROP_TABLE,
            sqlite3.SQLITE_DROP_INDEX,
            sqlite3.SQLITE_DROP_TRIGGER,
            sqlite3.SQLITE_DROP_VIEW,
            sqlite3.SQLITE_DROP_VTABLE,
            sqlite3.SQLITE_DROP_TEMP_TABLE,
            sqlite3.SQLITE_DROP_TEMP_INDEX,
            sqlite3.SQLITE_DROP_TEMP_TRIGGER,
            sqlite3.SQLITE_DROP_TEMP_VIEW,
        ):
            return "DROP"
        return "a statement"


def replay(lines: Iterable[tuple[int, str]], *, cache_kib: int = 65536) -> sqlite3.Connection:
    """The statements of a dump in SQLite's private temporary database, read-only once
    replayed. Raises ``DumpError`` naming the line of the first statement it refuses."""
    # check_same_thread: the run reads it from its loading threads too (d1import.parallel;
    # the sqlite3 module is built serialized).
    replica = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    try:
        replica.execute("PRAGMA journal_mode = OFF")
        replica.execute("PRAGMA synchronous = OFF")
        replica.execute(f"PRAGMA cache_size = -{int(cache_kib)}")  # the rest spills to the file
        replica.execute("BEGIN")
        guard = DumpGuard()
        replica.set_authorizer(guard)
        for statement in split_statements(lines):
            try:
                replica.execute(statement.text)
            except sqlite3.Error as exc:
                refused = guard.take()
                if refused is not None:
                    problem = (
                        f"{refused} is not something `wrangler d1 export` writes "
                        "(a dump is replayed as data only)"
                    )
                elif isinstance(exc, sqlite3.ProgrammingError) and "one statement" in str(exc):
                    problem = "more than one statement where one was expected"
                else:
                    problem = sqlite_message(exc)
                raise DumpError(f"line {statement.line}: {_subject(statement)}{problem}") from None
        replica.set_authorizer(None)
        replica.execute("COMMIT")
        replica.execute("PRAGMA query_only = 1")
    except BaseException:
        replica.close()
        raise
    return replica


_INSERT_INTO = re.compile(r'\s*INSERT\s+INTO\s+["`\[]?(\w+)', re.IGNORECASE)


def _subject(statement: Statement) -> str:
    """``INSERT INTO sessions: `` for an INSERT (the table, never the values)."""
    match = _INSERT_INTO.match(statement.text[:200])
    return f"INSERT INTO {match.group(1)}: " if match else ""
