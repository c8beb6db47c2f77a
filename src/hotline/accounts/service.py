"""Users, passwords, tokens: create, authenticate, resolve a token to a principal."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.enums import DEPARTMENT_ROLES, Role
from hotline.accounts.models import ApiToken, User
from hotline.accounts.principal import Principal
from hotline.accounts.schemas import UserIn
from hotline.accounts.security import hash_password, new_token, token_digest, verify_password
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from hotline.org import service as org_service

log = logging.getLogger(__name__)


def create_user(session: Session, *, data: UserIn) -> User:
    """Create a user; department roles must name their department."""
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("username_taken", username=data.username)
    if data.role in (Role.system, Role.citizen):
        raise InvalidInput("role_not_assignable", role=data.role)
    dept = None
    if data.department_code:
        dept = org_service.get_department_by_code(session, code=data.department_code)
    if data.role in DEPARTMENT_ROLES and dept is None:
        raise InvalidInput("department_required", role=data.role)
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


def authenticate(session: Session, *, username: str, password: str) -> User:
    """Return the active user with these credentials, or raise Unauthenticated."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise Unauthenticated("bad_credentials")
    return user


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
