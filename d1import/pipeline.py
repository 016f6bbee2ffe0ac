"""Converting ahead: other processes (``WORKERS``, two) run step 1's Python half
(``TableLoader.convert``: read the source, convert, write COPY text to spool files), each
taking the next table no one has taken, while the run's connection has the server load the
tables one by one, in order. Without it the two take turns: Python idles while the server
sorts out, inserts and checks a table, and the server idles while Python converts. Processes
rather than a thread: a thread converting holds the interpreter's lock, and the run's thread
waits for it after every round trip to the server (a few milliseconds each, a thousand round
trips a run). Two of them: while the server waits for a table (the first ones, a big one),
both cores convert; while it works, they share the cores with it.

A converting process sends nothing to the server: everything that decides what is loaded
(the stage COPY, the rules, the insert, the checksums) stays on the run's connection, in the
run's transactions, in table order, so what a run does and how it resumes is unchanged. It is
a fork of the run (it starts at once, with the loaders as the run built them), opens the
source again (``Source.reopened``: an SQLite connection must not cross a fork) and a
connection of its own only to format COPY text with the server's adapters, and never uses the
run's connections. It writes each table into spool files the run made before the fork (files
without a name: nothing stays on disk however either process ends) and reports the table
(chunks and counts), its progress and its errors through a queue that a thread of the run
reads. It stops between two batches when the run says so, or when the run is gone (killed).

Memory stays flat: a converted table waits on disk (``load.Spool``), not in memory, and a
process holds one batch at a time. A source the processes cannot open again (a replayed
dump: SQLite's private temporary database has no name) converts each table in its turn, in
the run.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.synchronize import Event
from typing import Any

import psycopg

from d1import.load import ConversionStopped, Spool, TableLoader
from d1import.source import Source

# Two converting processes: while the server waits for a table (the run's first ones, a big
# one), both cores convert; while it works, they share the cores with it.
WORKERS = max(1, min(2, os.cpu_count() or 1))
POLL_SECONDS = 0.2
LAST_MESSAGES_SECONDS = 5.0


class ConversionFailed(Exception):
    """The converting process's error while converting ``table`` (raised in the run)."""

    def __init__(self, table: str, error: BaseException) -> None:
        super().__init__(table, error)
        self.table = table
        self.error = error


def _sendable(error: BaseException) -> BaseException:
    """The error itself if it crosses to the run (pickles), else a RuntimeError saying it."""
    try:
        multiprocessing.reduction.ForkingPickler.dumps(error)
    except Exception:
        return RuntimeError("".join(traceback.format_exception_only(error)).strip())
    return error


class Prefetch:
    """Converts ``loaders`` in other processes (``WORKERS``), each taking the next table not
    taken yet; ``ready(loader)`` waits for one."""

    def __init__(
        self,
        loaders: Sequence[TableLoader],
        source: Source,
        conninfo: str,
    ) -> None:
        self.loaders = list(loaders)
        self.index = {id(loader): i for i, loader in enumerate(self.loaders)}
        self.source = source
        self.conninfo = conninfo
        self.spools = [Spool() for _ in self.loaders]  # before the fork: it inherits them
        self.run_pid = os.getpid()
        context = multiprocessing.get_context("fork")
        self.messages: Any = context.Queue()
        self.stop: Event = context.Event()
        self.taken = context.Value("i", 0)  # the next table to convert: a counter they share
        self.processes = [
            context.Process(target=self._convert_all, name=f"d1import-convert-{n}")
            for n in range(WORKERS)
        ]
        self.done: dict[int, tuple[Any, ...]] = {}
        self.arrived = threading.Condition()
        self.reader = threading.Thread(target=self._read, name="d1import-convert-reader")

    # -- in the converting process ------------------------------------------------------------
    def _claim(self) -> int | None:
        """The next table no process has taken, taken now; None when there is none."""
        with self.taken.get_lock():
            i = int(self.taken.value)
            if i >= len(self.loaders):
                return None
            self.taken.value = i + 1
        return i

    def _convert_all(self) -> None:
        """A process's work: the next table not taken, until none is left, each reported
        as it is done; stops at its first error (reported) or when the run says stop."""
        i: int | None = None
        try:
            with (
                self.source.reopened() as source,
                psycopg.connect(self.conninfo, autocommit=True) as formatting,
            ):
                while not self._should_stop() and (i := self._claim()) is not None:
                    loader = self.loaders[i]
                    loader.source = source
                    loader.connection = formatting
                    loader.should_stop = self._should_stop
                    loader.progress = self._progress_of(i)
                    spool = self.spools[i]
                    try:
                        loader.convert(spool)
                    except ConversionStopped:
                        return
                    except BaseException as exc:
                        self.messages.put(("failed", i, _sendable(exc)))
                        return
                    spool.stage.flush()
                    spool.pending.flush()
                    self.messages.put(
                        ("done", i, spool.chunks, spool.pending_rows, spool.seconds, loader.taken)
                    )
        except BaseException as exc:  # the source or the server could not be opened
            i = i if i is not None else self._claim()
            if i is not None:
                self.messages.put(("failed", i, _sendable(exc)))
        finally:
            self.messages.close()
            if self._run_is_gone():
                self.messages.cancel_join_thread()  # no one reads: do not wait to send
            else:
                self.messages.join_thread()

    def _run_is_gone(self) -> bool:
        """The run ended without stopping this process (killed): it is adopted by another."""
        return os.getppid() != self.run_pid

    def _should_stop(self) -> bool:
        return self.stop.is_set() or self._run_is_gone()

    def _progress_of(self, i: int) -> Callable[[int], None]:
        def progress(rows: int) -> None:
            self.messages.put(("progress", i, rows))

        return progress

    # -- in the run ---------------------------------------------------------------------------
    def _read(self) -> None:
        """The run's thread that takes the process's messages: progress goes to the
        loader's bar at once; a table done or failed wakes ``ready``."""
        while True:
            message = self.messages.get()
            if message is None:
                return
            kind, i = message[0], message[1]
            if kind == "progress":
                self.loaders[i].progress(message[2])
                continue
            with self.arrived:
                self.done[i] = message
                self.arrived.notify_all()

    def start(self) -> None:
        for process in self.processes:
            process.start()
        self.reader.start()

    def ready(self, loader: TableLoader) -> None:
        """Waits until ``loader``'s table is converted and gives it its spool; raises what
        converting it raised. (A loader this does not convert converts in ``load``.)"""
        i = self.index.get(id(loader))
        if i is None:
            return
        with self.arrived:
            deadline: float | None = None
            while i not in self.done and self._failed_before(i) is None:
                crashed = [p.exitcode for p in self.processes if p.exitcode not in (None, 0)]
                if crashed or not any(p.is_alive() for p in self.processes):
                    # the last messages may still be on the way
                    deadline = deadline or time.monotonic() + LAST_MESSAGES_SECONDS
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"a converting process ended (exit codes {crashed or [0]}) "
                            f"before converting {loader.d1_table}"
                        )
                self.arrived.wait(POLL_SECONDS)
            failed = self._failed_before(i)
        if failed is not None:
            raise ConversionFailed(self.loaders[failed[1]].d1_table, failed[2])
        _, _, chunks, pending_rows, seconds, taken = self.done[i]
        spool = self.spools[i]
        spool.chunks, spool.pending_rows, spool.seconds = chunks, pending_rows, seconds
        loader.spool = spool
        loader.taken = taken

    def _failed_before(self, i: int) -> tuple[Any, ...] | None:
        return next((m for j, m in sorted(self.done.items()) if j <= i and m[0] == "failed"), None)

    def close(self) -> None:
        self.stop.set()
        for process in self.processes:
            if process.pid is None:
                continue
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        self.messages.put(None)
        self.reader.join(timeout=30)
        for loader, spool in zip(self.loaders, self.spools, strict=True):
            spool.close()  # a table not loaded yet: its load converts it again
            if loader.spool is spool:
                loader.spool = None


@contextmanager
def converting_ahead(
    loaders: Sequence[TableLoader], source: Source, conninfo: str
) -> Iterator[Prefetch]:
    """Converts ahead in other processes (above) while the body loads."""
    prefetch = Prefetch(loaders if source.can_reopen else [], source, conninfo)
    prefetch.start()
    try:
        yield prefetch
    finally:
        prefetch.close()
