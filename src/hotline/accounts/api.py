"""HTTP API of authentication and users."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from hotline.accounts import service
from hotline.accounts.schemas import TokenOut, UserIn, UserOut
from hotline.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from hotline.config import get_settings

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/auth/token", response_model=TokenOut)
def login(body: LoginIn, db: DbSession) -> TokenOut:
    """Log in with username and password; returns a bearer token."""
    user = service.authenticate(db, username=body.username, password=body.password)
    secret, row = service.issue_token(db, user=user, ttl=timedelta(hours=get_settings().token_ttl_hours))
    return TokenOut(access_token=secret, expires_at=row.expires_at, user=UserOut.model_validate(user))


@router.get("/me", response_model=UserOut)
def me(db: DbSession, principal: CurrentPrincipal) -> UserOut:
    """Return the logged-in user."""
    assert principal.user_id is not None
    return UserOut.model_validate(service.get_user(db, user_id=principal.user_id))


@router.get("/users", response_model=list[UserOut])
def list_users(db: DbSession, _: AdminPrincipal) -> list[UserOut]:
    """Return every user."""
    return [UserOut.model_validate(u) for u in service.list_users(db)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, db: DbSession, _: AdminPrincipal) -> UserOut:
    """Create a user with a role (and a department for department roles)."""
    return UserOut.model_validate(service.create_user(db, data=body))
