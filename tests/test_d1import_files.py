"""The import's source files, tried as an operator (a wrong or damaged file) and as an adversary
(a crafted dump): each is refused in one line naming the file and the problem (exit 2, no
traceback), writes nothing to the target, creates no file, and never shows a secret value.

Most cases call the command line in-process (``main``); the cases about files, temporary
directories and signals run it as a process with ``TMPDIR`` pointed at a fresh directory.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from d1import import load as load_module
from d1import.__main__ import main
from d1import.dump import DumpError, replay, split_statements
from d1import.run import run_import
from d1import.source import Source, open_source
from dbtools.server import server_from_env
from tests.d1_fixture import D1Builder, write_dump
from tests.support import ROOT, engine_for

SERVER = server_from_env()
# Every secret column of the fixture holds this (alphanumeric, so it can stand anywhere in SQL).
TOKEN = "plantedSecretToken7f3a9c"


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def d1_file(path: Path, **builder: Any) -> Path:
    """A small, complete D1 database whose secrets are all ``TOKEN``."""
    d1 = D1Builder(path, **builder)
    d1.add("users", id="u_1", email="ada@example.org", name="Ada")
    d1.add("users", id="u_2", email="bob@example.org", name="Bob")
    d1.add(
        "accounts",
        id="acc_1",
        userId="u_1",
        type="oauth",
        provider="github",
        providerAccountId="1",
        access_token=TOKEN,
        refresh_token=TOKEN,
        id_token=TOKEN,
    )
    d1.add("sessions", id="ses_0", sessionToken=TOKEN, userId="u_1", expires="2099-01-01")
    d1.add("verification_tokens", identifier="ada@example.org", token=TOKEN, expires="2099-01-01")
    d1.add("journal_entries", id="j_1", user_id="u_2", content="dear diary")
    return d1.close()


def dump_lines(path: Path, tmp: Path) -> list[str]:
    """The ``wrangler d1 export`` dump of ``path``, as lines (ending in newlines)."""
    return write_dump(path, tmp / "plain.sql").read_text().splitlines(keepends=True)


def session_line(lines: list[str]) -> int:
    """The index of the sessions INSERT in a dump."""
    return next(i for i, line in enumerate(lines) if line.startswith('INSERT INTO "sessions"'))


def target_state(engine: Engine) -> dict[str, int]:
    """Row counts of every table of the app and of the import's schema, and the schemas (two
    round trips: the table list, then one ``UNION ALL`` of their counts; no XML functions, which
    a server built without libxml lacks)."""
    with engine.connect() as connection:
        tables = connection.execute(
            text(
                "SELECT format('%I.%I', schemaname, tablename), schemaname || '.' || tablename "
                "FROM pg_tables WHERE schemaname IN ('public', 'd1import') ORDER BY 2"
            )
        ).all()
        union = " UNION ALL ".join(
            f"SELECT '{label}', count(*) FROM {quoted}" for quoted, label in tables
        )
        counts: dict[str, int] = dict(connection.execute(text(union)).all()) if tables else {}
        schemas = connection.execute(text("SELECT count(*) FROM pg_namespace")).scalar_one()
    return counts | {"schemas": schemas}


def files_under(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


class Operator:
    """Runs ``python -m d1import`` against one target, with a run directory of its own."""

    def __init__(self, tmp_path: Path, url: URL, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.inputs = tmp_path / "inputs"
        self.run_dir = tmp_path / "run"
        self.tmpdir = tmp_path / "tmp"
        self.elsewhere = tmp_path / "elsewhere"
        for directory in (self.inputs, self.run_dir, self.tmpdir, self.elsewhere):
            directory.mkdir()

    def argv(self, source: Path, *extra: str) -> list[str]:
        report = self.run_dir / "report"
        return [str(source), "--database-url", url_text(self.url), "--report", str(report), *extra]

    def in_process(self, capsys: pytest.CaptureFixture[str], source: Path, *extra: str) -> Outcome:
        code = main(self.argv(source, *extra))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def process(self, source: Path, *extra: str) -> Outcome:
        done = subprocess.run(
            [sys.executable, "-m", "d1import", *self.argv(source, *extra)],
            cwd=self.run_dir,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    def start(self, source: Path, *, capture: bool = False) -> subprocess.Popen[str]:
        """``python -m d1import`` started, not waited for (to kill or signal it mid-run);
        ``capture``: its output piped, else discarded."""
        output = subprocess.PIPE if capture else subprocess.DEVNULL
        return subprocess.Popen(
            [sys.executable, "-m", "d1import", *self.argv(source)],
            cwd=self.run_dir,
            env=self.env(),
            stdout=output,
            stderr=output,
            text=True,
        )

    def env(self) -> dict[str, str]:
        return os.environ | {
            "TMPDIR": str(self.tmpdir),
            "SQLITE_TMPDIR": str(self.tmpdir),
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def leaked(self) -> list[str]:
        """Where the token is found: report files, temporary files, the import's tables."""
        places = [
            f"{where}/{name}"
            for where, directory in (("run", self.run_dir), ("tmp", self.tmpdir))
            for name, content in files_under(directory).items()
            if TOKEN.encode() in content
        ]
        with self.engine.connect() as connection:
            if connection.execute(text("SELECT to_regclass('d1import.runs')")).scalar():
                for table in ("runs", "quarantine", "id_map"):
                    found = connection.execute(
                        text(f"SELECT count(*) FROM d1import.{table} x WHERE x::text LIKE :t"),
                        {"t": f"%{TOKEN[:12]}%"},
                    ).scalar_one()
                    if found:
                        places.append(f"d1import.{table}")
        return places


@pytest.fixture
def operator(tmp_path: Path, seeded_db: URL, seeded_engine: Engine) -> Operator:
    """An operator with a fresh target of their own."""
    return Operator(tmp_path, seeded_db, seeded_engine)


@pytest.fixture(scope="module")
def shared_target(pg_seeded_server: Any) -> Iterator[tuple[URL, Engine]]:
    """One seeded target for the refusals of this module: each asserts that it wrote nothing,
    so a refusal that did write fails its own test."""
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"{pg_seeded_server.dbname}_files"
    with DatabaseJanitor(
        user=SERVER.user,
        host=SERVER.host,
        port=SERVER.port,
        dbname=name,
        template_dbname=pg_seeded_server.template_dbname,
        password=SERVER.password,
    ):
        url = SERVER.url(name)
        with engine_for(url) as engine:
            yield url, engine


@pytest.fixture
def refuser(tmp_path: Path, shared_target: tuple[URL, Engine]) -> Operator:
    """An operator whose file is refused: the target is shared (see ``shared_target``)."""
    return Operator(tmp_path, *shared_target)


def assert_refused(
    operator: Operator,
    run: Callable[[], Outcome],
    source: Path,
    problem: str,
    *,
    code: int = 2,
) -> Outcome:
    """Refused: the code, one line naming the file and the problem, nothing written, no file
    created, no secret shown."""
    before = target_state(operator.engine)
    inputs_before = sorted(os.listdir(operator.inputs))
    outcome = run()
    assert outcome.code == code, outcome.stderr
    assert outcome.stdout == ""
    assert outcome.stderr.count("\n") == 1, outcome.stderr
    assert outcome.stderr.endswith("\n"), outcome.stderr
    assert outcome.stderr.startswith(f"error: {source}"), outcome.stderr
    assert problem in outcome.stderr, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert TOKEN[:12] not in outcome.stderr + outcome.stdout
    assert operator.leaked() == []
    assert target_state(operator.engine) == before
    assert sorted(os.listdir(operator.inputs)) == inputs_before  # no -journal, -wal, -shm
    assert os.listdir(operator.run_dir) == []  # not even a report
    assert os.listdir(operator.tmpdir) == []
    assert os.listdir(operator.elsewhere) == []
    return outcome


# --- 1. a dump is data, not a program ------------------------------------------------------


def hostile_statements(elsewhere: Path) -> dict[str, tuple[str, str]]:
    """Statement -> what the refusal names."""
    pwned = elsewhere / "PWNED.db"
    return {
        "issue": (
            f"COMMIT; ATTACH DATABASE '{pwned}' AS p; CREATE TABLE p.t(x); "
            "INSERT INTO p.t VALUES('written by the dump');",
            "BEGIN/COMMIT is not something `wrangler d1 export` writes",
        ),
        "attach": (f"ATTACH DATABASE '{pwned}' AS p;", "ATTACH is not something"),
        "vacuum_into": (f"VACUUM INTO '{pwned}';", "VACUUM"),
        "pragma": ("PRAGMA writable_schema = ON;", "PRAGMA writable_schema is not something"),
        "trigger": (
            'CREATE TRIGGER t AFTER INSERT ON "users" BEGIN DELETE FROM "users"; END;',
            "CREATE TRIGGER is not something",
        ),
        "view": ('CREATE VIEW v AS SELECT * FROM "users";', "CREATE VIEW is not something"),
        "select_in_values": (
            'INSERT INTO "journal_entries" ("id","user_id","content") '
            "VALUES('j_x','u_1',(SELECT sessionToken FROM sessions));",
            "INSERT INTO journal_entries: SELECT is not something",
        ),
        "function": (
            'INSERT INTO "journal_entries" ("id","user_id","content") '
            "VALUES('j_x','u_1',load_extension('/tmp/x'));",
            "the function load_extension() is not something",
        ),
        "delete": ('DELETE FROM "users";', "DELETE is not something"),
    }


@pytest.mark.parametrize("case", list(hostile_statements(Path("/x"))))
def test_a_dump_runs_only_what_wrangler_writes(
    refuser: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    statement, problem = hostile_statements(refuser.elsewhere)[case]
    lines = dump_lines(d1_file(tmp_path / "d1.sqlite"), tmp_path)
    at = session_line(lines)
    dump = refuser.inputs / "hostile.sql"
    dump.write_text("".join([*lines[:at], statement + "\n", *lines[at:]]))
    outcome = assert_refused(
        refuser, lambda: refuser.in_process(capsys, dump), dump, f"line {at + 1}: "
    )
    assert problem in outcome.stderr
    assert not (refuser.elsewhere / "PWNED.db").exists()


def test_the_issues_attach_dump_writes_no_file_as_a_process(
    refuser: Operator, tmp_path: Path
) -> None:
    statement, problem = hostile_statements(refuser.elsewhere)["issue"]
    lines = dump_lines(d1_file(tmp_path / "d1.sqlite"), tmp_path)
    dump = refuser.inputs / "hostile.sql"
    dump.write_text(statement + "\n" + "".join(lines))
    outcome = assert_refused(refuser, lambda: refuser.process(dump), dump, "line 1: ")
    assert problem in outcome.stderr
    assert not (refuser.elsewhere / "PWNED.db").exists()


def test_the_refusal_names_each_hostile_statement(tmp_path: Path) -> None:
    schema = [
        "PRAGMA defer_foreign_keys=TRUE;\n",
        'CREATE TABLE "users" (id TEXT PRIMARY KEY);\n',
        'CREATE TABLE "sessions" (id TEXT PRIMARY KEY, sessionToken TEXT);\n',
        'CREATE TABLE "journal_entries" (id TEXT PRIMARY KEY, user_id TEXT, content TEXT);\n',
    ]
    for statement, problem in hostile_statements(tmp_path).values():
        lines = enumerate([*schema, statement + "\n"], start=1)
        with pytest.raises(DumpError, match=r"^line 5: ") as raised:
            replay(lines).close()
        assert problem in str(raised.value)
    assert list(tmp_path.iterdir()) == []


# --- 2. no secret in any message -------------------------------------------------------------


def secret_error_dumps(lines: list[str]) -> dict[str, tuple[list[str], str]]:
    """Dumps with an error on the sessions line (which holds the token) -> the problem named."""
    at = session_line(lines)
    head, tail = lines[:at], lines[at + 1 :]
    insert = 'INSERT INTO "sessions" ("id","sessionToken","userId","expires") VALUES'
    return {
        "syntax": ([*head, f"{insert}('ses_0','{TOKEN}','u_1','2099-01-01';\n", *tail], "syntax"),
        "bad_token": ([*head, f"{insert}('ses_0',x'{TOKEN}','u_1','x');\n", *tail], "token"),
        "bare_word": ([*head, f"{insert}('ses_0',{TOKEN},'u_1','x');\n", *tail], "no such column"),
        "values_count": ([*head, f"{insert}('ses_0','{TOKEN}');\n", *tail], "values for 4"),
        "unclosed": ([*head, f"{insert}('ses_0','{TOKEN},'u_1','x');\n", *tail], "never closed"),
        "duplicate": ([*lines[: at + 1], lines[at], *tail], "UNIQUE constraint failed"),
        "nul_outside": ([*head, f"{insert}('ses_0','{TOKEN}',\x00'u_1','x');\n", *tail], "NUL"),
    }


@pytest.mark.parametrize(
    "case",
    ["syntax", "bad_token", "bare_word", "values_count", "unclosed", "duplicate", "nul_outside"],
)
def test_no_message_shows_a_secret(
    refuser: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    lines, problem = secret_error_dumps(dump_lines(d1_file(tmp_path / "d1.sqlite"), tmp_path))[case]
    at = session_line(lines) + 1
    dump = refuser.inputs / "secret.sql"
    dump.write_text("".join(lines))
    outcome = assert_refused(refuser, lambda: refuser.in_process(capsys, dump), dump, problem)
    assert f"line {at + 1 if case == 'duplicate' else at}: " in outcome.stderr
    if case != "nul_outside":  # found before the line is read as SQL
        assert "INSERT INTO sessions" in outcome.stderr


def test_a_dump_line_that_is_not_utf8_is_named_without_its_bytes(
    refuser: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = dump_lines(d1_file(tmp_path / "d1.sqlite"), tmp_path)
    at = session_line(lines)
    raw = [line.encode() for line in lines]
    raw[at] = raw[at].replace(TOKEN.encode(), TOKEN.encode()[:12] + b"\xff\xfe" + b"rest")
    dump = refuser.inputs / "latin.sql"
    dump.write_bytes(b"".join(raw))
    assert_refused(
        refuser, lambda: refuser.in_process(capsys, dump), dump, f"line {at + 1}: not UTF-8"
    )


def test_a_sqlite_token_that_is_not_utf8_is_never_shown(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = operator.inputs / "d1.sqlite"
    d1_file(source)
    with sqlite3.connect(source) as connection:
        connection.execute("UPDATE sessions SET sessionToken = CAST(? || X'FF' AS TEXT)", (TOKEN,))
    connection.close()
    outcome = operator.in_process(capsys, source)
    # Refused (the value cannot be read) or quarantined (redacted): never shown.
    assert outcome.code in (0, 2), outcome.stderr
    assert TOKEN[:12] not in outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert operator.leaked() == []


def test_a_killed_dump_replay_leaves_no_file(operator: Operator, tmp_path: Path) -> None:
    """SIGKILL mid-way: SQLite unlinks the replica's file as it creates it, so nothing of the
    dump (raw tokens among it) stays on disk, wherever the kill lands."""
    d1 = D1Builder(tmp_path / "big.sqlite")
    d1.add("users", id="u_1", email="ada@example.org")
    d1.connection.executemany(
        "INSERT INTO sessions (id, sessionToken, userId, expires) VALUES (?, ?, 'u_1', '2099')",
        ((f"s_{n}", f"{TOKEN}{n}") for n in range(30_000)),
    )
    dump = write_dump(d1.close(), operator.inputs / "big.sql")
    process = operator.start(dump)
    assert wait_until_open(process.pid, dump), "the run never opened the dump"
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert os.listdir(operator.tmpdir) == []
    assert sorted(os.listdir(operator.inputs)) == ["big.sql"]
    assert operator.leaked() == []


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found += [int(child) for child in listing.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return found


CONVERTING_ROWS = 1_000_000  # converting them all takes several seconds


def test_a_killed_run_leaves_no_converting_process_and_no_file(
    operator: Operator, tmp_path: Path
) -> None:
    """SIGKILL of the run while its converting process works (d1import.pipeline): the
    process notices it was left alone and ends; the spool files had no name."""
    d1 = D1Builder(operator.inputs / "big.sqlite")
    d1.add("users", id="u_1", email="ada@example.org")
    d1.connection.executemany(
        "INSERT INTO points_ledger (id, user_id, event_type, coins, xp, created_at) "
        "VALUES (?, 'u_1', 'focus_complete', 1, 2, '2025-01-02 03:04:05')",
        ((f"p_{n}",) for n in range(CONVERTING_ROWS)),
    )
    source = d1.close()
    process = operator.start(source)
    deadline = time.monotonic() + 60
    while not (converting := children(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert converting, "the run never started its converting process"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 3  # it stops within a batch, long before it would finish
    while any(os.path.exists(f"/proc/{pid}") for pid in converting):
        assert time.monotonic() < deadline, "the converting process outlived the run"
        time.sleep(0.05)
    assert os.listdir(operator.tmpdir) == []


def open_files(pid: int) -> list[str]:
    """What process ``pid`` has open (its file descriptors come and go while we look)."""
    links = []
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return []
    for fd in descriptors:
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue
    return links


def wait_until_open(pid: int, path: Path, timeout: float = 60.0) -> bool:
    """Whether process ``pid`` opened ``path`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if str(path) in open_files(pid):
            return True
        time.sleep(0.01)
    return False


def test_the_replica_file_is_unlinked_while_in_use(tmp_path: Path) -> None:
    """The replica spills to a file (a small cache here) that no directory lists."""
    rows = (f"INSERT INTO t VALUES({n}, '{'x' * 2000}');\n" for n in range(3000))
    lines = enumerate(["CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n", *rows], start=1)
    replica = replay(lines, cache_kib=256)
    try:
        links = open_files(os.getpid())
        spilled = [link for link in links if "etilqs_" in link]
        assert spilled, "the replica never used a file"
        assert all(link.endswith("(deleted)") for link in spilled)
        assert replica.execute("SELECT count(*) FROM t").fetchone() == (3000,)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            replica.execute("INSERT INTO t VALUES(-1, 'x')")
    finally:
        replica.close()


# --- 3. the source is checked before the target is touched --------------------------------


def truncated(fraction: float) -> Callable[[Path, Path], Path]:
    def make(tmp: Path, inputs: Path) -> Path:
        whole = d1_file(tmp / "whole.sqlite").read_bytes()
        path = inputs / f"cut_{int(fraction * 100)}.sqlite"
        path.write_bytes(whole[: int(len(whole) * fraction)])
        return path

    return make


def page_overwritten(tmp: Path, inputs: Path) -> Path:
    d1 = D1Builder(tmp / "whole.sqlite")
    for n in range(300):
        d1.add("journal_entries", id=f"j_{n}", user_id="u", content="x" * 200)
    data = bytearray(d1.close().read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = b"\xa5" * page
    path = inputs / "damaged.sqlite"
    path.write_bytes(bytes(data))
    return path


def gzipped_sqlite(tmp: Path, inputs: Path) -> Path:
    path = inputs / "d1.sqlite.gz"
    path.write_bytes(gzip.compress(d1_file(tmp / "d1.sqlite").read_bytes()))
    return path


def gzip_cut_short(tmp: Path, inputs: Path) -> Path:
    whole = gzip.compress(write_dump(d1_file(tmp / "d1.sqlite"), tmp / "d1.sql").read_bytes())
    path = inputs / "d1.sql.gz"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def compressed(magic: bytes, name: str) -> Callable[[Path, Path], Path]:
    def make(tmp: Path, inputs: Path) -> Path:
        path = inputs / f"d1.sql.{name}"
        path.write_bytes(magic + b"\x00" * 64)
        return path

    return make


def empty(tmp: Path, inputs: Path) -> Path:
    path = inputs / "empty.sqlite"
    path.write_bytes(b"")
    return path


def sqlite_without_tables(tmp: Path, inputs: Path) -> Path:
    path = inputs / "nothing.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 1").connection.close()
    return path


def dump_without_tables(tmp: Path, inputs: Path) -> Path:
    path = inputs / "nothing.sql"
    path.write_text("PRAGMA defer_foreign_keys=TRUE;\n")
    return path


def binary_junk(tmp: Path, inputs: Path) -> Path:
    path = inputs / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    return path


def other_database(tmp: Path, inputs: Path) -> Path:
    path = inputs / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.close()
    return path


def missing_table(tmp: Path, inputs: Path) -> Path:
    return d1_file(inputs / "partial.sqlite", leave_out={"reading_sessions"})


def missing_columns(tmp: Path, inputs: Path) -> Path:
    path = d1_file(inputs / "partial.sqlite")
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE users DROP COLUMN image")
        connection.execute("ALTER TABLE users DROP COLUMN email")
    connection.close()
    return path


def extra_table(tmp: Path, inputs: Path) -> Path:
    path = d1_file(inputs / "more.sqlite")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE mystery (id TEXT PRIMARY KEY)")
    connection.close()
    return path


def stray_quote(tmp: Path, inputs: Path) -> Path:
    """One unmatched quote near the top of a long dump (this was quadratic)."""
    lines = dump_lines(d1_file(tmp / "d1.sqlite"), tmp)
    at = session_line(lines)
    body = "".join(
        f"INSERT INTO journal_entries (id, user_id, content) VALUES('j{n}', 'u_2', 'x');\n"
        for n in range(20_000)
    )
    lines[at] = lines[at].replace("'ses_0'", "'ses_0")
    path = inputs / "quote.sql"
    path.write_text("".join(lines) + body)
    return path


SOURCE_CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "truncated_10": (truncated(0.10), "the SQLite file is truncated"),
    "truncated_50": (truncated(0.50), "the SQLite file is truncated"),
    "truncated_97": (truncated(0.97), "the SQLite file is truncated"),
    "page_overwritten": (page_overwritten, "the SQLite file is damaged"),
    "gzipped_sqlite": (gzipped_sqlite, "a gzip-compressed SQLite database: decompress it"),
    "gzip_cut_short": (gzip_cut_short, "the gzip data is damaged or cut short"),
    "zstd": (compressed(b"\x28\xb5\x2f\xfd", "zst"), "zstd-compressed: decompress it first"),
    "xz": (compressed(b"\xfd7zXZ\x00", "xz"), "xz-compressed: decompress it first"),
    "empty": (empty, "the file is empty"),
    "sqlite_without_tables": (sqlite_without_tables, "holds none of D1's 66 tables"),
    "dump_without_tables": (dump_without_tables, "holds none of D1's 66 tables"),
    "binary_junk": (binary_junk, "neither a SQLite database nor a UTF-8 SQL dump"),
    "other_database": (other_database, "holds none of D1's 66 tables"),
    "missing_table": (
        missing_table,
        "missing reading_sessions (to import without it: --allow-missing reading_sessions)",
    ),
    "missing_columns": (
        missing_columns,
        "missing users.email, users.image (to import without them: "
        "--allow-missing users.email --allow-missing users.image)",
    ),
    "extra_table": (extra_table, "tables not in the D1 map (their rows would be lost): mystery"),
    "stray_quote": (
        stray_quote,
        "INSERT INTO sessions: a string in the statement starting here is never closed",
    ),
}


@pytest.mark.parametrize("case", list(SOURCE_CASES))
def test_a_wrong_or_damaged_file_is_refused(
    refuser: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    make, problem = SOURCE_CASES[case]
    source = make(tmp_path, refuser.inputs)
    outcome = assert_refused(refuser, lambda: refuser.in_process(capsys, source), source, problem)
    if case == "stray_quote":
        lines = source.read_text().splitlines()
        assert f"line {session_line(lines) + 1}: " in outcome.stderr


def test_a_damaged_file_is_refused_as_a_process(refuser: Operator, tmp_path: Path) -> None:
    source = page_overwritten(tmp_path, refuser.inputs)
    assert_refused(refuser, lambda: refuser.process(source), source, "damaged")


def test_allow_missing_imports_and_reports_what_was_absent(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = d1_file(operator.inputs / "partial.sqlite", leave_out={"reading_sessions"})
    with sqlite3.connect(source) as connection:
        connection.execute("ALTER TABLE users DROP COLUMN image")
    connection.close()
    outcome = operator.in_process(
        capsys, source, "--allow-missing", "reading_sessions", "--allow-missing", "users.image"
    )
    assert outcome.code == 0, outcome.stderr
    report = json.loads((operator.run_dir / "report" / "report.json").read_text())
    assert report["absent_from_source"] == {
        "tables": ["reading_sessions"],
        "columns": ["users.image"],
    }
    assert report["tables"]["users"]["loaded_rows"] == 2
    assert "- users.image" in (operator.run_dir / "report" / "report.md").read_text()
    assert operator.leaked() == []


@pytest.mark.parametrize(
    ("flag", "problem"),
    [
        ("nowhere", "D1 has no table nowhere"),
        ("users.nickname", "D1's users has no column nickname"),
        ("users.id", "id is users's primary key"),
    ],
)
def test_allow_missing_names_must_be_d1s(
    refuser: Operator, capsys: pytest.CaptureFixture[str], flag: str, problem: str
) -> None:
    source = d1_file(refuser.inputs / "d1.sqlite")
    before = target_state(refuser.engine)
    outcome = refuser.in_process(capsys, source, "--allow-missing", flag)
    assert outcome.code == 2
    assert outcome.stderr == f"error: --allow-missing {flag}: {problem}" + (
        "; rows without it cannot be imported\n" if flag == "users.id" else "\n"
    )
    assert target_state(refuser.engine) == before


def test_gzip_dumps_are_read_directly(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dump = write_dump(d1_file(tmp_path / "d1.sqlite"), tmp_path / "d1.sql")
    packed = operator.inputs / "d1.sql.gz"
    packed.write_bytes(gzip.compress(dump.read_bytes()))
    outcome = operator.in_process(capsys, packed)
    assert outcome.code == 0, outcome.stderr
    report = json.loads((operator.run_dir / "report" / "report.json").read_text())
    assert report["source"]["kind"] == "dump"
    assert report["tables"]["users"]["loaded_rows"] == 2
    assert operator.leaked() == []


def test_a_nul_inside_a_dump_string_quarantines_its_row(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = dump_lines(d1_file(tmp_path / "d1.sqlite"), tmp_path)
    lines = [line.replace("dear diary", "dear\x00diary") for line in lines]
    dump = operator.inputs / "nul.sql"
    dump.write_text("".join(lines))
    outcome = operator.in_process(capsys, dump)
    assert outcome.code == 0, outcome.stderr
    with operator.engine.connect() as connection:
        kind, column, detail = connection.execute(
            text("SELECT kind, d1_column, detail FROM d1import.quarantine WHERE legacy_id = 'j_1'")
        ).one()
    assert (kind, column) == ("invalid_text", "content")
    assert "NUL" in detail


def test_without_rowid_tables_load_in_primary_key_order(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d1 = D1Builder(operator.inputs / "d1.sqlite", without_rowid={"users"})
    d1.add("users", id="u_b", email="ADA@example.org")  # inserted first, later by key
    d1.add("users", id="u_a", email="ada@example.org")
    source = d1.close()
    outcome = operator.in_process(capsys, source)
    assert outcome.code == 0, outcome.stderr
    with operator.engine.connect() as connection:
        collision = connection.execute(
            text(
                "SELECT kind, d1_column, related_table, related_legacy_id "
                "FROM d1import.quarantine WHERE legacy_id = 'u_b'"
            )
        ).one()
    assert tuple(collision) == ("duplicate_key", "email", "users", "u_a")
    dump = write_dump(source, operator.inputs / "d1.sql")
    with open_source(dump) as from_dump:
        assert [r["id"] for r in from_dump.rows("users")] == ["u_a", "u_b"]


# --- 4. linear time ------------------------------------------------------------------------


def test_statements_are_split_where_sqlite_would() -> None:
    lines = [
        "CREATE TABLE t(x);INSERT INTO t VALUES('a;\n",
        "b'); -- a comment; with a semicolon\n",
        "INSERT INTO \"t\" VALUES('it''s; fine'); /* ; */\n",
        "INSERT INTO [t] VALUES(`x;`);\n",
        "-- the end; nothing after\n",
    ]
    statements = list(split_statements(enumerate(lines, start=1)))
    assert [(s.line, s.text.strip()) for s in statements] == [
        (1, "CREATE TABLE t(x);"),
        (1, "INSERT INTO t VALUES('a;\nb');"),
        (3, "INSERT INTO \"t\" VALUES('it''s; fine');"),
        (3, "/* ; */\nINSERT INTO [t] VALUES(`x;`);"),
    ]


def test_any_text_in_a_string_replays_to_itself() -> None:
    """Randomised (fixed seed): values full of quotes, semicolons, comment markers, brackets,
    newlines and NULs, written as SQL literals one or several to a line, replay exactly."""
    rng = random.Random(12)
    alphabet = [*"'\";-/*[]` aé🎉", "\n", "\r", "\x00"]
    values = ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(400)]
    text = "CREATE TABLE t(n INTEGER PRIMARY KEY, v TEXT);\n"
    for n, value in enumerate(values):
        literal = "'" + value.replace("'", "''") + "'"
        text += f"INSERT INTO t VALUES({n}, {literal});" + rng.choice(["\n", " ", "", "\n\n"])
    # Lines as a file would give them (a value's newline splits its statement too).
    numbered = enumerate(text.splitlines(keepends=True), start=1)
    replica = replay(numbered)
    try:
        stored = [v for (v,) in replica.execute("SELECT v FROM t ORDER BY n")]
    finally:
        replica.close()
    assert stored == values


def test_a_stray_quote_names_the_statement_it_opens_in() -> None:
    """From a stray quote on, quotes pair up wrongly to the end of the dump; the error names
    the line of the statement that swallowed the rest, not the last quote. (Time: linear;
    `bench/dump_split.py`.)"""
    lines = [
        "CREATE TABLE t(x);\n",
        "INSERT INTO t VALUES('open);\n",
        *(f"INSERT INTO t VALUES('{n}');\n" for n in range(3, 5003)),
    ]
    with pytest.raises(
        DumpError, match=r"^line 2: INSERT INTO t: a string in the statement starting here"
    ):
        replay(enumerate(lines, start=1)).close()
    with pytest.raises(DumpError, match=r"^line 3: the last statement, starting here"):
        list(split_statements(enumerate([*lines[:1], "INSERT INTO t VALUES(1);\n", "x"], 1)))


# --- 5. sources never mix -------------------------------------------------------------------


def test_a_second_source_is_refused_even_when_the_first_loaded_no_users(
    operator: Operator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = D1Builder(operator.inputs / "first.sqlite")
    first.add("db_metadata", key="db_version", value="100")
    assert operator.in_process(capsys, first.close()).code == 0
    for name in os.listdir(operator.run_dir / "report"):
        (operator.run_dir / "report" / name).unlink()
    (operator.run_dir / "report").rmdir()
    second = d1_file(operator.inputs / "second.sqlite")
    assert_refused(
        operator,
        lambda: operator.in_process(capsys, second),
        second,
        "the target holds an import of another source",
    )


# --- 6. runs: failed, interrupted, resumed ------------------------------------------------


def runs(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(text("SELECT id, status, error FROM d1import.runs ORDER BY id"))
        )


def test_damage_found_after_the_start_fails_the_run_in_one_line(
    operator: Operator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = d1_file(operator.inputs / "d1.sqlite")
    original = Source.tuples

    def damaged(self: Source, table: str) -> Any:
        if table == "sessions":
            raise sqlite3.DatabaseError("database disk image is malformed")
        return original(self, table)

    monkeypatch.setattr(Source, "tuples", damaged)
    outcome = operator.in_process(capsys, source)
    assert outcome.code == 2
    assert outcome.stderr == (
        f"error: {source}: reading table sessions: the SQLite file is damaged "
        "(database disk image is malformed)\n"
    )
    [(_, status, error)] = runs(operator.engine)
    assert status == "failed"
    assert "reading table sessions" in error
    assert operator.leaked() == []


def test_an_interrupted_run_is_marked_and_the_next_one_resumes_it(
    operator: Operator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = d1_file(operator.inputs / "d1.sqlite")
    original = load_module.TableLoader.load

    def killed(self: load_module.TableLoader) -> Any:
        if self.d1_table == "journal_entries":
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(load_module.TableLoader, "load", killed)
    outcome = operator.in_process(capsys, source)
    assert outcome.code == 130
    assert outcome.stderr.count("\n") == 1
    assert "interrupted" in outcome.stderr
    [(first, status, _)] = runs(operator.engine)
    assert status == "interrupted"
    monkeypatch.undo()

    result = run_import(source, url_text(operator.url))
    assert result.report["run"]["resumes"]["run"] == first
    assert result.report["run"]["resumes"]["status"] == "interrupted"
    moved = sum(t.source_rows for t in result.tables.values() if not t.resumed)
    assert result.report["moved_rows"] == moved < result.source_rows
    assert result.report["rows_per_second"] == round(moved / result.seconds, 1)
    assert [status for _, status, _ in runs(operator.engine)] == ["interrupted", "completed"]


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = d1_file(operator.inputs / "d1.sqlite")
    original = load_module.TableLoader.load

    def killed(self: load_module.TableLoader) -> Any:
        if self.d1_table == "journal_entries":
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(load_module.TableLoader, "load", killed)
    with pytest.raises(KeyboardInterrupt):
        run_import(source, url_text(operator.url))
    monkeypatch.undo()
    with operator.engine.begin() as connection:  # what SIGKILL leaves: no chance to mark it
        connection.execute(text("UPDATE d1import.runs SET status = 'running', error = NULL"))

    result = run_import(source, url_text(operator.url))
    [(first, status, error), (_, last, _)] = runs(operator.engine)
    assert (status, last) == ("interrupted", "completed")
    assert "process ended without finishing" in error
    assert result.report["run"]["marked_interrupted"] == [first]
    assert result.report["run"]["resumes"]["run"] == first


def test_sigterm_interrupts_in_one_line_and_leaves_no_file(
    operator: Operator, tmp_path: Path
) -> None:
    d1 = D1Builder(tmp_path / "big.sqlite")
    d1.add("users", id="u_1", email="ada@example.org")
    d1.connection.executemany(
        "INSERT INTO journal_entries (id, user_id, content) VALUES (?, 'u_1', ?)",
        ((f"j_{n}", f"{TOKEN} {n}") for n in range(40_000)),
    )
    dump = write_dump(d1.close(), operator.inputs / "big.sql")
    before = target_state(operator.engine)
    process = operator.start(dump, capture=True)
    assert wait_until_open(process.pid, dump), "the run never opened the dump"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.count("\n") == 1, err
    assert "interrupted" in err, err
    assert TOKEN not in out + err
    assert os.listdir(operator.tmpdir) == []
    assert target_state(operator.engine) == before  # stopped while replaying: nothing written


def test_a_digest_taken_ahead_is_the_files_own_and_a_file_changed_since_is_hashed_again(
    tmp_path: Path,
) -> None:
    """source.check_ahead: the command hashes the source (and checks a SQLite file's
    structure) while it imports the rest; the run takes the digest only for the file as it
    was (same size and modification time). (The refusals of damaged files above go through
    it: the command checks ahead.)"""
    import hashlib

    from d1import.source import check_ahead, file_sha256

    path = tmp_path / "d1.sqlite"
    path.write_bytes(os.urandom(3 << 20))
    check_ahead(path)
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    check_ahead(path)
    path.write_bytes(os.urandom((3 << 20) + 1))  # changed before the run opens it
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    check_ahead(tmp_path / "missing.sqlite")  # left to the run, which says what is wrong
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "missing.sqlite")
