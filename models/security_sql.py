"""Who is acting (revision 0019): the settings row-level security and the money functions read.

- ``app_user_id()``: the acting user, ``SET LOCAL app.user_id = '<uuid>'`` per transaction
  (``models.security`` does it for a SQLAlchemy session). Unset: NULL, which matches no row.
- ``app_is_service()``: ``SET LOCAL app.service_context = 'on'``, set explicitly by service
  code that acts for any user (sign-up, admin tools, jobs).
- ``app_may_act_for(uuid)``: what the SECURITY DEFINER functions check first.
"""

from __future__ import annotations

from sqlalchemy_declarative_extensions.dialects.postgresql import FunctionVolatility

from models.sql import declare_function

APP_USER_ID = declare_function(
    "app_user_id",
    "SELECT NULLIF(current_setting('app.user_id', true), '')::uuid",
    returns="uuid",
    language="sql",
    volatility=FunctionVolatility.STABLE,
)

APP_IS_SERVICE = declare_function(
    "app_is_service",
    "SELECT COALESCE(current_setting('app.service_context', true), '') = 'on'",
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
