"""pytest-alembic's built-in checks: one head, upgrade base→head, models match the DDL the
revisions build (tables, enums, and through env.py also functions, views and triggers), and
every revision's downgrade undoes its upgrade as far as autogenerate can see."""

from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]
