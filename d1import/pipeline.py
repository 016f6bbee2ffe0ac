"""Converting ahead: a thread runs step 1's Python half (``TableLoader.prepare``: read the
source, convert, write COPY text to a spool file) for the next tables while the run's
connection has the server load the current one. The two take turns otherwise: Python idles
while the server sorts out, inserts and checks a table, and the server idles while Python
converts. The thread sends nothing to the server; everything that decides what is loaded
(the stage COPY, the rules, the insert, the checksums) stays on the run's connection, in the
run's transactions, in table order, so what a run does and how it resumes is unchanged.

Memory stays flat: the thread is at most ``AHEAD`` tables ahead, and a converted table waits
on disk (``load.Spool``), not in memory.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from d1import.load import TableLoader

AHEAD = 3


class ConversionFailed(Exception):
    """The thread's error while converting ``table`` (re-raised in the run's thread)."""

    def __init__(self, table: str, error: BaseException) -> None:
        super().__init__(table, error)
        self.table = table
        self.error = error


class Prefetch:
    """Converts ``loaders`` in order in a thread; ``ready(loader)`` waits for one."""

    def __init__(self, loaders: Sequence[TableLoader]) -> None:
        self.loaders = list(loaders)
        for loader in self.loaders:
            loader.should_stop = self._stopping
        self.done: queue.Queue[tuple[TableLoader, BaseException | None]] = queue.Queue(AHEAD)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, name="d1import-convert", daemon=True)

    def _stopping(self) -> bool:
        return self.stop.is_set()

    def _work(self) -> None:
        for loader in self.loaders:
            if self.stop.is_set():
                return
            error: BaseException | None = None
            try:
                loader.prepare()
            except BaseException as exc:  # handed to the run's thread, which raises it
                error = exc
            while not self.stop.is_set():
                try:
                    self.done.put((loader, error), timeout=0.2)
                    break
                except queue.Full:
                    continue
            if error is not None:
                return

    def ready(self, loader: TableLoader) -> None:
        """Waits until ``loader``'s table is converted; raises what converting it raised.
        (A loader this does not convert converts in ``load``.)"""
        if loader not in self.loaders:
            return
        while True:
            try:
                done, error = self.done.get(timeout=0.5)
            except queue.Empty:
                if not self.thread.is_alive():
                    raise RuntimeError("the conversion thread ended early") from None
                continue
            if error is not None:
                raise ConversionFailed(done.d1_table, error)
            if done is loader:
                return
            raise RuntimeError(f"{done.d1_table} converted out of turn, not {loader.d1_table}")

    def close(self) -> None:
        self.stop.set()
        while True:  # let a waiting put go, and free what was converted but not loaded
            try:
                done, _ = self.done.get_nowait()
            except queue.Empty:
                break
            if done.spool is not None:
                done.spool.close()
                done.spool = None
        self.thread.join(timeout=30)
        for loader in self.loaders:
            if loader.spool is not None and not self.thread.is_alive():
                loader.spool.close()
                loader.spool = None


@contextmanager
def converting_ahead(loaders: Sequence[TableLoader]) -> Iterator[Prefetch]:
    """Converts ahead in a thread, which reads the source's SQLite connection while the run
    reads it too (the quarantine write-up): only with a sqlite3 module built serialized
    (``threadsafety`` 3, the usual build); otherwise each table converts in its turn."""
    prefetch = Prefetch(loaders if sqlite3.threadsafety == 3 else [])
    prefetch.thread.start()
    try:
        yield prefetch
    finally:
        prefetch.close()
