"""Replaying dumps: time against the number of lines (a stray quote at the top used to make it
quadratic), and the peak memory of replaying a large dump.

    .venv/bin/python bench/dump_replay.py --lines 10000 40000 200000 --big 500000

Each measurement runs in a fresh process; peak RSS is that process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROW = (
    'INSERT INTO "journal_entries" ("id","user_id","content") '
    "VALUES('j{n}','user_{m}','an entry of some length, like the app writes: {n}');\n"
)


def write_dump(path: Path, lines: int, stray_quote: bool) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("PRAGMA defer_foreign_keys=TRUE;\n")
        out.write(
            'CREATE TABLE "journal_entries" (id TEXT PRIMARY KEY, user_id TEXT, content TEXT);\n'
        )
        if stray_quote:
            out.write('INSERT INTO "journal_entries" ("id") VALUES(\'stray);\n')
        for n in range(lines):
            out.write(ROW.format(n=n, m=n % 1000))
    return path


def measure(path: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) and the outcome of replaying ``path`` in a fresh process."""
    code = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from d1import.source import SourceError, open_source\n"
        "start = time.perf_counter()\n"
        "try:\n"
        "    with open_source(Path(sys.argv[1])) as s:\n"
        "        outcome = f'{s.count(\"journal_entries\")} rows'\n"
        "except SourceError as exc:\n"
        "    outcome = str(exc).split(': ', 1)[1][:60]\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " outcome, sep='|')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    seconds, rss, outcome = done.stdout.strip().split("|")
    return float(seconds), int(rss), outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 40_000, 200_000])
    parser.add_argument("--big", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.stdout.write(
            "| dump | lines | seconds | peak RSS | outcome |\n| --- | --- | --- | --- | --- |\n"
        )
        cases = [(n, True) for n in args.lines] + [(args.big, False)]
        for lines, stray in cases:
            dump = write_dump(Path(tmp) / f"d{lines}.sql", lines, stray)
            seconds, rss, outcome = measure(dump)
            size = dump.stat().st_size >> 20
            kind = "stray quote on line 3" if stray else "clean"
            row = (
                f"| {kind}, {size} MiB | {lines:,} | {seconds:.2f} | {rss >> 10} MiB | {outcome} |"
            )
            sys.stdout.write(row + "\n")
            sys.stdout.flush()
            dump.unlink()


if __name__ == "__main__":
    main()
