"""``python -m d1import mapping --json``: print the D1 → Postgres column map."""

from __future__ import annotations

import argparse
import json
import sys

from d1import.mapping import mapping_as_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m d1import")
    commands = parser.add_subparsers(dest="command", required=True)
    mapping = commands.add_parser("mapping", help="print the D1 -> Postgres column map")
    mapping.add_argument("--json", action="store_true", help="as JSON (the only format so far)")
    args = parser.parse_args(argv)
    if args.command == "mapping":
        json.dump(mapping_as_json(), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
