"""Which PostgreSQL the Makefile's database targets use, in this order:

1. ``DATABASE_URL``, when it is set: used as it is, nothing else is tried;
2. the server at the default address (``PGHOST``/``PGPORT``, else 127.0.0.1:5432), when a
   PostgreSQL answers there: database ``ignition`` (or ``PGDATABASE``) on it;
3. otherwise the project's embedded PostgreSQL (``dbtools.embedded``), started if needed:
   database ``ignition`` (or ``PGDATABASE``) on it.

``python -m dbtools.pick_server run [--embedded] [--major N] -- COMMAND ...`` picks, says
on stderr which server and why, and runs COMMAND with ``DATABASE_URL`` set to it.
``--embedded`` skips the first two (``make test-pg18``); ``--major`` refuses a server of
another major version.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alembic.util import CommandError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dbtools import embedded
from dbtools.database_url import database_url_from_env
from dbtools.server import server_from_env

DATABASE = "ignition"
# The first message of a PostgreSQL connection: SSLRequest. Any PostgreSQL server answers it
# with one byte, 'S' or 'N', before asking for a password, so this tells "a PostgreSQL
# answers here" without credentials.
FROM_ENV = "DATABASE_URL is set"
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


@dataclass(frozen=True)
class Choice:
    url: URL | None  # None: the embedded server, whose URL is known once it runs
    why: str


def postgres_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(SSL_REQUEST)
            return sock.recv(1) in (b"S", b"N")
    except OSError:
        return False


def choose(
    environ: Mapping[str, str],
    answers: Callable[[str, int], bool] = postgres_answers,
    *,
    force_embedded: bool = False,
) -> Choice:
    """The server to use; only this decides, nothing is started here."""
    if force_embedded:
        return Choice(None, "the embedded server was asked for")
    raw = environ.get("DATABASE_URL", "").strip()
    if raw:
        return Choice(database_url_from_env(dict(environ)), FROM_ENV)
    server = server_from_env(dict(environ))
    if answers(server.host, server.port):
        database = environ.get("PGDATABASE") or DATABASE
        return Choice(server.url(database), f"a PostgreSQL answers at {server.host}:{server.port}")
    return Choice(
        None, f"no PostgreSQL answers at {server.host}:{server.port}, the default address"
    )


def server_major(url: URL) -> int:
    engine = create_engine(url.set(database="postgres"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            number = connection.execute(text("SHOW server_version_num")).scalar_one()
    finally:
        engine.dispose()
    return int(number) // 10000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pick the PostgreSQL server and run a command")
    parser.add_argument("action", choices=["run", "url"])
    parser.add_argument("--embedded", action="store_true", help="use the embedded server")
    parser.add_argument("--major", type=int, help="require this PostgreSQL major version")
    given = sys.argv[1:] if argv is None else argv
    split = given.index("--") if "--" in given else len(given)
    args = parser.parse_args(given[:split])
    command = given[split + 1 :]
    if args.action == "run" and not command:
        parser.error("run needs a command after --")

    try:
        choice = choose(os.environ, force_embedded=args.embedded)
        url = choice.url
        if url is None:
            url = embedded.start().set(database=os.environ.get("PGDATABASE") or DATABASE)
    except CommandError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except embedded.EmbeddedError as exc:
        sys.stderr.write(f"error: {choice.why}, and the embedded server did not start: {exc}\n")
        return 1
    where = embedded.for_people(url)
    kind = "embedded PostgreSQL" if choice.url is None else "PostgreSQL"
    if args.major is not None:
        try:
            major = server_major(url)
        except DBAPIError as exc:
            sys.stderr.write(f"error: cannot ask {where} for its version: {exc.orig}\n")
            return 1
        if major != args.major:
            sys.stderr.write(f"error: {where} is PostgreSQL {major}, not {args.major}\n")
            return 1
    if args.action == "url":
        sys.stdout.write(where + "\n")
        return 0
    sys.stderr.write(f"database: {kind} at {embedded.for_people(url, hide=True)} ({choice.why})\n")
    sys.stderr.flush()
    env = dict(os.environ)
    if choice.why != FROM_ENV:
        env["DATABASE_URL"] = where
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except OSError as exc:
        sys.stderr.write(f"error: cannot run {command[0]}: {exc.strerror}\n")
        return 127


if __name__ == "__main__":
    raise SystemExit(main())
