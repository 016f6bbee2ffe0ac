"""The revision files themselves: numbered 0001.. without gaps, a linear chain, frozen."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import VERSIONS

FILE_NAME = re.compile(r"^(?P<number>\d{4})_[a-z0-9_]+\.py$")
# What a frozen revision may import: Alembic, SQLAlchemy and the standard library.
ALLOWED_IMPORT_ROOTS = {"alembic", "sqlalchemy", "collections", "typing", "__future__", "textwrap"}


def revision_files() -> list[Path]:
    return sorted(p for p in VERSIONS.glob("*.py") if p.name != "__init__.py")


def module_constants(path: Path) -> dict[str, object]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            constants[node.target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
                constants[target.id] = ast.literal_eval(node.value)
    return constants


def test_revision_files_are_numbered_without_gaps() -> None:
    files = revision_files()
    assert files, "no revision files found"
    numbers = []
    for path in files:
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name}: revision files are named NNNN_slug.py"
        numbers.append(int(match["number"]))
    assert numbers == list(range(1, len(files) + 1)), f"gap or duplicate in {numbers}"


@pytest.mark.parametrize("path", revision_files(), ids=lambda p: p.name)
def test_revision_id_is_its_number_and_follows_the_previous(path: Path) -> None:
    number = int(path.name[:4])
    constants = module_constants(path)
    assert constants.get("revision") == f"{number:04d}"
    expected_down = None if number == 1 else f"{number - 1:04d}"
    assert constants.get("down_revision") == expected_down


@pytest.mark.parametrize("path", revision_files(), ids=lambda p: p.name)
def test_revision_is_frozen(path: Path) -> None:
    """A revision must not import ``models`` or app code: history must not change under it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= ALLOWED_IMPORT_ROOTS, (
        f"{path.name} imports {imported - ALLOWED_IMPORT_ROOTS}"
    )
    assert ast.get_docstring(tree), f"{path.name} has no docstring saying what it does"


@pytest.mark.parametrize(
    "source",
    ["import models\n", "from models.auth import User\n", "from dbtools import server\n"],
)
def test_frozen_check_catches_app_imports(source: str, tmp_path: Path) -> None:
    """The check above must be able to fail."""
    path = tmp_path / "0099_bad.py"
    path.write_text('"""doc"""\n' + source, encoding="utf-8")
    with pytest.raises(AssertionError, match="imports"):
        test_revision_is_frozen(path)
