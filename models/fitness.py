"""Fitness (revision 0008): the exercise catalogue and custom exercises, workouts with their
sections and exercises, logged sessions and sets, personal records, training programs."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    FalseByDefault,
    OwnerKey,
    UpdatedAt,
    UUIDPk,
    ZeroByDefault,
)
from models.enums import ExerciseCategory, TrainingDifficulty, sa_enum

EXERCISE_CATEGORY = sa_enum(ExerciseCategory, "exercise_category")
TRAINING_DIFFICULTY = sa_enum(TrainingDifficulty, "training_difficulty")


class Exercise(Base):
    """Built-in catalogue exercises (no owner) and users' custom ones."""

    __tablename__ = "exercises"
    __table_args__ = (
        CheckConstraint(
            "(is_builtin = true AND user_id IS NULL) OR (is_custom = true AND user_id IS NOT NULL) "
            "OR (is_builtin = false AND is_custom = false)",
            name="ownership",
        ),
        Index("exercises_builtin_idx", "is_builtin", postgresql_where=text("is_builtin = true")),
    )

    id: Mapped[UUIDPk]
    name: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[ExerciseCategory] = mapped_column(EXERCISE_CATEGORY, index=True)
    source_category: Mapped[str | None]
    """The category as the source said it (catalogue or D1), when it differs from ``category``:
    the catalogue's seven categories map onto the six of the ENUM, and nothing is lost."""
    muscle_groups: Mapped[list[str] | None]
    equipment: Mapped[list[str] | None]
    is_custom: Mapped[FalseByDefault]
    is_builtin: Mapped[FalseByDefault]
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    instructions: Mapped[str | None]
    created_at: Mapped[CreatedAt]


class Workout(Base):
    __tablename__ = "workouts"
    __table_args__ = (
        CheckConstraint("estimated_duration > 0", name="estimated_duration_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    name: Mapped[str]
    description: Mapped[str | None]
    estimated_duration: Mapped[int | None]
    """Minutes."""
    is_template: Mapped[FalseByDefault]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    sections: Mapped[list[WorkoutSection]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="WorkoutSection.sort_order"
    )
    exercises: Mapped[list[WorkoutExercise]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="WorkoutExercise.sort_order"
    )


class WorkoutSection(Base):
    __tablename__ = "workout_sections"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workout_id", "user_id"], ["workouts.id", "workouts.user_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    workout_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str]
    sort_order: Mapped[ZeroByDefault]


class WorkoutExercise(Base):
    __tablename__ = "workout_exercises"
    __table_args__ = (
        ForeignKeyConstraint(
            ["section_id", "user_id"], ["workout_sections.id", "workout_sections.user_id"]
        ),
        ForeignKeyConstraint(
            ["workout_id", "user_id"], ["workouts.id", "workouts.user_id"], ondelete="CASCADE"
        ),
        CheckConstraint("sets >= 1", name="sets_positive"),
        CheckConstraint("duration > 0", name="duration_positive"),
        CheckConstraint("rest_seconds >= 0", name="rest_seconds_non_negative"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    workout_id: Mapped[uuid.UUID] = mapped_column(index=True)
    section_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    sets: Mapped[int] = mapped_column(server_default=text("3"))
    reps: Mapped[str | None]
    """A prescription such as ``8-12`` or ``AMRAP``: text, as in D1."""
    weight: Mapped[str | None]
    """A prescription such as ``bodyweight`` or ``70%``: text, as in D1."""
    duration: Mapped[int | None]
    rest_seconds: Mapped[int | None]
    notes: Mapped[str | None]
    sort_order: Mapped[ZeroByDefault]

    exercise: Mapped[Exercise] = relationship()


class WorkoutSession(Base):
    """A workout as performed."""

    __tablename__ = "workout_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["workout_id", "user_id"], ["workouts.id", "workouts.user_id"]),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    workout_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    notes: Mapped[str | None]
    rating: Mapped[int | None]

    sets: Mapped[list[ExerciseSet]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ExerciseSet.set_number"
    )


class ExerciseSet(Base):
    __tablename__ = "exercise_sets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["session_id", "user_id"],
            ["workout_sessions.id", "workout_sessions.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("set_number >= 1", name="set_number_positive"),
        CheckConstraint("reps >= 0", name="reps_non_negative"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
        CheckConstraint("duration >= 0", name="duration_non_negative"),
        CheckConstraint("rpe BETWEEN 1 AND 10", name="rpe_range"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    session_id: Mapped[uuid.UUID] = mapped_column(index=True)
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    set_number: Mapped[int]
    reps: Mapped[int | None]
    weight: Mapped[float | None]
    duration: Mapped[int | None]
    is_warmup: Mapped[FalseByDefault]
    is_dropset: Mapped[FalseByDefault]
    rpe: Mapped[int | None]
    notes: Mapped[str | None]
    completed_at: Mapped[datetime | None]


class PersonalRecord(Base):
    __tablename__ = "personal_records"
    __table_args__ = (
        ForeignKeyConstraint(
            ["exercise_set_id", "user_id"], ["exercise_sets.id", "exercise_sets.user_id"]
        ),
        CheckConstraint("reps >= 0", name="reps_non_negative"),
        Index(None, "user_id", "exercise_id", "record_type"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    record_type: Mapped[str]
    value: Mapped[float]
    reps: Mapped[int | None]
    achieved_at: Mapped[datetime]
    exercise_set_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    previous_value: Mapped[float | None]
    created_at: Mapped[CreatedAt]


class TrainingProgram(Base):
    __tablename__ = "training_programs"
    __table_args__ = (CheckConstraint("duration_weeks >= 1", name="duration_weeks_positive"),)

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    name: Mapped[str]
    description: Mapped[str | None]
    duration_weeks: Mapped[int] = mapped_column(server_default=text("4"))
    goal: Mapped[str | None]
    difficulty: Mapped[TrainingDifficulty | None] = mapped_column(
        TRAINING_DIFFICULTY, server_default=TrainingDifficulty.INTERMEDIATE.value
    )
    is_active: Mapped[FalseByDefault]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    weeks: Mapped[list[ProgramWeek]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProgramWeek.week_number"
    )


class ProgramWeek(Base):
    __tablename__ = "program_weeks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["program_id", "user_id"],
            ["training_programs.id", "training_programs.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("week_number >= 1", name="week_number_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    program_id: Mapped[uuid.UUID] = mapped_column(index=True)
    week_number: Mapped[int]
    name: Mapped[str | None]
    is_deload: Mapped[FalseByDefault]
    notes: Mapped[str | None]


class ProgramWorkout(Base):
    __tablename__ = "program_workouts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workout_id", "user_id"], ["workouts.id", "workouts.user_id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["program_week_id", "user_id"],
            ["program_weeks.id", "program_weeks.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_range"),
        CheckConstraint("intensity_modifier > 0", name="intensity_modifier_positive"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[OwnerKey]
    program_week_id: Mapped[uuid.UUID] = mapped_column(index=True)
    workout_id: Mapped[uuid.UUID] = mapped_column(index=True)
    day_of_week: Mapped[int | None]
    """0 = Sunday ... 6 = Saturday, as JavaScript's ``getDay()``."""
    order_index: Mapped[ZeroByDefault]
    intensity_modifier: Mapped[float | None] = mapped_column(server_default=text("1.0"))
