"""The built-in exercise catalogue (``data/exercise_catalogue.json``, kept as published) as rows
of ``exercises``.

The catalogue's seven categories do not match the ``exercise_category`` ENUM; ``CATEGORY``
maps them, and the original goes to ``source_category`` so nothing is lost. Its ``level``,
``force`` and ``mechanic`` have no column; they stay in the catalogue file.
"""

from __future__ import annotations

from typing import Any

CATEGORY = {
    "strength": "strength",
    "powerlifting": "strength",
    "olympic weightlifting": "strength",
    "strongman": "strength",
    "stretching": "flexibility",
    "plyometrics": "plyometric",
    "cardio": "cardio",
}


def exercise_rows(catalogue: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seed rows (``legacy_id`` = the catalogue's ``id``, which D1's exercise rows carry)."""
    rows = []
    for entry in catalogue:
        category = str(entry.get("category", ""))
        muscles = [*entry.get("primaryMuscles", []), *entry.get("secondaryMuscles", [])]
        rows.append(
            {
                "legacy_id": entry.get("id"),
                "name": entry.get("name"),
                "category": CATEGORY.get(category, category),
                "source_category": category if CATEGORY.get(category) != category else None,
                "muscle_groups": list(dict.fromkeys(muscles)),
                "equipment": [entry["equipment"]] if entry.get("equipment") else [],
                "is_builtin": True,
                "is_custom": False,
            }
        )
    return rows
