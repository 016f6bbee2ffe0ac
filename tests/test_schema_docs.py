"""docs/schema.md is generated from the models (``make docs``) and must be current."""

from __future__ import annotations

import re

import models
from dbtools import schema_docs


def test_schema_md_is_current() -> None:
    written = schema_docs.OUTPUT.read_text(encoding="utf-8")
    assert written == schema_docs.render(), "docs/schema.md is stale: run `make docs`"


def test_every_table_is_drawn_in_exactly_one_domain() -> None:
    domains = schema_docs.domains()
    owned = [table.name for domain in domains for table in domain.tables]
    assert sorted(owned) == sorted(models.Base.metadata.tables)
    for domain in domains:
        drawn = set(re.findall(r"^  (\w+) \{$", schema_docs.diagram(domain), re.M))
        assert {t.name for t in domain.tables} <= drawn, domain.title


def test_a_link_to_another_domain_is_a_stub_with_the_referenced_column() -> None:
    planning = next(d for d in schema_docs.domains() if d.module == "models.planning")
    drawing = schema_docs.diagram(planning)
    # the composite key (id, user_id) that calendar_events' (workout_id, user_id) references
    assert "  workouts {\n    UUID id PK\n    UUID user_id PK\n  }" in drawing
    assert "  workouts ||--o{ calendar_events : workout_id" in drawing
    assert "TIMESTAMPTZ start_time" in drawing
