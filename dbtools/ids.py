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


_NAMESPACE_BYTES = LEGACY_ID_NAMESPACE.bytes
# The hex digit of byte 8's high nibble once the RFC 4122 variant bits (10xx) are set.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}


def derived_uuid_text(table: str, legacy_id: str) -> str:
    """``str(legacy_uuid(table, legacy_id))``, computed without building UUID objects (the
    import calls this for every id): a UUIDv5 is the SHA-1 of namespace and name with the
    version digit set to 5 and the variant bits to 10."""
    text = legacy_id.strip()
    if _UUID_TEXT.match(text):
        return text.lower()
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{table}:{legacy_id}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


# For references, which repeat (a user's id in each of their rows); the cache is bounded, so
# memory is too. A table's own ids are all different: they call ``derived_uuid_text``.
legacy_uuid_text = lru_cache(maxsize=1 << 16)(derived_uuid_text)


def legacy_uuid(table: str, legacy_id: str | int) -> uuid.UUID:
    """The Postgres id of D1 row ``legacy_id`` of ``table``."""
    return uuid.UUID(legacy_uuid_text(table, str(legacy_id)))
