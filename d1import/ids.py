"""Ids of rows that came from D1 (or from the seeds, which use D1's ids): one derivation for both.

A D1 id that is a UUID keeps its value (lower-cased); any other id (``skill_focus``,
``3_4_Sit-Up``) becomes a UUIDv5 of (table, id) in a namespace of this project. So a seeded
``skill_focus`` and an imported reference to ``skill_focus`` are the same row, in every
database, every time.
"""

from __future__ import annotations

import uuid

# uuid5(NAMESPACE_URL, "https://ignition.app/d1-legacy-ids"), fixed here forever.
LEGACY_ID_NAMESPACE = uuid.UUID("77aaa256-bb98-5141-a12d-a7fb7c70add2")


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID ``value`` spells (any case, with hyphens), or None."""
    text = value.strip()
    if len(text) != 36:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def legacy_uuid(table: str, legacy_id: str | int) -> uuid.UUID:
    """The Postgres id of D1 row ``legacy_id`` of ``table``."""
    text = str(legacy_id)
    parsed = parse_uuid(text)
    if parsed is not None:
        return parsed
    return uuid.uuid5(LEGACY_ID_NAMESPACE, f"{table}:{text}")
