"""Fitness: exercises, workouts, sessions and sets, records, programs; calendar → workouts FK.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21

Creates the ENUM types exercise_category and training_difficulty and the tables exercises
(TEXT[] muscle_groups/equipment, the ownership CHECK, source_category keeping the source's own
category), workouts, workout_sections, workout_exercises, workout_sessions, exercise_sets,
personal_records, training_programs, program_weeks and program_workouts, with the updated_at
triggers of workouts and training_programs.

Then it gives calendar_events.workout_id (there since 0006) its foreign key to workouts
(ON DELETE SET NULL) the lock-safe way for a populated table: added NOT VALID here (a brief
lock, no scan); 0009 builds its index CONCURRENTLY and 0010 validates it, each on its own.

Downgrade drops the foreign key, unlinks events from the workouts about to go (as ON DELETE
SET NULL would), and drops the tables and types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE exercise_category AS ENUM ('strength', 'cardio', 'flexibility', 'balance', 'plyometric', 'other')"
    )
    op.execute("CREATE TYPE training_difficulty AS ENUM ('beginner', 'intermediate', 'advanced')")
    op.create_table(
        "exercises",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "category", postgresql.ENUM(name="exercise_category", create_type=False), nullable=False
        ),
        sa.Column("source_category", sa.Text(), nullable=True),
        sa.Column("muscle_groups", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("equipment", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("is_custom", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(is_builtin = true AND user_id IS NULL) OR (is_custom = true AND user_id IS NOT NULL) OR (is_builtin = false AND is_custom = false)",
            name=op.f("exercises_ownership_check"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="exercises_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="exercises_pkey"),
    )
    op.create_index(
        "exercises_builtin_idx",
        "exercises",
        ["is_builtin"],
        unique=False,
        postgresql_where=sa.text("is_builtin = true"),
    )
    op.create_index("exercises_category_idx", "exercises", ["category"], unique=False)
    op.create_index("exercises_user_id_idx", "exercises", ["user_id"], unique=False)
    op.create_table(
        "training_programs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("duration_weeks", sa.Integer(), server_default=sa.text("4"), nullable=False),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column(
            "difficulty",
            postgresql.ENUM(name="training_difficulty", create_type=False),
            server_default="intermediate",
            nullable=True,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
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
        sa.CheckConstraint(
            "duration_weeks >= 1", name=op.f("training_programs_duration_weeks_positive_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="training_programs_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="training_programs_pkey"),
    )
    op.create_index("training_programs_user_id_idx", "training_programs", ["user_id"], unique=False)
    op.create_table(
        "workouts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("estimated_duration", sa.Integer(), nullable=True),
        sa.Column("is_template", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.CheckConstraint(
            "estimated_duration > 0", name=op.f("workouts_estimated_duration_positive_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="workouts_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="workouts_pkey"),
    )
    op.create_index("workouts_user_id_idx", "workouts", ["user_id"], unique=False)
    op.create_table(
        "program_weeks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("program_id", sa.UUID(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("is_deload", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "week_number >= 1", name=op.f("program_weeks_week_number_positive_check")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_programs.id"],
            name="program_weeks_program_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="program_weeks_pkey"),
    )
    op.create_index("program_weeks_program_id_idx", "program_weeks", ["program_id"], unique=False)
    op.create_table(
        "workout_sections",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workout_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workouts.id"],
            name="workout_sections_workout_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="workout_sections_pkey"),
    )
    op.create_index(
        "workout_sections_workout_id_idx", "workout_sections", ["workout_id"], unique=False
    )
    op.create_table(
        "workout_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("workout_id", sa.UUID(), nullable=True),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "rating BETWEEN 1 AND 5", name=op.f("workout_sessions_rating_range_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="workout_sessions_user_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workouts.id"],
            name="workout_sessions_workout_id_fkey",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="workout_sessions_pkey"),
    )
    op.create_index("workout_sessions_user_id_idx", "workout_sessions", ["user_id"], unique=False)
    op.create_index(
        "workout_sessions_workout_id_idx", "workout_sessions", ["workout_id"], unique=False
    )
    op.create_table(
        "exercise_sets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("exercise_id", sa.UUID(), nullable=False),
        sa.Column("set_number", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Double(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("is_warmup", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_dropset", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rpe", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint("duration >= 0", name=op.f("exercise_sets_duration_non_negative_check")),
        sa.CheckConstraint("reps >= 0", name=op.f("exercise_sets_reps_non_negative_check")),
        sa.CheckConstraint("rpe BETWEEN 1 AND 10", name=op.f("exercise_sets_rpe_range_check")),
        sa.CheckConstraint("set_number >= 1", name=op.f("exercise_sets_set_number_positive_check")),
        sa.CheckConstraint("weight >= 0", name=op.f("exercise_sets_weight_non_negative_check")),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name="exercise_sets_exercise_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workout_sessions.id"],
            name="exercise_sets_session_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="exercise_sets_pkey"),
    )
    op.create_index("exercise_sets_exercise_id_idx", "exercise_sets", ["exercise_id"], unique=False)
    op.create_index("exercise_sets_session_id_idx", "exercise_sets", ["session_id"], unique=False)
    op.create_table(
        "program_workouts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("program_week_id", sa.UUID(), nullable=False),
        sa.Column("workout_id", sa.UUID(), nullable=False),
        sa.Column("day_of_week", sa.Integer(), nullable=True),
        sa.Column("order_index", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("intensity_modifier", sa.Double(), server_default=sa.text("1.0"), nullable=True),
        sa.CheckConstraint(
            "day_of_week BETWEEN 0 AND 6", name=op.f("program_workouts_day_of_week_range_check")
        ),
        sa.CheckConstraint(
            "intensity_modifier > 0",
            name=op.f("program_workouts_intensity_modifier_positive_check"),
        ),
        sa.ForeignKeyConstraint(
            ["program_week_id"],
            ["program_weeks.id"],
            name="program_workouts_program_week_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workouts.id"],
            name="program_workouts_workout_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="program_workouts_pkey"),
    )
    op.create_index(
        "program_workouts_program_week_id_idx",
        "program_workouts",
        ["program_week_id"],
        unique=False,
    )
    op.create_index(
        "program_workouts_workout_id_idx", "program_workouts", ["workout_id"], unique=False
    )
    op.create_table(
        "workout_exercises",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workout_id", sa.UUID(), nullable=False),
        sa.Column("section_id", sa.UUID(), nullable=True),
        sa.Column("exercise_id", sa.UUID(), nullable=False),
        sa.Column("sets", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("reps", sa.Text(), nullable=True),
        sa.Column("weight", sa.Text(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("rest_seconds", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("duration > 0", name=op.f("workout_exercises_duration_positive_check")),
        sa.CheckConstraint(
            "rest_seconds >= 0", name=op.f("workout_exercises_rest_seconds_non_negative_check")
        ),
        sa.CheckConstraint("sets >= 1", name=op.f("workout_exercises_sets_positive_check")),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name="workout_exercises_exercise_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["workout_sections.id"],
            name="workout_exercises_section_id_fkey",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workouts.id"],
            name="workout_exercises_workout_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="workout_exercises_pkey"),
    )
    op.create_index(
        "workout_exercises_exercise_id_idx", "workout_exercises", ["exercise_id"], unique=False
    )
    op.create_index(
        "workout_exercises_section_id_idx", "workout_exercises", ["section_id"], unique=False
    )
    op.create_index(
        "workout_exercises_workout_id_idx", "workout_exercises", ["workout_id"], unique=False
    )
    op.create_table(
        "personal_records",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("exercise_id", sa.UUID(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("achieved_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("exercise_set_id", sa.UUID(), nullable=True),
        sa.Column("previous_value", sa.Double(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("reps >= 0", name=op.f("personal_records_reps_non_negative_check")),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name="personal_records_exercise_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exercise_set_id"],
            ["exercise_sets.id"],
            name="personal_records_exercise_set_id_fkey",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="personal_records_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="personal_records_pkey"),
    )
    op.create_index(
        "personal_records_exercise_id_idx", "personal_records", ["exercise_id"], unique=False
    )
    op.create_index(
        "personal_records_exercise_set_id_idx",
        "personal_records",
        ["exercise_set_id"],
        unique=False,
    )
    op.create_index(
        "personal_records_user_id_exercise_id_record_type_idx",
        "personal_records",
        ["user_id", "exercise_id", "record_type"],
        unique=False,
    )
    op.create_index("personal_records_user_id_idx", "personal_records", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER training_programs_set_updated_at BEFORE UPDATE ON training_programs "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER workouts_set_updated_at BEFORE UPDATE ON workouts "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )

    # calendar_events may be populated: NOT VALID takes a brief lock and scans nothing;
    # revision 0010 validates it under a lock that lets reads and writes go on.
    op.create_foreign_key(
        "calendar_events_workout_id_fkey",
        "calendar_events",
        "workouts",
        ["workout_id"],
        ["id"],
        ondelete="SET NULL",
        postgresql_not_valid=True,
    )


def downgrade() -> None:
    op.drop_constraint("calendar_events_workout_id_fkey", "calendar_events", type_="foreignkey")
    # The workouts go; their events lose the link, as ON DELETE SET NULL would have done. Left
    # dangling, they would fail the foreign key when this revision is applied again.
    op.execute("UPDATE calendar_events SET workout_id = NULL WHERE workout_id IS NOT NULL")
    op.drop_table("personal_records")
    op.drop_table("workout_exercises")
    op.drop_table("program_workouts")
    op.drop_table("exercise_sets")
    op.drop_table("workout_sessions")
    op.drop_table("workout_sections")
    op.drop_table("program_weeks")
    op.drop_table("workouts")
    op.drop_table("training_programs")
    op.drop_table("exercises")
    op.execute("DROP TYPE training_difficulty")
    op.execute("DROP TYPE exercise_category")
