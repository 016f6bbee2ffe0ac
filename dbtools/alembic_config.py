"""The Alembic config of this repository, for code that drives Alembic from Python."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(script_location: Path = ROOT / "alembic") -> Config:
    """alembic.ini with an absolute script location; env.py leaves the caller's logging alone."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(script_location))
    config.attributes["configure_logger"] = False
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no revisions"
    return head
