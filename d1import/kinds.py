"""Why a row is quarantined: a small fixed vocabulary, each kind with the words a report uses.

A quarantine record is (kind, D1 column, detail): the kind says which rule the row broke,
the column where, the detail the particulars (a value, the row it collides with). Reports
group by kind and column, so they stay small however many rows share a reason.
"""

from __future__ import annotations

KINDS: dict[str, str] = {
    "invalid_text": "text PostgreSQL cannot store (a NUL character, bytes that are not UTF-8)",
    "invalid_number": "not a number of the column's type",
    "out_of_range": "a number or date outside the column type's range",
    "invalid_boolean": "not a boolean (0/1, true/false)",
    "invalid_datetime": "not a date/time",
    "invalid_json": "not JSON that PostgreSQL reads",
    "not_a_json_array": "a JSON value other than an array of scalars where a list belongs",
    "invalid_hex": "not a hexadecimal string",
    "enum_value": "a label outside the column's ENUM",
    "not_null": "no value in a column that requires one",
    "check": "breaks a CHECK rule of the table",
    "duplicate_key": "repeats the key of an earlier row (a unique index)",
    "differs_from_existing": "same id as a row already in the database (seeded), other values",
    "orphan": "references a row that is not in the source",
    "depends_on_quarantined": "references a row that was quarantined",
    "other_users_parent": "references a row of another user (its user_id must be the parent's)",
    "rejected_by_server": "PostgreSQL refused the converted value",
    "state_without_owner": (
        "a row without a user goes to a catalogue table (a global quest to quest_templates), "
        "which has no column for the per-user state it holds"
    ),
}


def describe(kind: str) -> str:
    """The kind in words (``KeyError`` for a kind outside the vocabulary: a bug)."""
    return KINDS[kind]
