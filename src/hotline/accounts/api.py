"""HTTP API of authentication, users, passwords and tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, status

from hotline.accounts import service
from hotline.accounts.schemas import (
    AccountEventOut,
    ActiveIn,
    ApiTokenOut,
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    TokenOut,
    UserIn,
    UserOut,
)
from hotline.config import get_settings
from hotline.errors import InvalidInput, Unauthenticated
from hotline.http.clients import client_address
from hotline.http.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    DbSession,
    LogPageSize,
    forget_principals,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=TokenOut)
def login(body: LoginIn, db: DbSession, request: Request) -> TokenOut:
    """Log in with username and password; returns a bearer token. Wrong passwords are counted on the
    account, which is locked for a while after too many."""
    try:
        user = service.authenticate(
            db, username=body.username, password=body.password, client=client_address(request.scope)
        )
    except Unauthenticated:
        db.commit()  # the failure count stands although the request fails
        raise
    secret, row = service.issue_token(db, user=user, ttl=timedelta(hours=get_settings().token_ttl_hours))
    return TokenOut(access_token=secret, expires_at=row.expires_at, user=UserOut.model_validate(user))


@router.get("/me", response_model=UserOut)
def me(db: DbSession, principal: CurrentPrincipal) -> UserOut:
    """Return the logged-in user."""
    assert principal.user_id is not None
    return UserOut.model_validate(service.get_user(db, user_id=principal.user_id))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChangeIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> None:
    """Change one's password; every token and console session of the user ends (sign in again)."""
    assert principal.user_id is not None
    try:
        service.change_password(
            db, user_id=principal.user_id, current=body.current_password, new=body.new_password
        )
    except InvalidInput:
        db.commit()  # a wrong current password counts as a failed sign-in (nothing else was written)
        raise
    db.commit()  # revoked before any process forgets, so none can remember the old tokens again
    forget_principals(request.app)


@router.get("/me/tokens", response_model=list[ApiTokenOut])
def my_tokens(db: DbSession, principal: CurrentPrincipal) -> list[ApiTokenOut]:
    """One's API tokens (sign-ins and integrations), newest first."""
    assert principal.user_id is not None
    return [ApiTokenOut.model_validate(t) for t in service.list_tokens(db, user_id=principal.user_id)]


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_my_token(token_id: int, db: DbSession, principal: CurrentPrincipal, request: Request) -> None:
    """Revoke one of one's tokens."""
    assert principal.user_id is not None
    service.revoke_token_by_id(db, user_id=principal.user_id, token_id=token_id, actor=principal)
    db.commit()
    forget_principals(request.app)


@router.get("/users", response_model=list[UserOut])
def list_users(db: DbSession, _: AdminPrincipal) -> list[UserOut]:
    """Return every user."""
    return [UserOut.model_validate(u) for u in service.list_users(db)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, db: DbSession, _: AdminPrincipal) -> UserOut:
    """Create a user with a role (and a department for department roles)."""
    return UserOut.model_validate(service.create_user(db, data=body))


@router.post("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(
    user_id: int, body: PasswordResetIn, db: DbSession, admin: AdminPrincipal, request: Request
) -> None:
    """Set another user's password (administrators); their tokens and sessions end."""
    service.reset_password(db, user_id=user_id, new=body.new_password, actor=admin)
    db.commit()
    forget_principals(request.app)


@router.post("/users/{user_id}/active", response_model=UserOut)
def set_active(
    user_id: int, body: ActiveIn, db: DbSession, admin: AdminPrincipal, request: Request
) -> UserOut:
    """Deactivate (every token and session ends) or reactivate a user."""
    user = service.set_active(db, user_id=user_id, active=body.active, actor=admin)
    db.commit()
    forget_principals(request.app)
    return UserOut.model_validate(user)


@router.get("/users/{user_id}/tokens", response_model=list[ApiTokenOut])
def user_tokens(user_id: int, db: DbSession, _: AdminPrincipal) -> list[ApiTokenOut]:
    """A user's API tokens (administrators)."""
    service.get_user(db, user_id=user_id)
    return [ApiTokenOut.model_validate(t) for t in service.list_tokens(db, user_id=user_id)]


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_user_token(
    user_id: int, token_id: int, db: DbSession, admin: AdminPrincipal, request: Request
) -> None:
    """Revoke a user's token (administrators)."""
    service.revoke_token_by_id(db, user_id=user_id, token_id=token_id, actor=admin)
    db.commit()
    forget_principals(request.app)


@router.get("/audit/accounts", response_model=list[AccountEventOut])
def account_events(
    db: DbSession,
    _: AdminPrincipal,
    user_id: int | None = None,
    limit: LogPageSize = 200,
) -> list[AccountEventOut]:
    """The accounts' audit trail (failed sign-ins, lock-outs, password changes, revocations)."""
    return [
        AccountEventOut.model_validate(e)
        for e in service.list_account_events(db, user_id=user_id, limit=limit)
    ]
