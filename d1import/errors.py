"""Error texts that are safe to show: one line, and no value from the source in them.

SQLite quotes pieces of the statement or the row in some messages (``near "...": syntax
error``, ``unrecognized token: "..."``). Those pieces can be a session token or an OAuth
credential, so they are cut out: a message names the line, the table and the column, never a
value. (TEXT that is not UTF-8 raises nothing: ``Source`` reads it as ``UndecodedText`` and the
converters quarantine it, the detail redacted for a secret column.)
"""

from __future__ import annotations

import re
import sqlite3

_QUOTED = re.compile(r"\"[^\"]*\"?|'[^']*'?")
_AFTER_COLON = ("no such column", "unrecognized token", "no such function")


class SafeMessage(Exception):
    """An error whose message this package wrote itself: one line, no source values."""


def scrub(message: str) -> str:
    """The message on one line, with every quoted piece of SQL or data removed."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    for prefix in _AFTER_COLON:
        if first.startswith(prefix):
            return prefix  # what follows is a piece of the statement: a value, perhaps
    first = re.sub(r'near "[^"]*"?: ', "", first)
    return _QUOTED.sub("…", first)[:300]


def sqlite_message(exc: BaseException) -> str:
    """A SQLite error in words, without values; damage says it is damage."""
    text = scrub(str(exc))
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "disk I/O" in text
    ):
        return f"the SQLite file is damaged ({text})"
    return text


def one_line(exc: BaseException) -> str:
    """Any exception as one safe line (for ``d1import.runs.error`` and the command line)."""
    if isinstance(exc, SafeMessage):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return sqlite_message(exc)
    text = scrub(str(exc))
    diag = getattr(exc, "diag", None)  # psycopg: the names are safe, the values are not
    if diag is not None:
        names = [
            f"{what} {name}"
            for what, name in (
                ("table", diag.table_name),
                ("column", diag.column_name),
                ("constraint", diag.constraint_name),
            )
            if name
        ]
        if names:
            text = f"{text} ({', '.join(names)})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
