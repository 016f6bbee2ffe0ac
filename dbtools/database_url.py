"""Where env.py gets its database URL, and the one-line errors it gives when it cannot."""

from __future__ import annotations

import os

from alembic.util import CommandError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

ENV_VAR = "DATABASE_URL"
START_HINT = (
    "start one with `docker compose up -d` (see README) or "
    "`pg_ctlcluster --skip-systemctl-redirect 15 main start`, "
    "point DATABASE_URL at a reachable server, or unset it: make then uses the server at "
    "127.0.0.1:5432 or its embedded one"
)


def database_url_from_env(environ: dict[str, str] | None = None) -> URL:
    """Parse ``DATABASE_URL``; ``postgres://`` and ``postgresql://`` both mean psycopg2."""
    raw = (environ if environ is not None else os.environ).get(ENV_VAR, "").strip()
    if not raw:
        raise CommandError(
            f"{ENV_VAR} is not set: export {ENV_VAR}=postgresql://USER@HOST:5432/DBNAME "
            "(the Makefile's targets set it to the server they pick)"
        )
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise CommandError(f"{ENV_VAR} is not a valid database URL: {exc}") from None
    if url.get_backend_name() != "postgresql":
        raise CommandError(
            f"{ENV_VAR} must point at PostgreSQL, got a '{url.get_backend_name()}' URL"
        )
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def describe(url: URL) -> str:
    """``host:port/db`` without user or password, for messages."""
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def connection_error(url: URL, exc: DBAPIError) -> CommandError:
    """Turn a driver's multi-line connection failure into one line that says what to do."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    reason = reason.removeprefix("FATAL:").strip()
    if "does not exist" in reason and "database" in reason:
        hint = (
            f"create it with `createdb -h {url.host} -U {url.username} {url.database}` "
            "or run `make upgrade`"
        )
    elif "authentication" in reason or "password" in reason:
        hint = "check the user and password in DATABASE_URL"
    else:
        hint = START_HINT
    return CommandError(
        f"cannot connect to PostgreSQL at {describe(url)} ({ENV_VAR}): {reason}; {hint}"
    )
