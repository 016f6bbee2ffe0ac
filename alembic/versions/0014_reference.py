"""Reference audio: reference tracks and their analysis cache.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-21

Creates the ENUM type track_visibility and the tables reference_tracks (bytes BIGINT > 0,
sha256 as a 32-byte BYTEA, tags TEXT[]; updated_at trigger) and track_analysis_cache (one
analysis per track; sections and waveform JSONB; energy and danceability in 0..1).

Downgrade drops the tables and the type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE track_visibility AS ENUM ('private', 'shared', 'public')")
    op.create_table(
        "reference_tracks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("artist", sa.Text(), nullable=True),
        sa.Column("r2_key", sa.Text(), nullable=False),
        sa.Column("mime_type", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", postgresql.BYTEA(), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column(
            "visibility",
            postgresql.ENUM(name="track_visibility", create_type=False),
            server_default="private",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("bytes > 0", name=op.f("reference_tracks_bytes_positive_check")),
        sa.CheckConstraint(
            "duration_seconds > 0", name=op.f("reference_tracks_duration_seconds_positive_check")
        ),
        sa.CheckConstraint(
            "octet_length(sha256) = 32", name=op.f("reference_tracks_sha256_length_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="reference_tracks_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="reference_tracks_pkey"),
    )
    op.create_index("reference_tracks_r2_key_idx", "reference_tracks", ["r2_key"], unique=False)
    op.create_index("reference_tracks_user_id_idx", "reference_tracks", ["user_id"], unique=False)
    op.create_table(
        "track_analysis_cache",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("track_id", sa.UUID(), nullable=False),
        sa.Column("bpm", sa.Double(), nullable=True),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("energy", sa.Double(), nullable=True),
        sa.Column("danceability", sa.Double(), nullable=True),
        sa.Column("sections", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("waveform", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("analyzer_version", sa.Text(), nullable=True),
        sa.Column("analyzed_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("bpm > 0", name=op.f("track_analysis_cache_bpm_positive_check")),
        sa.CheckConstraint(
            "danceability BETWEEN 0 AND 1",
            name=op.f("track_analysis_cache_danceability_range_check"),
        ),
        sa.CheckConstraint(
            "energy BETWEEN 0 AND 1", name=op.f("track_analysis_cache_energy_range_check")
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["reference_tracks.id"],
            name="track_analysis_cache_track_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="track_analysis_cache_pkey"),
        sa.UniqueConstraint("track_id", name="track_analysis_cache_track_id_key"),
    )
    op.execute(
        "CREATE TRIGGER reference_tracks_set_updated_at BEFORE UPDATE ON reference_tracks "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("track_analysis_cache")
    op.drop_table("reference_tracks")
    op.execute("DROP TYPE track_visibility")
