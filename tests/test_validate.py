"""``make validate``: the live walk, its verdicts and the document it writes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from d1import.parity import parity_section
from dbtools import validate
from dbtools.checkpoint import CHECKPOINT


@pytest.fixture
def results(stairway: list[validate.RevisionResult]) -> list[validate.RevisionResult]:
    """The session's one walk (conftest ``stairway``), the same test_stairway.py checks."""
    return stairway


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
