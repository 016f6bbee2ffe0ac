"""Books: books and reading sessions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21

Creates the ENUM type book_status, the tables books (with its updated_at trigger; CHECKs on
pages and a 1-5 rating) and reading_sessions.

Downgrade drops the tables and the type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE book_status AS ENUM ('want_to_read', 'reading', 'completed', 'abandoned')"
    )
    op.create_table(
        "books",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("total_pages", sa.Integer(), nullable=True),
        sa.Column("current_page", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="book_status", create_type=False),
            server_default="reading",
            nullable=False,
        ),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
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
        sa.CheckConstraint("current_page >= 0", name=op.f("books_current_page_non_negative_check")),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("books_rating_range_check")),
        sa.CheckConstraint("total_pages > 0", name=op.f("books_total_pages_positive_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="books_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="books_pkey"),
    )
    op.create_index("books_user_id_idx", "books", ["user_id"], unique=False)
    op.create_table(
        "reading_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("book_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("reading_sessions_duration_minutes_positive_check")
        ),
        sa.CheckConstraint(
            "pages_read >= 0", name=op.f("reading_sessions_pages_read_non_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["book_id"], ["books.id"], name="reading_sessions_book_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="reading_sessions_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="reading_sessions_pkey"),
    )
    op.create_index("reading_sessions_book_id_idx", "reading_sessions", ["book_id"], unique=False)
    op.create_index("reading_sessions_user_id_idx", "reading_sessions", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER books_set_updated_at BEFORE UPDATE ON books "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    op.drop_table("reading_sessions")
    op.drop_table("books")
    op.execute("DROP TYPE book_status")
