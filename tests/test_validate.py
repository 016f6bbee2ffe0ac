"""``make validate``: the live walk, its verdicts and the document it writes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from d1import.parity import parity_section
from dbtools import validate
from dbtools.checkpoint import CHECKPOINT
from tests.conftest import SERVER
from tests.support import engine_for


@pytest.fixture(scope="module")
def results() -> Iterator[list[validate.RevisionResult]]:
    """One walk for the module (it is read, never changed): on a scratch database of its own."""
    name = f"ignition_test_{os.getpid()}_validate"
    admin = create_engine(SERVER.url("postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with engine_for(SERVER.url(name)) as engine:
            yield validate.walk(engine)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_live_walk_passes_and_is_documented(results: list[validate.RevisionResult]) -> None:
    assert validate.problems_of(results, (True, "1 passed")) == []
    by_revision = {r.revision: r for r in results}
    assert (len(by_revision["0002"].tables), len(by_revision["0002"].functions)) == (8, 4)
    document = validate.render(results, (True, "154 passed"), ok=True, sections=[parity_section])
    assert "| Migration 0007 (Market" in document
    assert "| user_purchases | user_purchases (0007) | 6 | ✅ Migrated |" in document
    assert "| Test suite (`pytest`) | ✅ | 154 passed |" in document


def test_a_count_off_the_checkpoint_fails_validation(
    results: list[validate.RevisionResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = dict(CHECKPOINT)
    wrong["0003"] = replace(CHECKPOINT["0003"], functions=frozenset({"start_focus_session"}))
    monkeypatch.setattr(validate, "CHECKPOINT", wrong)
    assert validate.problems_of(results, None) == ["0003: differs from the checkpoint"]
    assert "| 0003 |" in validate.render(results, None, ok=False)


def test_a_rollback_that_leaves_something_fails_validation(
    results: list[validate.RevisionResult],
) -> None:
    broken = [replace(results[0], rollback_ok=False, rollback_diff="+ relations: users")]
    problems = validate.problems_of(broken, (False, "1 failed"))
    assert problems == [
        "0001: downgrade does not restore the catalog",
        "tests failed: 1 failed",
    ]
    assert "what the downgrade left behind" in validate.render(broken, (False, "1 failed"), False)
