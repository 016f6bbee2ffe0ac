"""Who is acting (revisions 0019, 0021): what row-level security and the money functions read.

- ``app_user_id()``: the acting user, proven by the request's raw session token
  (``SET LOCAL app.session_token = '<token>'`` per transaction; ``models.security`` does it for
  a SQLAlchemy session). SECURITY DEFINER: it hashes the token (SHA-256, as
  ``sessions.token_hash`` stores it) and returns the owner of that unexpired session, else NULL,
  which matches no row. Policies call it plainly, ``user_id = app_user_id()`` (0036: Citus
  refuses the init-plan form ``(SELECT app_user_id())`` that 0021 used).
- ``app_is_service()``: the login (``session_user``: no setting or SET ROLE changes it) is a
  member of ``ignition_service`` or ``ignition_owner``. A superuser is a member of every role.
- ``app_may_act_for(uuid)``: what the SECURITY DEFINER functions check first.
"""

from __future__ import annotations

from sqlalchemy_declarative_extensions.dialects.postgresql import FunctionVolatility

from models.sql import declare_function

APP_USER_ID = declare_function(
    "app_user_id",
    """
BEGIN
    RETURN (SELECT s.user_id FROM sessions s
            WHERE s.token_hash = sha256(convert_to(NULLIF(current_setting('app.session_token', true), ''), 'UTF8'))
              AND s.expires_at > now());
END;
""",
    returns="uuid",
    security_definer=True,
    volatility=FunctionVolatility.STABLE,
)

APP_IS_SERVICE = declare_function(
    "app_is_service",
    "SELECT pg_has_role(session_user, 'ignition_service', 'MEMBER') "
    "OR pg_has_role(session_user, 'ignition_owner', 'MEMBER')",
    returns="boolean",
    language="sql",
    volatility=FunctionVolatility.STABLE,
)

APP_MAY_ACT_FOR = declare_function(
    "app_may_act_for",
    "SELECT app_is_service() OR COALESCE(p_user_id = app_user_id(), false)",
    returns="boolean",
    parameters=("p_user_id uuid",),
    language="sql",
    volatility=FunctionVolatility.STABLE,
)

# Revision 0020: the event trigger of the same name runs it after CREATE/ALTER TABLE.
ENSURE_ROW_LEVEL_SECURITY = declare_function(
    "ensure_row_level_security",
    """
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
""",
    returns="event_trigger",
)
