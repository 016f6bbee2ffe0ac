"""Revision 0001 in use: constraints, the updated_at trigger, cleanup functions and views."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from models.auth import Account, Role, Session, User, UserEmail, UserRole
from models.auth_sql import UserSessionCount, UserWithRoles


def add_user(orm: OrmSession, email: str = "ada@example.org") -> User:
    user = User(email=email, name="Ada")
    orm.add(user)
    orm.flush()
    return user


def sign_up(orm: OrmSession, email: str) -> User:
    """What sign-up does since revision 0025 (service work): users and user_emails together."""
    user = add_user(orm, email)
    orm.add(UserEmail(email_lower=email.lower(), user_id=user.id))
    orm.flush()
    return user


def test_email_is_unique_regardless_of_case(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        sign_up(orm, "Ada@Example.org")
        orm.commit()
        with pytest.raises(IntegrityError, match="user_emails_pkey"):
            sign_up(orm, "ada@example.ORG")
        orm.rollback()
        assert orm.scalar(text("SELECT count(*) FROM users")) == 1


def test_user_emails_holds_lower_case_only(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        user = add_user(orm, "Ada@Example.org")
        orm.add(UserEmail(email_lower="Ada@Example.org", user_id=user.id))
        with pytest.raises(IntegrityError, match="user_emails_lowercase_check"):
            orm.flush()


def test_defaults_come_from_the_server(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        user = add_user(orm)
        orm.commit()
        orm.refresh(user)
        assert isinstance(user.id, uuid.UUID)
        assert (user.role, user.approved, user.tos_accepted) == ("user", True, False)
        assert user.created_at.tzinfo is not None


def test_updated_at_trigger_moves_on_update(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        user = add_user(orm)
        orm.commit()
        first = user.updated_at
        time.sleep(0.01)
        user.name = "Ada L."
        orm.commit()
        orm.refresh(user)
        assert user.updated_at > first


def test_deleting_a_user_cascades_to_accounts_and_sessions(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        user = add_user(orm)
        orm.add(Account(user_id=user.id, type="oauth", provider="github", provider_account_id="1"))
        orm.add(
            Session(
                user_id=user.id, token_hash=b"h" * 32, expires_at=text("now() + interval '1 day'")
            )
        )
        orm.commit()
        # accounts and sessions have no foreign key to users (Citus): delete_user() deletes them
        assert orm.scalar(text("SELECT delete_user(:id)"), {"id": user.id}) is True
        orm.commit()
        assert orm.scalar(text("SELECT count(*) FROM users")) == 0
        assert orm.scalar(text("SELECT count(*) FROM accounts")) == 0
        assert orm.scalar(text("SELECT count(*) FROM sessions")) == 0


def test_session_cannot_expire_before_it_is_created(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        user = add_user(orm)
        orm.add(
            Session(user_id=user.id, token_hash=b"x", expires_at=text("now() - interval '1 hour'"))
        )
        with pytest.raises(IntegrityError, match="sessions_expires_after_created_check"):
            orm.flush()


def test_cleanup_functions_remove_only_expired_rows(head_engine: Engine) -> None:
    with head_engine.begin() as connection:
        user_id = connection.execute(
            text("INSERT INTO users (email) VALUES ('a@b.c') RETURNING id")
        ).scalar_one()
        for token, offset in (("old", "-1 hour"), ("new", "+1 hour")):
            connection.execute(
                text(
                    "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) "
                    "VALUES (:u, :h, now() - interval '2 hours', now() + CAST(:o AS interval))"
                ),
                {"u": user_id, "h": hashlib.sha256(token.encode()).digest(), "o": offset},
            )
            connection.execute(
                text(
                    "INSERT INTO verification_tokens (identifier, token_hash, expires_at) "
                    "VALUES ('a@b.c', :h, now() + CAST(:o AS interval))"
                ),
                {"h": hashlib.sha256(token.encode()).digest(), "o": offset},
            )
    with head_engine.begin() as connection:
        assert connection.execute(text("SELECT cleanup_expired_sessions()")).scalar_one() == 1
        assert (
            connection.execute(text("SELECT cleanup_expired_verification_tokens()")).scalar_one()
            == 1
        )
        assert connection.execute(text("SELECT cleanup_expired_sessions()")).scalar_one() == 0
        remaining = (
            connection.execute(text("SELECT token_hash FROM verification_tokens")).scalars().all()
        )
    assert [bytes(h) for h in remaining] == [hashlib.sha256(b"new").digest()]


def test_views_report_roles_and_session_counts(head_engine: Engine) -> None:
    with OrmSession(head_engine) as orm:
        ada = add_user(orm, "ada@example.org")
        bob = add_user(orm, "bob@example.org")
        admin = Role(key="admin", name="Administrator")
        editor = Role(key="editor", name="Editor")
        orm.add_all([admin, editor])
        orm.flush()
        orm.add_all(
            [
                UserRole(user_id=ada.id, role_id=editor.id),
                UserRole(user_id=ada.id, role_id=admin.id),
            ]
        )
        orm.add(
            Session(user_id=ada.id, token_hash=b"1", expires_at=text("now() + interval '1 day'"))
        )
        orm.add(
            Session(
                user_id=ada.id,
                token_hash=b"2",
                created_at=text("now() - interval '2 days'"),
                expires_at=text("now() - interval '1 day'"),
            )
        )
        orm.commit()

        roles = {
            email: list(r)
            for email, r in orm.execute(select(UserWithRoles.email, UserWithRoles.roles))
        }
        assert roles == {"ada@example.org": ["admin", "editor"], "bob@example.org": []}

        counts = {
            row.user_id: (row.active_sessions, row.total_sessions)
            for row in orm.scalars(select(UserSessionCount))
        }
        assert counts == {ada.id: (1, 2)}
        assert bob.id not in counts  # a user without sessions has no row (revision 0031)
        assert sorted(r.key for r in orm.get_one(User, ada.id).roles) == ["admin", "editor"]
