"""Learn: topics, lessons, drills, users' lesson progress and drill stats, flashcards.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21

Creates the ENUM types learn_difficulty and lesson_status and the tables learn_topics,
learn_lessons (quiz JSONB), learn_drills (config JSONB), user_lesson_progress (0-100 quiz
score), user_drill_stats, flashcard_decks (with its updated_at trigger) and flashcards.

Downgrade drops the tables and the types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE learn_difficulty AS ENUM ('beginner', 'intermediate', 'advanced')")
    op.execute("CREATE TYPE lesson_status AS ENUM ('not_started', 'in_progress', 'completed')")
    op.create_table(
        "learn_topics",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="learn_topics_pkey"),
        sa.UniqueConstraint("key", name="learn_topics_key_key"),
    )
    op.create_table(
        "flashcard_decks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("card_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
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
            "card_count >= 0", name=op.f("flashcard_decks_card_count_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="flashcard_decks_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="flashcard_decks_pkey"),
    )
    op.create_index("flashcard_decks_user_id_idx", "flashcard_decks", ["user_id"], unique=False)
    op.create_table(
        "learn_drills",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("drill_type", sa.Text(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "difficulty",
            postgresql.ENUM(name="learn_difficulty", create_type=False),
            server_default="beginner",
            nullable=False,
        ),
        sa.Column("duration_seconds", sa.Integer(), server_default=sa.text("120"), nullable=False),
        sa.Column("xp_reward", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_seconds > 0", name=op.f("learn_drills_duration_seconds_positive_check")
        ),
        sa.CheckConstraint(
            "xp_reward >= 0", name=op.f("learn_drills_xp_reward_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["learn_topics.id"], name="learn_drills_topic_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="learn_drills_pkey"),
        sa.UniqueConstraint("key", name="learn_drills_key_key"),
    )
    op.create_index("learn_drills_topic_id_idx", "learn_drills", ["topic_id"], unique=False)
    op.create_table(
        "learn_lessons",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_markdown", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column(
            "difficulty",
            postgresql.ENUM(name="learn_difficulty", create_type=False),
            server_default="beginner",
            nullable=False,
        ),
        sa.Column("quiz", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("xp_reward", sa.Integer(), server_default=sa.text("15"), nullable=False),
        sa.Column("coin_reward", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("skill_key", sa.Text(), nullable=True),
        sa.Column("skill_star_reward", sa.Integer(), server_default=sa.text("1"), nullable=True),
        sa.Column("audio_r2_key", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("learn_lessons_duration_minutes_positive_check")
        ),
        sa.CheckConstraint(
            "xp_reward >= 0 AND coin_reward >= 0 AND skill_star_reward >= 0",
            name=op.f("learn_lessons_rewards_non_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["learn_topics.id"],
            name="learn_lessons_topic_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="learn_lessons_pkey"),
        sa.UniqueConstraint("key", name="learn_lessons_key_key"),
    )
    op.create_index("learn_lessons_topic_id_idx", "learn_lessons", ["topic_id"], unique=False)
    op.create_table(
        "flashcards",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("deck_id", sa.UUID(), nullable=False),
        sa.Column("front", sa.Text(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column("ease_factor", sa.Double(), server_default=sa.text("2.5"), nullable=False),
        sa.Column("interval", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_review", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("review_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ease_factor > 0", name=op.f("flashcards_ease_factor_positive_check")),
        sa.CheckConstraint("interval >= 0", name=op.f("flashcards_interval_non_negative_check")),
        sa.CheckConstraint(
            "review_count >= 0", name=op.f("flashcards_review_count_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["deck_id"], ["flashcard_decks.id"], name="flashcards_deck_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="flashcards_pkey"),
    )
    op.create_index("flashcards_deck_id_idx", "flashcards", ["deck_id"], unique=False)
    op.create_table(
        "user_drill_stats",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("drill_id", sa.UUID(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("best_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_attempted_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("next_due_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            "attempts >= 0 AND correct >= 0 AND streak >= 0 AND best_streak >= 0",
            name=op.f("user_drill_stats_counters_non_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["learn_drills.id"],
            name="user_drill_stats_drill_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_drill_stats_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_drill_stats_pkey"),
        sa.UniqueConstraint("user_id", "drill_id", name="user_drill_stats_user_id_drill_id_key"),
    )
    op.create_index("user_drill_stats_drill_id_idx", "user_drill_stats", ["drill_id"], unique=False)
    op.create_table(
        "user_lesson_progress",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("lesson_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="lesson_status", create_type=False),
            server_default="not_started",
            nullable=False,
        ),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("quiz_score", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("user_lesson_progress_attempts_non_negative_check")
        ),
        sa.CheckConstraint(
            "quiz_score BETWEEN 0 AND 100",
            name=op.f("user_lesson_progress_quiz_score_percentage_check"),
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["learn_lessons.id"],
            name="user_lesson_progress_lesson_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="user_lesson_progress_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="user_lesson_progress_pkey"),
        sa.UniqueConstraint(
            "user_id", "lesson_id", name="user_lesson_progress_user_id_lesson_id_key"
        ),
    )
    op.create_index(
        "user_lesson_progress_lesson_id_idx", "user_lesson_progress", ["lesson_id"], unique=False
    )
    op.execute(
        "CREATE TRIGGER flashcard_decks_set_updated_at BEFORE UPDATE ON flashcard_decks "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("user_lesson_progress")
    op.drop_table("user_drill_stats")
    op.drop_table("flashcards")
    op.drop_table("learn_lessons")
    op.drop_table("learn_drills")
    op.drop_table("flashcard_decks")
    op.drop_table("learn_topics")
    op.execute("DROP TYPE lesson_status")
    op.execute("DROP TYPE learn_difficulty")
