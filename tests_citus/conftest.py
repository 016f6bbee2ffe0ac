"""Fixtures of ``make test-citus``: databases of the run's own on the cluster at ``CITUS_URL``.

- ``cluster``: the coordinator and workers (``tests_citus/cluster.py``); the run stops with
  one line when ``CITUS_URL`` is unset or the cluster cannot be reached.
- ``distributed``: once per run, a database at head on every node, distributed by
  ``python -m dbtools.citus distribute``'s code, with the seeds loaded; dropped at the end.
  Tests on it commit what they write (on Citus a transaction cannot read as one user what it
  wrote as another, see test_on_cluster.py), each under users of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from dbtools.citus import CitusError, Plan, distribute
from tests.support import engine_for, run_alembic
from tests_citus.cluster import (
    Cluster,
    ClusterError,
    citus_database,
    cluster_from_env,
    coordinator_url,
    prepare_roles,
)

RUN_ID = os.getpid()

_FOREIGN_KEYS = """
    SELECT c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
    WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace
"""


def pytest_configure(config: pytest.Config) -> None:
    try:
        coordinator_url()
    except ClusterError as exc:
        pytest.exit(f"make test-citus: {exc}", returncode=2)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    try:
        return cluster_from_env()
    except ClusterError as exc:
        pytest.exit(f"make test-citus: {exc}", returncode=2)


@dataclass(frozen=True)
class Distributed:
    url: URL
    said: list[str]  # what distribute printed
    plan: Plan
    foreign_keys_before: set[str]


def foreign_keys(url: URL) -> set[str]:
    with engine_for(url) as engine, engine.connect() as connection:
        return set(connection.execute(text(_FOREIGN_KEYS)).scalars())


@contextmanager
def distributed_database(cluster: Cluster, name: str) -> Iterator[Distributed]:
    """A database at head on every node, distributed, seeded; dropped at the end."""
    from seeds.loader import load as load_seeds

    prepare_roles(cluster)
    with citus_database(cluster, name) as url:
        run_alembic(url, "upgrade", "head")
        before = foreign_keys(url)
        said: list[str] = []
        with engine_for(url) as engine, engine.connect() as connection:
            try:
                plan = distribute(connection, say=said.append)
            except CitusError as exc:
                shown = "\n".join(exc.details[:30])
                pytest.fail(f"distribute refused the schema at head: {exc}\n{shown}")
        with engine_for(url) as engine, engine.begin() as connection:
            load_seeds(connection)
        yield Distributed(url, said, plan, before)


@pytest.fixture(scope="session")
def distributed(cluster: Cluster) -> Iterator[Distributed]:
    """The run's distributed database; tests add users of their own to it."""
    with distributed_database(cluster, f"ignition_citus_{RUN_ID}") as database:
        yield database


@pytest.fixture
def distributed_empty(cluster: Cluster) -> Iterator[URL]:
    """A distributed, seeded database of the test's own, without users (the D1 import's)."""
    with distributed_database(cluster, f"ignition_citus_{RUN_ID}_import") as database:
        yield database.url
