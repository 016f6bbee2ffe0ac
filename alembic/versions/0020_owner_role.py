"""Owner role: ignition_owner owns the schema; every table keeps row-level security.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-22

- Roles ``ignition_owner`` (owns the schema's objects, so SECURITY DEFINER functions run as a
  role that is neither superuser nor BYPASSRLS) and ``ignition_service`` (service work: a
  deployment grants it to the service login; revision 0021 gives it its rights) are created
  NOLOGIN if missing. Like 0019, the downgrade never drops roles.
- Every table, view, function and type in schema public (``alembic_version`` included) passes
  to ``ignition_owner``; it may CREATE in public. From here on ``alembic/env.py`` runs each
  revision as ``ignition_owner`` (SET ROLE) when the login may. Default privileges for what it
  creates: DML to ignition_app, SELECT to ignition_readonly, EXECUTE to ignition_app only.
- This revision runs as the login (a superuser): it revokes from PUBLIC the large-object
  functions (``lo_*``, ``loread``, ``lowrite``) and the view of other sessions' queries
  (``pg_stat_activity`` and the functions behind it; ``pg_read_all_stats`` keeps them), which
  would show the session tokens the app sends (revision 0021).
- Row-level security on the reference tables, each with a ``<table>_read`` policy (everyone
  may read; writes are a matter of grants) and on ``verification_tokens`` (no policy yet: the
  app sees none). So every table of public has row-level security, and the event trigger
  ``ensure_row_level_security`` keeps it that way: a new table in public gets row-level security
  at once (closed until its revision adds policies) and ``ALTER TABLE ... DISABLE ROW LEVEL
  SECURITY`` is refused.

Downgrade (it starts with RESET ROLE: env.py ran it as the owner) drops the event trigger and
its function, the read policies and row-level security of those tables, restores PUBLIC's
EXECUTE/SELECT on the catalog functions, and gives every object back to the login.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE_TABLES = (
    "achievement_definitions",
    "daw_shortcuts",
    "db_metadata",
    "entitlements",
    "glossary_terms",
    "ignition_packs",
    "learn_drills",
    "learn_lessons",
    "learn_topics",
    "market_items",
    "onboarding_flows",
    "onboarding_steps",
    "recipe_templates",
    "role_entitlements",
    "roles",
    "skill_definitions",
    "universal_quests",
)

# The large-object functions PUBLIC may call (lo_import/lo_export never were PUBLIC's).
LARGE_OBJECT_FUNCTIONS = (
    "lo_close(integer)",
    "lo_creat(integer)",
    "lo_create(oid)",
    "lo_from_bytea(oid, bytea)",
    "lo_get(oid)",
    "lo_get(oid, bigint, integer)",
    "lo_lseek(integer, integer, integer)",
    "lo_lseek64(integer, bigint, integer)",
    "lo_open(oid, integer)",
    "lo_put(oid, bigint, bytea)",
    "lo_tell(integer)",
    "lo_tell64(integer)",
    "lo_truncate(integer, integer)",
    "lo_truncate64(integer, bigint)",
    "lo_unlink(oid)",
    "loread(integer, integer)",
    "lowrite(integer, bytea)",
)
SESSION_ACTIVITY_FUNCTIONS = (
    "pg_stat_get_activity(integer)",
    "pg_stat_get_backend_activity(integer)",
)


def upgrade() -> None:
    op.execute("""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ignition_owner') THEN
        CREATE ROLE ignition_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ignition_service') THEN
        CREATE ROLE ignition_service NOLOGIN;
    END IF;
END
$$""")
    op.execute("""
CREATE FUNCTION ensure_row_level_security() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
    v_table record;
BEGIN
    FOR v_table IN
        SELECT c.objid::regclass AS name, c.command_tag, r.relrowsecurity
        FROM pg_event_trigger_ddl_commands() c
        JOIN pg_class r ON r.oid = c.objid
        WHERE c.object_type IN ('table', 'partitioned table') AND c.schema_name = 'public'
          AND r.relname <> 'alembic_version'
    LOOP
        CONTINUE WHEN v_table.relrowsecurity;
        IF v_table.command_tag = 'ALTER TABLE' THEN
            RAISE EXCEPTION 'table % in schema public must keep row-level security', v_table.name
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Every table in public has row-level security; give it policies instead.';
        END IF;
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_table.name);
    END LOOP;
END;
$$""")
    op.execute("REVOKE EXECUTE ON FUNCTION ensure_row_level_security() FROM ignition_app")
    # Everything in public passes to the owner role (indexes and owned sequences follow their
    # table; objects of extensions stay where they are).
    op.execute("""
DO $$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT format('ALTER TABLE %s OWNER TO ignition_owner', c.oid::regclass) AS ddl
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND c.relowner <> 'ignition_owner'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
        UNION ALL
        SELECT format('ALTER SEQUENCE %s OWNER TO ignition_owner', c.oid::regclass)
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
          AND c.relowner <> 'ignition_owner'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO ignition_owner', p.oid::regprocedure)
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND p.proowner <> 'ignition_owner'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
        UNION ALL
        SELECT format('ALTER TYPE %s OWNER TO ignition_owner', t.oid::regtype)
        FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r')
          AND t.typowner <> 'ignition_owner'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE v_object.ddl;
    END LOOP;
END
$$""")
    op.execute("GRANT USAGE, CREATE ON SCHEMA public TO ignition_owner")
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ignition_app"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "GRANT SELECT ON TABLES TO ignition_readonly"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "GRANT EXECUTE ON FUNCTIONS TO ignition_app"
    )
    for function in LARGE_OBJECT_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC")
    for function in SESSION_ACTIVITY_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO pg_read_all_stats")
    op.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC")
    op.execute("GRANT SELECT ON pg_catalog.pg_stat_activity TO pg_read_all_stats")
    for table in REFERENCE_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_read ON {table} AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)"
        )
    op.execute("ALTER TABLE verification_tokens ENABLE ROW LEVEL SECURITY")
    op.execute("""
CREATE EVENT TRIGGER ensure_row_level_security ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
    EXECUTE FUNCTION ensure_row_level_security()""")


def downgrade() -> None:
    op.execute("RESET ROLE")
    op.execute("DROP EVENT TRIGGER ensure_row_level_security")
    op.execute("DROP FUNCTION ensure_row_level_security()")
    op.execute("ALTER TABLE verification_tokens DISABLE ROW LEVEL SECURITY")
    for table in reversed(REFERENCE_TABLES):
        op.execute(f"DROP POLICY {table}_read ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM pg_read_all_stats")
    op.execute("GRANT SELECT ON pg_catalog.pg_stat_activity TO PUBLIC")
    for function in SESSION_ACTIVITY_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM pg_read_all_stats")
        op.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO PUBLIC")
    for function in LARGE_OBJECT_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO PUBLIC")
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "REVOKE EXECUTE ON FUNCTIONS FROM ignition_app"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "REVOKE SELECT ON TABLES FROM ignition_readonly"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE ignition_owner IN SCHEMA public "
        "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ignition_app"
    )
    op.execute("REVOKE USAGE, CREATE ON SCHEMA public FROM ignition_owner")
    # Back to the login that runs the downgrade (the one that ran the revisions before).
    op.execute("""
DO $$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, session_user) AS ddl
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND c.relowner = 'ignition_owner'::regrole
        UNION ALL
        SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, session_user)
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
          AND c.relowner = 'ignition_owner'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, session_user)
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = 'ignition_owner'::regrole
        UNION ALL
        SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, session_user)
        FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r')
          AND t.typowner = 'ignition_owner'::regrole
    LOOP
        EXECUTE v_object.ddl;
    END LOOP;
END
$$""")
