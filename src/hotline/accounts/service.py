"""Users, passwords, tokens: create, authenticate, resolve a token to a principal."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.enums import AccountEventKind, Role
from hotline.accounts.models import AccountEvent, ApiToken, User, WebSession
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.accounts.schemas import UserIn
from hotline.accounts.security import (
    check_password_policy,
    hash_password,
    new_token,
    token_digest,
    verify_dummy,
    verify_password,
)
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from hotline.org import service as org_service

log = logging.getLogger(__name__)


def create_user(session: Session, *, data: UserIn) -> User:
    """Create a user; department roles must name their department."""
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("username_taken", username=data.username)
    if data.role not in policy.PEOPLE:
        raise InvalidInput("role_not_assignable", role=data.role)
    dept = None
    if data.department_code:
        dept = org_service.get_department_by_code(session, code=data.department_code)
    if data.role in policy.DEPARTMENT and dept is None:
        raise InvalidInput("department_required", role=data.role)
    check_password_policy(data.password, username=data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role,
        department=dept,
    )
    session.add(user)
    session.flush()
    log.info("user created: %s (%s)", user.username, user.role)
    return user


def get_user(session: Session, *, user_id: int) -> User:
    """Return a user or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", id=user_id)
    return user


def list_users(session: Session) -> list[User]:
    """Return every user."""
    return list(session.scalars(select(User).order_by(User.username)))


def record(
    session: Session,
    *,
    kind: AccountEventKind,
    user_id: int | None,
    actor_id: int | None = None,
    client: str | None = None,
    now: datetime | None = None,
    **data: Any,
) -> None:
    """Append an account event (the audit trail of accounts)."""
    session.add(
        AccountEvent(
            at=now or utcnow(), user_id=user_id, actor_id=actor_id, kind=kind, client=client, data=data
        )
    )
    session.flush()


def authenticate(
    session: Session, *, username: str, password: str, client: str | None = None, now: datetime | None = None
) -> User:
    """Return the active user with these credentials, or raise Unauthenticated. A wrong password is
    counted on the account (flushed: the caller commits it even though it raises); at
    login_max_failures in a row the account is locked for login_lockout_minutes. An unknown username
    costs the same password verification as a known one, so timing does not tell them apart."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_dummy(password)
        raise Unauthenticated("bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        # the same answer as a wrong password: a locked account tells nobody that the name exists
        verify_dummy(password)
        raise Unauthenticated("bad_credentials")
    if not verify_password(user.password_hash, password) or not user.active:
        if user.active:
            count_failure(session, user=user, client=client, now=now)
        raise Unauthenticated("bad_credentials")
    if user.failed_logins or user.locked_until is not None:
        _clear_lock(user)
        session.flush()
    return user


def _clear_lock(user: User) -> None:
    """Forget the account's failed passwords and lift its lock."""
    user.failed_logins = 0
    user.locked_until = None


def count_failure(
    session: Session, *, user: User, client: str | None = None, now: datetime | None = None
) -> None:
    """Count one wrong password on the account (one UPDATE, so parallel tries all count); lock it at
    login_max_failures. Flushed only: the caller commits it, although its request fails."""
    now = now or utcnow()
    s = get_settings()
    failures = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    record(session, kind=AccountEventKind.login_failed, user_id=user.id, client=client, now=now)
    if failures >= s.login_max_failures:
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=0, locked_until=now + timedelta(minutes=s.login_lockout_minutes))
            .execution_options(synchronize_session=False)
        )
        record(session, kind=AccountEventKind.locked, user_id=user.id, client=client, now=now)
    session.flush()
    session.refresh(user)


def change_password(
    session: Session, *, user_id: int, current: str, new: str, now: datetime | None = None
) -> User:
    """Change one's own password (the current one is asked for); every token and session of the user
    ends, so a stolen one stops working."""
    user = get_user(session, user_id=user_id)
    if not verify_password(user.password_hash, current):
        # a stolen session must not become a way to guess the password: counted as a failed sign-in
        count_failure(session, user=user, now=now)
        raise InvalidInput("current_password_wrong")
    return _set_password(
        session, user=user, new=new, actor_id=user.id, kind=AccountEventKind.password_changed, now=now
    )


def reset_password(
    session: Session, *, user_id: int, new: str, actor: Principal, now: datetime | None = None
) -> User:
    """An administrator sets another user's password (and ends their tokens and sessions)."""
    _admin_only(actor)
    user = get_user(session, user_id=user_id)
    return _set_password(
        session, user=user, new=new, actor_id=actor.user_id, kind=AccountEventKind.password_reset, now=now
    )


def _set_password(
    session: Session,
    *,
    user: User,
    new: str,
    actor_id: int | None,
    kind: AccountEventKind,
    now: datetime | None,
) -> User:
    now = now or utcnow()
    check_password_policy(new, username=user.username)
    if verify_password(user.password_hash, new):
        raise InvalidInput("password_unchanged")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    _clear_lock(user)
    record(session, kind=kind, user_id=user.id, actor_id=actor_id, now=now)
    end_all(session, user_id=user.id, actor_id=actor_id, now=now)
    return user


def set_active(
    session: Session, *, user_id: int, active: bool, actor: Principal, now: datetime | None = None
) -> User:
    """(De)activate a user; deactivation ends every token and session of theirs."""
    _admin_only(actor)
    if active is False and user_id == actor.user_id:
        raise InvalidInput("cannot_deactivate_self")
    user = get_user(session, user_id=user_id)
    user.active = active
    if active:
        _clear_lock(user)
    kind = AccountEventKind.activated if active else AccountEventKind.deactivated
    record(session, kind=kind, user_id=user.id, actor_id=actor.user_id, now=now)
    if not active:
        end_all(session, user_id=user.id, actor_id=actor.user_id, now=now)
    session.flush()
    return user


def _admin_only(actor: Principal) -> None:
    policy.check(actor, Permission.administer)


def end_all(
    session: Session, *, user_id: int, actor_id: int | None = None, now: datetime | None = None
) -> int:
    """Revoke every API token and console session of a user; return how many were open."""
    now = now or utcnow()
    tokens = session.execute(  # type: ignore[attr-defined]  # an UPDATE's result has its rowcount
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False)).values(revoked=True)
    ).rowcount
    sessions = session.execute(  # type: ignore[attr-defined]
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    record(
        session,
        kind=AccountEventKind.sessions_revoked,
        user_id=user_id,
        actor_id=actor_id,
        now=now,
        tokens=tokens,
        sessions=sessions,
    )
    return int(tokens or 0) + int(sessions or 0)


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first (their secrets are never stored)."""
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
    )


def revoke_token_by_id(session: Session, *, user_id: int, token_id: int, actor: Principal) -> ApiToken:
    """Revoke one token of a user (the user themself, or an administrator)."""
    if actor.user_id != user_id:
        _admin_only(actor)
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("token_not_found", id=token_id)
    row.revoked = True
    record(
        session,
        kind=AccountEventKind.token_revoked,
        user_id=user_id,
        actor_id=actor.user_id,
        token_id=token_id,
    )
    return row


def list_account_events(
    session: Session, *, user_id: int | None = None, limit: int = 200
) -> list[AccountEvent]:
    """The accounts' audit trail, newest first."""
    stmt = select(AccountEvent).order_by(AccountEvent.id.desc()).limit(limit)
    if user_id is not None:
        stmt = stmt.where(AccountEvent.user_id == user_id)
    return list(session.scalars(stmt))


# -- console sessions (the cookie holds a random id; this is what it means) ----------------------------
def open_session(
    session: Session, *, user: User, client: str | None = None, now: datetime | None = None
) -> str:
    """Start a console session; return its id (for the cookie, never stored)."""
    now = now or utcnow()
    sid = new_token()
    session.add(
        WebSession(
            digest=token_digest(sid),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=get_settings().token_ttl_hours),
            client=(client or "")[:64] or None,
        )
    )
    session.flush()
    return sid


def resolve_session(session: Session, *, sid: str, now: datetime | None = None) -> User | None:
    """The user of a live console session, or None (revoked, expired, idle too long, user inactive);
    a live one is marked seen (at most once a minute)."""
    now = now or utcnow()
    row = session.scalar(select(WebSession).where(WebSession.digest == token_digest(sid)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=get_settings().session_idle_minutes):
        row.revoked_at = now
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        session.flush()
    return user


def close_session(session: Session, *, sid: str, now: datetime | None = None) -> None:
    """End a console session (sign-out)."""
    session.execute(
        update(WebSession)
        .where(WebSession.digest == token_digest(sid), WebSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def issue_token(
    session: Session, *, user: User, ttl: timedelta | None, name: str = "login", now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a bearer token for a user; return the secret (shown once) and its row."""
    secret = new_token()
    now = now or utcnow()
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=now + ttl if ttl else None,
    )
    session.add(row)
    session.flush()
    return secret, row


def revoke_token(session: Session, *, token: str) -> None:
    """Revoke a token (logout)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is not None:
        row.revoked = True
        session.flush()


def principal_for(user: User) -> Principal:
    """Return the principal a user acts as."""
    area_path = None
    if user.role == Role.area_center and user.department is not None:
        area_path = user.department.area.path
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        department_id=user.department_id,
        area_path=area_path,
        name=user.display_name,
    )


def principal_from_token(session: Session, *, token: str, now: datetime | None = None) -> Principal:
    """Resolve a bearer token to its principal, or raise Unauthenticated."""
    return resolve_token(session, token=token, now=now)[0]


def resolve_token(
    session: Session, *, token: str, now: datetime | None = None
) -> tuple[Principal, datetime | None]:
    """Resolve a bearer token to its principal and the token's expiry, or raise Unauthenticated (one
    query: this runs on API requests)."""
    found = session.execute(
        select(User, ApiToken.revoked, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token))
    ).first()
    now = now or utcnow()
    if found is None:
        raise Unauthenticated("bad_token")
    user, revoked, expires_at = found
    if revoked or (expires_at is not None and expires_at <= now) or not user.active:
        raise Unauthenticated("bad_token")
    return principal_for(user), expires_at
