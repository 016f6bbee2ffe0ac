"""The Citus cluster ``make test-citus`` runs on, and databases of the tests' own on it.

- ``CITUS_URL``: the coordinator, as the tests reach it (``postgresql://postgres@HOST:PORT/
  postgres``; its database is only used to create and drop the test databases).
- ``CITUS_WORKERS`` (optional): the workers, ``host:port`` separated by commas, as the
  coordinator reaches them; ``name:port=host:port`` when the tests reach a worker at another
  address (containers: ``worker1:5432=127.0.0.1:5501``). Without it, the workers registered in
  ``CITUS_URL``'s database (``pg_dist_node``) are used.
- ``CITUS_COORDINATOR`` (optional): ``host:port`` of the coordinator as the workers reach it
  (default: ``CITUS_URL``'s host and port).

Citus's metadata is per database: a test database is created on every node with ``CREATE
EXTENSION citus``, and the workers are added to it with ``citus_add_node``. The tests connect
to each worker directly for that (and to drop it at the end), with ``CITUS_URL``'s user.

Roles are per cluster. Citus opens its connections to the workers as the current user, so a
role that SECURITY DEFINER functions run as (``ignition_owner``) or that sessions SET ROLE to
(``ignition_service``) must be able to log in on every node; Citus copies a role's attributes
from the coordinator when it creates the role on a worker, so they are made LOGIN on every
node (docs/distribution.md, "Roles must log in").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

ENV_URL = "CITUS_URL"
ENV_WORKERS = "CITUS_WORKERS"
ENV_COORDINATOR = "CITUS_COORDINATOR"
# Roles that run statements the workers must receive as themselves.
LOGIN_ROLES = ("ignition_owner", "ignition_service")


class ClusterError(RuntimeError):
    """The cluster is not set up or not reachable; the message says what to do."""


@dataclass(frozen=True)
class Node:
    name: str  # host as the coordinator (or a worker) reaches it
    port: int
    url: URL  # the node's ``postgres`` database, as the tests reach it


@dataclass(frozen=True)
class Cluster:
    coordinator: Node
    workers: tuple[Node, ...]

    @property
    def nodes(self) -> tuple[Node, ...]:
        return (self.coordinator, *self.workers)


def _host_port(text_: str, what: str) -> tuple[str, int]:
    host, sep, port = text_.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClusterError(f"{what}: expected host:port, got {text_!r}")
    return host, int(port)


def _url(base: URL, host: str, port: int, database: str = "postgres") -> URL:
    return base.set(host=host, port=port, database=database)


def coordinator_url() -> URL:
    raw = os.environ.get(ENV_URL, "").strip()
    if not raw:
        raise ClusterError(
            f"{ENV_URL} is not set: export {ENV_URL}=postgresql://postgres@HOST:PORT/postgres "
            "(the Citus coordinator; README, 'make test-citus')"
        )
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def cluster_from_env() -> Cluster:
    url = coordinator_url()
    coordinator_name = _host_port(
        os.environ.get(ENV_COORDINATOR) or f"{url.host or '127.0.0.1'}:{url.port or 5432}",
        ENV_COORDINATOR,
    )
    coordinator = Node(*coordinator_name, _url(url, url.host or "127.0.0.1", url.port or 5432))
    raw = os.environ.get(ENV_WORKERS, "").strip()
    workers: list[Node] = []
    if raw:
        for entry in raw.split(","):
            name, _, reach = entry.partition("=")
            host, port = _host_port(name, ENV_WORKERS)
            reach_host, reach_port = _host_port(reach, ENV_WORKERS) if reach else (host, port)
            workers.append(Node(host, port, _url(url, reach_host, reach_port)))
    else:
        for host, port in _registered_workers(url):
            workers.append(Node(host, port, _url(url, host, port)))
    if not workers:
        raise ClusterError(
            f"no Citus workers: set {ENV_WORKERS}=host:port,host:port, or register them "
            f"in {ENV_URL}'s database with citus_add_node"
        )
    return Cluster(coordinator, tuple(workers))


def _registered_workers(url: URL) -> list[tuple[str, int]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not connection.execute(
                text("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")
            ).scalar_one():
                return []
            rows = connection.execute(
                text(
                    "SELECT nodename, nodeport FROM pg_dist_node "
                    "WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid"
                )
            ).all()
            return [(str(host), int(port)) for host, port in rows]
    except Exception as exc:  # the driver's error: say which server and variable
        first = str(exc).strip().splitlines()[0]
        raise ClusterError(f"cannot reach the coordinator at {ENV_URL} ({first})") from None
    finally:
        engine.dispose()


def _autocommit(url: URL, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def prepare_roles(cluster: Cluster) -> None:
    """``LOGIN_ROLES`` exist and may log in on every node (created, or altered, node by node
    with Citus's propagation off, so the nodes agree whatever existed before)."""
    for node in cluster.nodes:
        for role in LOGIN_ROLES:
            _autocommit(
                node.url,
                "SET citus.enable_create_role_propagation = off",
                "SET citus.enable_alter_role_propagation = off",
                f"""DO $$ BEGIN
                    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                        ALTER ROLE {role} LOGIN;
                    ELSE
                        CREATE ROLE {role} LOGIN;
                    END IF;
                END $$""",
            )


def drop_database(cluster: Cluster, name: str) -> None:
    for node in cluster.nodes:
        _autocommit(node.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def citus_database(cluster: Cluster, name: str, *, workers: bool = True) -> Iterator[URL]:
    """A database ``name`` on every node with Citus, the workers added to it (``workers``
    False: created everywhere, none added); dropped everywhere at the end."""
    drop_database(cluster, name)
    try:
        for node in cluster.nodes:
            _autocommit(node.url, f'CREATE DATABASE "{name}"')
            _autocommit(node.url.set(database=name), "CREATE EXTENSION citus")
        url = cluster.coordinator.url.set(database=name)
        if workers:
            coordinator = cluster.coordinator
            _autocommit(
                url,
                f"SELECT citus_set_coordinator_host('{coordinator.name}', {coordinator.port})",
                *(f"SELECT citus_add_node('{w.name}', {w.port})" for w in cluster.workers),
            )
        yield url
    finally:
        drop_database(cluster, name)


@contextmanager
def plain_database(cluster: Cluster, name: str) -> Iterator[URL]:
    """A database on the coordinator without the Citus extension; dropped at the end."""
    url = cluster.coordinator.url
    _autocommit(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name)
    finally:
        _autocommit(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
