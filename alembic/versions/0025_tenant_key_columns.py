"""Tenant keys, step 1: user_id on the eight child tables, user_emails, quest_templates.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-22

First step of the revision plan of ``docs/distribution.md`` (issue #16): every user-owned row
carries its ``user_id``, so Citus can place it beside its user and a composite foreign key can
refuse a row of one user that points at another user's parent.

- ``goal_milestones``, ``workout_sections``, ``workout_exercises``, ``exercise_sets``,
  ``program_weeks``, ``program_workouts``, ``flashcards``, ``track_analysis_cache`` gain
  ``user_id uuid``, nullable for now (revision 0028 makes it NOT NULL once 0026 has filled
  it), with a foreign key to ``users`` ON DELETE CASCADE added NOT VALID (validated in 0028).
- A temporary ``BEFORE INSERT`` trigger ``<table>_fill_user_id`` fills ``user_id`` from the
  parent row when the writer does not send it yet (``fill_user_id_from_parent``, SECURITY
  INVOKER: the writer sees only the parents row-level security lets it see). It goes once the
  app sends ``user_id`` itself (the last tenant-key revision).
- ``user_emails (email_lower PRIMARY KEY, user_id)``: the cluster-wide unique e-mail (Citus
  distributes it by ``email_lower``; ``users`` by ``id`` cannot keep a unique key on
  ``lower(email)``). No foreign key to ``users`` (another colocation group): ``delete_user``
  deletes its row. The app may read its own row; writing it is service work (sign-up and an
  e-mail change, like sessions and linked accounts since 0021). Its policy compares with
  ``app_user_id()`` itself, not the init-plan ``(SELECT app_user_id())``, which Citus refuses
  in a policy of a distributed table (probed by the lead).
- ``quest_templates``: a reference table for the global quests (``quests`` rows without a
  user), the columns of ``quests`` without the per-user state; revision 0026 moves the rows.
  A read-only catalogue for the app and the service, like the other reference tables.

Lock safety: ADD COLUMN without a default and ADD CONSTRAINT ... NOT VALID change only the
catalog (a short ACCESS EXCLUSIVE lock, bounded by env.py's lock_timeout); the new tables are
empty, so their indexes are built in place.

Downgrade drops the triggers and their function, the two tables and the eight columns (the
global quests are back in ``quests`` by then: 0026's downgrade moves them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child, parent, the child's column that references the parent)
CHILDREN = (
    ("goal_milestones", "goals", "goal_id"),
    ("workout_sections", "workouts", "workout_id"),
    ("workout_exercises", "workouts", "workout_id"),
    ("exercise_sets", "workout_sessions", "session_id"),
    ("program_weeks", "training_programs", "program_id"),
    ("program_workouts", "program_weeks", "program_week_id"),
    ("flashcards", "flashcard_decks", "deck_id"),
    ("track_analysis_cache", "reference_tracks", "track_id"),
)


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION fill_user_id_from_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL THEN
        EXECUTE format('SELECT user_id FROM public.%I WHERE id = $1', TG_ARGV[0])
            INTO NEW.user_id
            USING (to_jsonb(NEW) ->> TG_ARGV[1])::uuid;
    END IF;
    RETURN NEW;
END;
$$""")
    # A trigger function needs no EXECUTE to fire; the app has no business calling it.
    op.execute("REVOKE EXECUTE ON FUNCTION fill_user_id_from_parent() FROM ignition_app")
    for table, parent, column in CHILDREN:
        op.execute(f"ALTER TABLE {table} ADD COLUMN user_id uuid")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_user_id_fkey FOREIGN KEY (user_id) "
            "REFERENCES users (id) ON DELETE CASCADE NOT VALID"
        )
        op.execute(
            f"CREATE TRIGGER {table}_fill_user_id BEFORE INSERT ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION fill_user_id_from_parent('{parent}', '{column}')"
        )

    op.execute("""
CREATE TABLE user_emails (
    email_lower text NOT NULL,
    user_id uuid NOT NULL,
    CONSTRAINT user_emails_pkey PRIMARY KEY (email_lower),
    CONSTRAINT user_emails_lowercase_check CHECK (email_lower = lower(email_lower))
)""")
    op.execute("CREATE INDEX user_emails_user_id_idx ON user_emails (user_id)")
    op.execute("REVOKE INSERT, UPDATE, DELETE ON user_emails FROM ignition_app")
    op.execute(
        "CREATE POLICY user_emails_own_rows ON user_emails AS PERMISSIVE FOR SELECT "
        "TO ignition_app USING (user_id = app_user_id())"
    )
    op.execute(
        "CREATE POLICY user_emails_readonly ON user_emails AS PERMISSIVE FOR SELECT "
        "TO ignition_readonly USING (true)"
    )
    op.execute(
        "CREATE POLICY user_emails_service ON user_emails AS PERMISSIVE FOR ALL "
        "TO ignition_service USING (true) WITH CHECK (true)"
    )

    op.execute("""
CREATE TABLE quest_templates (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    title text NOT NULL,
    description text,
    category text NOT NULL,
    difficulty quest_difficulty DEFAULT 'starter'::quest_difficulty NOT NULL,
    xp_reward integer DEFAULT 10 NOT NULL,
    coin_reward integer DEFAULT 5 NOT NULL,
    is_universal boolean DEFAULT false NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    expires_at timestamp with time zone,
    is_repeatable boolean DEFAULT false NOT NULL,
    repeat_frequency text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT quest_templates_pkey PRIMARY KEY (id),
    CONSTRAINT quest_templates_xp_reward_non_negative_check CHECK (xp_reward >= 0),
    CONSTRAINT quest_templates_coin_reward_non_negative_check CHECK (coin_reward >= 0)
)""")
    op.execute(
        "REVOKE INSERT, UPDATE, DELETE ON quest_templates FROM ignition_app, ignition_service"
    )
    op.execute(
        "CREATE POLICY quest_templates_read ON quest_templates AS PERMISSIVE FOR SELECT "
        "TO PUBLIC USING (true)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE quest_templates")
    op.execute("DROP TABLE user_emails")
    for table, _, _ in reversed(CHILDREN):
        op.execute(f"DROP TRIGGER {table}_fill_user_id ON {table}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN user_id")
    op.execute("DROP FUNCTION fill_user_id_from_parent()")
