"""Planning: calendar events, daily plans, plan templates, and two calendar views.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

Creates the ENUM type calendar_event_type, the tables calendar_events (workout_id without
its foreign key yet: workouts arrive in a later revision, which adds it), daily_plans and
plan_templates, the updated_at triggers of calendar_events and daily_plans, and the views
todays_events and this_weeks_events. No functions.

Downgrade drops the views, tables and type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE calendar_event_type AS ENUM ('general', 'meeting', 'workout', 'reminder', 'focus', 'learning')"
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "event_type",
            postgresql.ENUM(name="calendar_event_type", create_type=False),
            server_default="general",
            nullable=False,
        ),
        sa.Column("start_time", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("end_time", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("all_day", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("workout_id", sa.UUID(), nullable=True),
        sa.Column("recurrence_rule", sa.Text(), nullable=True),
        sa.Column("recurrence_end", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("parent_event_id", sa.UUID(), nullable=True),
        sa.Column("color", sa.Text(), nullable=True),
        sa.Column("reminder_minutes", sa.Integer(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["parent_event_id"],
            ["calendar_events.id"],
            name="calendar_events_parent_event_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="calendar_events_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="calendar_events_pkey"),
    )
    op.create_index(
        "calendar_events_parent_event_id_idx", "calendar_events", ["parent_event_id"], unique=False
    )
    op.create_index(
        "calendar_events_start_time_idx", "calendar_events", ["start_time"], unique=False
    )
    op.create_index("calendar_events_user_id_idx", "calendar_events", ["user_id"], unique=False)
    op.create_index(
        "calendar_events_user_id_start_time_end_time_idx",
        "calendar_events",
        ["user_id", "start_time", "end_time"],
        unique=False,
    )
    op.create_table(
        "daily_plans",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "items",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
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
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="daily_plans_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="daily_plans_pkey"),
        sa.UniqueConstraint("user_id", "date", name="daily_plans_user_id_date_key"),
    )
    op.create_table(
        "plan_templates",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "items",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="plan_templates_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="plan_templates_pkey"),
    )
    op.create_index("plan_templates_user_id_idx", "plan_templates", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER calendar_events_set_updated_at BEFORE UPDATE ON calendar_events "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        "CREATE TRIGGER daily_plans_set_updated_at BEFORE UPDATE ON daily_plans "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("""
CREATE VIEW todays_events AS
SELECT e.id,
       e.user_id,
       e.title,
       e.event_type,
       e.start_time,
       e.end_time,
       e.all_day,
       e.location,
       e.workout_id
FROM calendar_events e
WHERE e.start_time < CURRENT_DATE + 1
  AND COALESCE(e.end_time, e.start_time) >= CURRENT_DATE""")
    op.execute("""
CREATE VIEW this_weeks_events AS
SELECT e.id,
       e.user_id,
       e.title,
       e.event_type,
       e.start_time,
       e.end_time,
       e.all_day,
       e.location,
       e.workout_id
FROM calendar_events e
WHERE e.start_time < date_trunc('WEEK', CURRENT_DATE::timestamp) + interval '7 days'
  AND COALESCE(e.end_time, e.start_time) >= date_trunc('WEEK', CURRENT_DATE::timestamp)""")


def downgrade() -> None:
    op.execute("DROP VIEW this_weeks_events")
    op.execute("DROP VIEW todays_events")
    op.drop_table("plan_templates")
    op.drop_table("daily_plans")
    op.drop_table("calendar_events")
    op.execute("DROP TYPE calendar_event_type")
