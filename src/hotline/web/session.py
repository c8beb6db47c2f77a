"""Web sessions: sign-in with a password, the principal of a page, CSRF tokens, the page language."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from hotline.accounts import policy
from hotline.accounts import service as accounts_service
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.errors import Unauthenticated
from hotline.http.clients import client_address
from hotline.http.deps import DbSession


class LoginRequired(Exception):
    """The page needs a signed-in user: the app answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    """Signed in, but this page or form is not for this role (or the CSRF token is wrong)."""


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> FormData:
    """The submitted form, once its CSRF token (field `csrf` or header X-CSRF-Token) matches the session's."""
    form = await request.form()
    sent = request.headers.get("X-CSRF-Token") or form.get("csrf")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise Forbidden("csrf")
    return form


Form = Annotated[FormData, Depends(check_csrf)]


def current(request: Request, db: DbSession) -> Principal:
    """The signed-in user of a page. The cookie holds only a random session id; the session itself
    lives in the database, so signing out, a password change or deactivation ends it everywhere, and
    it ends by itself after HOTLINE_SESSION_IDLE_MINUTES without a request."""
    sid = request.session.get("sid")
    user = accounts_service.resolve_session(db, sid=sid) if isinstance(sid, str) else None
    if user is None:
        request.session.clear()
        raise LoginRequired(str(request.url.path))
    return accounts_service.principal_for(user)


Staff = Annotated[Principal, Depends(current)]


def need(principal: Principal, permission: Permission) -> None:
    """Refuse the page (403) unless the signed-in user has this permission (accounts.policy)."""
    if not policy.may(principal, permission):
        raise Forbidden("role")


def sign_in(request: Request, db: DbSession, username: str, password: str) -> Principal:
    client = client_address(request.scope)
    try:
        user = accounts_service.authenticate(db, username=username, password=password, client=client)
    except Unauthenticated:
        db.commit()  # the failure count stands although the sign-in fails
        raise
    sign_out(request, db)  # signing in again ends the session this browser had: a new one follows
    request.session["sid"] = accounts_service.open_session(db, user=user, client=client)
    csrf_token(request)
    return accounts_service.principal_for(user)


def sign_out(request: Request, db: DbSession) -> None:
    sid = request.session.get("sid")
    if isinstance(sid, str):
        accounts_service.close_session(db, sid=sid)
    request.session.clear()


def lang(request: Request) -> str:
    """Simplified Chinese unless English was chosen (the switch in the header, kept in a cookie)."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    return get_settings().default_language


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def take_flashes(request: Request) -> list[dict[str, Any]]:
    return list(request.session.pop("flash", []))
