"""Reference audio (revision 0014): users' uploaded reference tracks and their analysis."""

from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAt, OwnerKey, UpdatedAt, UUIDPk
from models.enums import TrackVisibility, sa_enum

TRACK_VISIBILITY = sa_enum(TrackVisibility, "track_visibility")


class ReferenceTrack(Base):
    __tablename__ = "reference_tracks"
    __table_args__ = (
        CheckConstraint("bytes > 0", name="bytes_positive"),
        CheckConstraint("octet_length(sha256) = 32", name="sha256_length"),
        CheckConstraint("duration_seconds > 0", name="duration_seconds_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    title: Mapped[str]
    artist: Mapped[str | None]
    r2_key: Mapped[str] = mapped_column(index=True)
    mime_type: Mapped[str]
    bytes: Mapped[int] = mapped_column(BigInteger)
    """Size of the file; BIGINT because files over 2 GiB exist."""
    sha256: Mapped[builtins.bytes | None]
    """The 32-byte digest (D1 kept it as hex text)."""
    duration_seconds: Mapped[float | None]
    tags: Mapped[list[str] | None]
    visibility: Mapped[TrackVisibility] = mapped_column(
        TRACK_VISIBILITY, server_default=TrackVisibility.PRIVATE.value
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    analysis: Mapped[TrackAnalysisCache | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class TrackAnalysisCache(Base):
    __tablename__ = "track_analysis_cache"
    __table_args__ = (
        # One analysis per track, the distribution column in the key (revision 0031).
        UniqueConstraint("track_id", "user_id"),
        ForeignKeyConstraint(
            ["track_id", "user_id"],
            ["reference_tracks.id", "reference_tracks.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("bpm > 0", name="bpm_positive"),
        CheckConstraint("energy BETWEEN 0 AND 1", name="energy_range"),
        CheckConstraint("danceability BETWEEN 0 AND 1", name="danceability_range"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    track_id: Mapped[uuid.UUID]
    bpm: Mapped[float | None]
    key: Mapped[str | None]
    """The musical key, e.g. ``F# minor``."""
    energy: Mapped[float | None]
    danceability: Mapped[float | None]
    sections: Mapped[list[Any] | None]
    waveform: Mapped[list[Any] | None]
    analyzer_version: Mapped[str | None]
    analyzed_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]
