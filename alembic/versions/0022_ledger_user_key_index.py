"""Index points_ledger (user_id, idempotency_key), UNIQUE, CONCURRENTLY.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-22

Idempotency keys become the user's own (the next revision swaps the global unique
constraint for this index). points_ledger is the busiest table in production, so the index is
built with CREATE UNIQUE INDEX CONCURRENTLY (writes go on meanwhile), which cannot run inside
a transaction: it runs in an autocommit block, alone in this revision so that nothing else is
committed with it. IF NOT EXISTS lets a re-run after an interrupted build go through (an
interrupted concurrent build leaves an INVALID index: drop it before re-running). The global
constraint still holds, so the new index cannot fail on duplicates.

Downgrade drops the index, CONCURRENTLY.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "points_ledger_user_id_idempotency_key_key",
            "points_ledger",
            ["user_id", "idempotency_key"],
            unique=True,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "points_ledger_user_id_idempotency_key_key",
            table_name="points_ledger",
            postgresql_concurrently=True,
            if_exists=True,
        )
