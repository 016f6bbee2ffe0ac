"""The D1 → Postgres import.

    python -m d1import SOURCE [--database-url URL] [--report DIR] [--dry-run]
                              [--allow-missing TABLE[.COLUMN] ...]
    python -m d1import mapping --json

SOURCE is a D1 SQLite database file or the SQL dump ``wrangler d1 export`` writes (plain or
.gz). The target is ``DATABASE_URL`` (or ``--database-url``) and must be at ``alembic heads``.
Exit status: 0 when every source row was loaded or quarantined and verification ran; 1 when
something went wrong (one line says what; the run is marked failed); 2 when the source or
the target was refused (one line naming the file and the problem); 130 when interrupted
(SIGINT or SIGTERM: the run is marked interrupted, and running it again resumes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any


def _mapping(argv: list[str]) -> int:
    from d1import.mapping import mapping_as_json

    parser = argparse.ArgumentParser(prog="python -m d1import mapping")
    parser.add_argument("--json", action="store_true", help="as JSON (the only format)")
    parser.parse_args(argv)
    json.dump(mapping_as_json(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def _progress_factory() -> Any:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    def factory(table: str, total: int) -> Any:
        return tqdm(total=total, desc=f"{table:<24}", unit="rows", leave=False, file=sys.stderr)

    return factory


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run as Ctrl-C does: marked interrupted, resumable."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _import(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m d1import", description="import a D1 database into PostgreSQL"
    )
    parser.add_argument("source", type=Path, help="D1 SQLite file or `wrangler d1 export` dump")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--report", type=Path, help="write report.json and report.md here")
    parser.add_argument("--dry-run", action="store_true", help="convert and check; write nothing")
    parser.add_argument(
        "--allow-missing",
        action="append",
        default=[],
        metavar="TABLE[.COLUMN]",
        help="import although the source lacks this D1 table or column (repeatable)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # reading the head is not news
    if not args.database_url:
        sys.stderr.write("error: DATABASE_URL is not set and no --database-url was given\n")
        return 2
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        from d1import.source import check_ahead

        check_ahead(args.source)  # beside the imports that follow (0.2 s per 100 MB)
        return _run_and_report(args)
    except KeyboardInterrupt:
        sys.stderr.write(
            f"error: {args.source}: interrupted; a run that had started is marked "
            "interrupted, and running the same command again resumes it\n"
        )
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_and_report(args: argparse.Namespace) -> int:
    import psycopg

    from d1import import report
    from d1import.errors import one_line
    from d1import.run import ImportRefused, run_import
    from d1import.source import SourceError

    try:
        run = run_import(
            args.source,
            args.database_url,
            dry_run=args.dry_run,
            allow_missing=args.allow_missing,
            progress_factory=_progress_factory(),
        )
    except (ImportRefused, SourceError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        sys.stderr.write(f"error: cannot reach the target database: {first}\n")
        return 2
    except Exception as exc:
        if os.environ.get("D1IMPORT_TRACEBACK"):
            raise
        sys.stderr.write(
            f"error: {args.source}: {one_line(exc)} (the run is marked failed; "
            "D1IMPORT_TRACEBACK=1 shows where)\n"
        )
        return 1
    document = run.report
    if args.report:
        try:
            report.write(args.report, document)
        except OSError as exc:
            sys.stderr.write(
                f"error: {args.report}: cannot write the report ({exc.strerror}); the run "
                "itself completed\n"
            )
            return 1
    totals = document["totals"]
    sys.stderr.write(
        f"{'dry run: ' if run.dry_run else ''}{totals['source_rows']} source rows: "
        f"{totals['loaded_rows']} loaded, {totals['quarantined_rows']} quarantined, "
        f"{document['rows_per_second']} rows/s\n"
    )
    checks = document["checks"]
    if (
        not run.conserved
        or not all(c["match"] for c in checks["checksums"].values())
        or not all(c["match"] for c in checks.get("target_only", {}).values())
    ):
        sys.stderr.write("error: verification failed: see the report\n")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "mapping":
        return _mapping(args[1:])
    return _import(args)


if __name__ == "__main__":
    raise SystemExit(main())
