"""Which PostgreSQL server the tools talk to: from ``DATABASE_URL``, else ``PG*``, else local."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5432
DEFAULT_USER = "postgres"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str | None

    def url(self, dbname: str) -> URL:
        return URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=dbname,
        )


def server_from_env(environ: dict[str, str] | None = None) -> PgServer:
    env = os.environ if environ is None else environ
    raw = env.get("DATABASE_URL", "").strip()
    if raw:
        url = make_url(raw.replace("postgres://", "postgresql://", 1))
        return PgServer(
            host=url.host or DEFAULT_HOST,
            port=url.port or DEFAULT_PORT,
            user=url.username or DEFAULT_USER,
            password=url.password if isinstance(url.password, str) else None,
        )
    return PgServer(
        host=env.get("PGHOST", DEFAULT_HOST),
        port=int(env.get("PGPORT", DEFAULT_PORT)),
        user=env.get("PGUSER", DEFAULT_USER),
        password=env.get("PGPASSWORD") or None,
    )
