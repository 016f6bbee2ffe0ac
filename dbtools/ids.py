"""Ids of rows that came from D1 (or from the seeds, which use D1's ids): one derivation for both.

A D1 id that is a UUID keeps its value (lower-cased); any other id (``skill_focus``,
``3_4_Sit-Up``) becomes a UUIDv5 of (table, id) in a namespace of this project. So a seeded
``skill_focus`` and an imported reference to ``skill_focus`` are the same row, in every
database, every time.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import lru_cache

# uuid5(NAMESPACE_URL, "https://ignition.app/d1-legacy-ids"), fixed here forever.
LEGACY_ID_NAMESPACE = uuid.UUID("77aaa256-bb98-5141-a12d-a7fb7c70add2")
_UUID_TEXT = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID ``value`` spells (canonical form, any case), or None."""
    text = value.strip()
    return uuid.UUID(text) if _UUID_TEXT.match(text) else None


@lru_cache(maxsize=1 << 16)
def legacy_uuid_text(table: str, legacy_id: str) -> str:
    """``str(legacy_uuid(table, legacy_id))``, computed without building UUID objects (the
    import calls this for every id and reference; the cache is bounded, so memory is too)."""
    text = legacy_id.strip()
    if _UUID_TEXT.match(text):
        return text.lower()
    digest = bytearray(
        hashlib.sha1(LEGACY_ID_NAMESPACE.bytes + f"{table}:{legacy_id}".encode()).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def legacy_uuid(table: str, legacy_id: str | int) -> uuid.UUID:
    """The Postgres id of D1 row ``legacy_id`` of ``table``."""
    return uuid.UUID(legacy_uuid_text(table, str(legacy_id)))
