"""Loading two D1 tables at once, each on a connection of its own (issue 13): the server's
work for a table (stage COPY, rules, insert, checks) is one backend's, so one connection keeps
one core busy; tables that do not read each other (points_ledger and activity_events both
hang off users only) load side by side.

What stays as it was: each D1 table loads in one transaction with its ``tables_done`` row
(an interrupted run resumes the same way), and a table starts only once every table it reads
is committed: the parents its rules look up (foreign keys, the references D1 kept without
one, the parents a derived column comes from, the tables a declared key is held in) and the
quarantine rows of those parents. The order within a table, and so every "the later row"
decision, is unchanged. The tables two loads write never overlap (a table's rows, its
quarantine and id-map rows are its own), so they take no lock the other waits for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from d1import.load import TableLoader
from d1import.rules import DECLARED_KEYS, checked_references

CONNECTIONS = 2


def reads(group: Sequence[TableLoader]) -> set[str]:
    """The tables a D1 table's loads read besides their own."""
    read: set[str] = set()
    for loader in group:
        read |= {fk.parent for fk in checked_references(loader.target, loader.map)}
        read |= {derived.parent for derived in loader.map.derived.values()}
        read |= {key.lookup[0] for key in DECLARED_KEYS.get(loader.target.name, ())}
    return read


def dependencies(
    groups: Sequence[tuple[str, int, Sequence[TableLoader]]], writers: dict[str, set[int]]
) -> list[set[int]]:
    """For each group, the earlier groups that must be committed before it starts: those
    that write a table it reads or writes, and those that read a table it writes
    (``writers``: each table's writing groups). So every group sees exactly what it sees
    when the groups load one by one in order."""
    written = [{t for t, by in writers.items() if k in by} for k in range(len(groups))]
    read = [reads(group) for _table, _total, group in groups]
    return [
        {j for j in range(k) if written[j] & (read[k] | written[k]) or read[j] & written[k]}
        for k in range(len(groups))
    ]


def largest_first(
    groups: Sequence[tuple[str, int, Sequence[TableLoader]]], writers: dict[str, set[int]]
) -> list[int]:
    """An order of ``groups`` (their indexes) that loads exactly as theirs does: each group
    after every group it depends on (``dependencies``: those are the only groups whose order
    changes what a group sees), and among the groups that may go next, the one with the most
    source rows. The big tables then convert and load early, side by side with the rest,
    and the run does not end waiting for the last big table's indexes alone."""
    needs = dependencies(groups, writers)
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < len(groups):
        ready = [k for k in range(len(groups)) if k not in placed and needs[k] <= placed]
        k = max(ready, key=lambda k: (groups[k][1], -k))
        order.append(k)
        placed.add(k)
    return order


class _Schedule:
    """Which group a free connection takes next: the first not taken whose dependencies are
    committed; waits while none is."""

    def __init__(self, needs: list[set[int]]) -> None:
        self.needs = needs
        self.taken: set[int] = set()
        self.done: set[int] = set()
        self.error: BaseException | None = None
        self.changed = threading.Condition()

    def next(self) -> int | None:
        with self.changed:
            while True:
                if self.error is not None or len(self.taken) == len(self.needs):
                    return None
                for k, need in enumerate(self.needs):
                    if k not in self.taken and need <= self.done:
                        self.taken.add(k)
                        return k
                self.changed.wait(0.5)

    def finished(self, k: int) -> None:
        with self.changed:
            self.done.add(k)
            self.changed.notify_all()

    def failed(self, error: BaseException) -> None:
        with self.changed:
            if self.error is None:
                self.error = error
            self.changed.notify_all()


def load(
    conninfo: str,
    settings: Sequence[str],
    needs: list[set[int]],
    load_group: Callable[[psycopg.Connection, int], None],
    committed: Callable[[int], None],
) -> None:
    """Runs ``load_group(connection, k)`` for every group on ``CONNECTIONS`` connections,
    each group in its own transaction, committed, then ``committed(k)``; raises the first
    error once every connection has stopped (a group under way elsewhere is rolled back)."""
    schedule = _Schedule(needs)
    connections: list[psycopg.Connection[Any]] = []

    def work(connection: psycopg.Connection) -> None:
        try:
            while (k := schedule.next()) is not None:
                load_group(connection, k)
                connection.commit()
                schedule.finished(k)
                committed(k)
        except BaseException as exc:  # raised in the run's thread below
            schedule.failed(exc)

    try:
        for _ in range(CONNECTIONS):
            connection = psycopg.connect(conninfo)
            connections.append(connection)
            for setting in settings:
                connection.execute(setting)
            connection.commit()
        workers = [
            threading.Thread(target=work, args=(c,), name=f"d1import-load-{n}")
            for n, c in enumerate(connections)
        ]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():
                    worker.join(0.2)  # the run's thread still takes signals (SIGTERM, ^C)
        except BaseException as exc:
            schedule.failed(exc)
            for connection in connections:
                connection.cancel_safe()  # the statement under way stops; its table rolls back
            for worker in workers:
                worker.join()
            raise
    finally:
        for connection in connections:
            connection.close()  # a transaction still open is rolled back
    if schedule.error is not None:
        raise schedule.error
