"""Which server the database targets use (dbtools.pick_server) and the embedded server
(dbtools.embedded). Nothing here stops a server it did not start: "no server" is a port where
nothing listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from dbtools import embedded
from dbtools.pick_server import choose, postgres_answers
from tests.conftest import SERVER
from tests.support import ROOT

PICK = [sys.executable, "-m", "dbtools.pick_server"]
PRINT_URL = "import os; print(os.environ['DATABASE_URL'])"


def never_asked(host: str, port: int) -> bool:
    raise AssertionError(f"the server at {host}:{port} should not have been asked")


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_url_wins_and_nothing_is_probed() -> None:
    choice = choose({"DATABASE_URL": "postgres://app@db.example:6543/prod"}, never_asked)
    assert choice.url is not None
    assert (choice.url.host, choice.url.port, choice.url.database) == ("db.example", 6543, "prod")
    assert choice.why == "DATABASE_URL is set"


def test_a_server_answering_at_the_default_address_is_used() -> None:
    asked: list[tuple[str, int]] = []

    def answers(host: str, port: int) -> bool:
        asked.append((host, port))
        return True

    choice = choose({}, answers)
    assert asked == [("127.0.0.1", 5432)]
    assert choice.url is not None
    assert choice.url.render_as_string() == "postgresql+psycopg2://postgres@127.0.0.1:5432/ignition"
    moved = choose({"PGPORT": "6000", "PGHOST": "10.0.0.9", "PGDATABASE": "mine"}, answers)
    assert moved.url is not None
    assert (moved.url.host, moved.url.port, moved.url.database) == ("10.0.0.9", 6000, "mine")


def test_no_server_at_the_default_address_means_the_embedded_one() -> None:
    choice = choose({"PGPORT": "6001"}, lambda host, port: False)
    assert choice.url is None
    assert choice.why == "no PostgreSQL answers at 127.0.0.1:6001, the default address"
    forced = choose({"DATABASE_URL": "postgresql://x@h/db"}, never_asked, force_embedded=True)
    assert forced.url is None


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and closes them without a word (not a PostgreSQL)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(5)

    def serve() -> None:
        try:
            connection, _ = server.accept()
            connection.close()
        except OSError:
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    yield int(server.getsockname()[1])
    thread.join(timeout=6)
    server.close()


def test_the_probe_tells_a_postgresql_from_nothing_and_from_something_else(
    silent_listener: int,
) -> None:
    assert postgres_answers(SERVER.host, SERVER.port)
    assert not postgres_answers("127.0.0.1", dead_port())
    assert not postgres_answers("127.0.0.1", silent_listener)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Not pytest's tmp_path: its parent goes back to mode 0700 whenever another pytest run
    starts, and the server (run as another user under root) would lose its data directory."""
    with tempfile.TemporaryDirectory(prefix="ignition-embedded-test-") as folder:
        yield Path(folder) / "pgdata"


def test_with_nothing_at_the_default_address_the_embedded_server_starts(data_dir: Path) -> None:
    """End to end, as ``make test`` does it on a machine without PostgreSQL: a data directory
    of its own (the checkout's .pgdata is left alone), stopped at the end."""
    data = data_dir
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PG")}
    env |= {"PGPORT": str(dead_port()), "IGNITION_PGDATA": str(data)}
    try:
        done = subprocess.run(
            [*PICK, "run", "--major", "18", "--", sys.executable, "-c", PRINT_URL],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        url = embedded.url(data)
        assert done.stdout.strip() == embedded.for_people(url)
        assert "database: embedded PostgreSQL at" in done.stderr
        assert "no PostgreSQL answers at 127.0.0.1:" in done.stderr
        assert embedded.is_running(data)
        engine = create_engine(url.set(database="postgres"), poolclass=NullPool)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version_num")).scalar_one()
        engine.dispose()
        assert int(version) // 10000 == 18
        assert embedded.start(data) == url, "a second start finds it running, same port"
    finally:
        stopped = embedded.stop(data)
    assert stopped
    assert not embedded.is_running(data)
    assert not embedded.stop(data)


def test_the_command_is_refused_on_another_major_version() -> None:
    env = {**os.environ, "DATABASE_URL": SERVER.url("postgres").render_as_string(False)}
    done = subprocess.run(
        [*PICK, "run", "--major", "7", "--", "true"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert ", not 7" in done.stderr
