"""``make check-sources``: the repository's copies against their sources (here: made-up
sources in a temporary folder, so the test reads nothing outside the repository)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dbtools import check_sources
from dbtools.checkpoint import CHECKPOINT, DOCUMENT_COUNTS
from tests.support import ROOT


def checkpoint_document(counts: dict[str, tuple[int, int, int]]) -> str:
    """A document in the checkpoint's format: the summary table and the tables per revision."""
    lines = ["| Check | Status | Details |", "|-------|--------|---------|"]
    for revision, (t, f, v) in counts.items():
        lines.append(
            f"| Migration {revision} (Some Domain) | ✅ **Pass** | {t} tables, {f} functions, "
            f"{v} view{'s' if v != 1 else ''} |"
        )
    lines += ["", "| Migration | Tables Created |", "|-----------|----------------|"]
    for revision, created in CHECKPOINT.items():
        lines.append(f"| {revision} (Domain) | {', '.join(sorted(created.tables))} |")
    return "\n".join(lines) + "\n"


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    (tmp_path / "d1").mkdir()
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "d1import" / "d1_schema.json", tmp_path / "d1" / "schema.json")
    shutil.copy(
        ROOT / "seeds" / "data" / "exercise_catalogue.json", tmp_path / "d1" / "exercises.json"
    )
    (tmp_path / "seeds" / "000_checkpoint.txt").write_text(checkpoint_document(DOCUMENT_COUNTS))
    return tmp_path


def test_copies_equal_to_their_sources_pass(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [v.status for v in check_sources.check(shared)] == ["same", "same", "same"]
    assert check_sources.main(["--shared", str(shared)]) == 0
    assert "same     validation checkpoint" in capsys.readouterr().out


def test_a_copy_that_differs_fails_and_says_which(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shared / "d1" / "exercises.json").write_text("[]")
    counts = {**DOCUMENT_COUNTS, "0003": (2, 3, 2)}
    (shared / "seeds" / "000_checkpoint.txt").write_text(checkpoint_document(counts))
    assert check_sources.main(["--shared", str(shared)]) == 1
    out = capsys.readouterr().out
    assert "differs  exercise catalogue" in out
    assert "'0003': (2, 3, 2)" in out
    assert "same     D1 schema facts" in out


def test_a_checkpoint_table_list_that_differs_is_named() -> None:
    document = checkpoint_document(DOCUMENT_COUNTS).replace("market_items, ", "")
    assert check_sources.checkpoint_problems(document) == [
        "tables of 0007: the document says ['user_purchases'], "
        "dbtools/checkpoint.py says ['market_items', 'user_purchases']"
    ]


def test_missing_sources_are_said_plainly_and_do_not_fail(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shared / "d1" / "schema.json").unlink()
    verdicts = check_sources.check(shared)
    assert [v.status for v in verdicts] == ["missing", "same", "same"]
    assert check_sources.main(["--shared", str(tmp_path / "nowhere")]) == 0
    assert "does not exist, so there is nothing to compare" in capsys.readouterr().out


def test_the_sources_folder_comes_from_the_environment(tmp_path: Path) -> None:
    assert check_sources.shared_dir({"IGNITION_SHARED_DIR": str(tmp_path)}) == tmp_path
    assert check_sources.shared_dir({}) == ROOT.parent / "shared"
