"""Tenant keys, step 8: drop the unique keys that span users.

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-22

What Citus cannot enforce across shards, now that something else holds each guarantee:

- ``track_analysis_cache_track_id_key`` (UNIQUE ``track_id``): ``(track_id, user_id)`` of 0031
  says the same, as a track's ``user_id`` is fixed by the composite foreign key.
- ``verification_tokens_token_hash_key`` (UNIQUE ``token_hash``): the primary key
  ``(identifier, token_hash)`` stays, and the hash is of 32 random bytes.
- ``users_email_lower_key`` (UNIQUE ``lower(email)``): ``user_emails``' primary key is the
  cluster-wide unique e-mail from now on. Sign-up and e-mail changes (service work) must write
  ``user_emails`` in the same transaction as ``users`` (README).

The two constraints go in a plain transaction (a catalog change under a short lock); the index
is dropped CONCURRENTLY in an autocommit block (IF EXISTS: a re-run after an interruption goes
on).

Downgrade recreates them (the index CONCURRENTLY; it fails, changing nothing, if two users
have come to share an e-mail since).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE track_analysis_cache DROP CONSTRAINT IF EXISTS "
        "track_analysis_cache_track_id_key"
    )
    op.execute(
        "-- squawk-ignore ban-drop-constraint\n"
        "ALTER TABLE verification_tokens DROP CONSTRAINT IF EXISTS "
        "verification_tokens_token_hash_key"
    )
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS users_email_lower_key")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_lower_key "
            "ON users (lower(email))"
        )
    op.execute(
        "ALTER TABLE verification_tokens ADD CONSTRAINT verification_tokens_token_hash_key "
        "UNIQUE (token_hash)"
    )
    op.execute(
        "ALTER TABLE track_analysis_cache ADD CONSTRAINT track_analysis_cache_track_id_key "
        "UNIQUE (track_id)"
    )
