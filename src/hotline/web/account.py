"""The console's account pages: one's password and tokens (我的账号), and an administrator's actions on
users (deactivate, reactivate, set a password, end every session and token) — over the same
accounts services as the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.accounts import service as accounts_service
from hotline.accounts.policy import Permission
from hotline.errors import DomainError
from hotline.http.deps import DbSession, forget_principals
from hotline.i18n import translate
from hotline.web.render import page
from hotline.web.session import Form, Staff, flash, lang, need

router = APIRouter(prefix="/ui", include_in_schema=False)


def _back(
    request: Request, db: DbSession, url: str, exc: DomainError | None = None, *, zh: str = "", en: str = ""
) -> Response:
    if exc is not None:
        db.rollback()
        flash(request, translate(exc.message_key, lang(request), **exc.params), "error")
    else:
        flash(request, en if lang(request) == "en" else zh)
    return RedirectResponse(url, status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    assert me.user_id is not None
    return page(
        request,
        "account.html",
        me,
        user=accounts_service.get_user(db, user_id=me.user_id),
        tokens=accounts_service.list_tokens(db, user_id=me.user_id),
    )


@router.post("/account/password")
def change_password(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    assert me.user_id is not None
    new, again = str(form.get("new_password") or ""), str(form.get("new_password_again") or "")
    if new != again:
        return _back(
            request, db, "/ui/account", zh="两次输入的新密码不一致", en="The two new passwords differ"
        )
    try:
        accounts_service.change_password(
            db, user_id=me.user_id, current=str(form.get("current_password") or ""), new=new
        )
        db.commit()
    except DomainError as exc:
        db.commit()  # a wrong current password counts as a failed sign-in (nothing else was written)
        flash(request, translate(exc.message_key, lang(request), **exc.params), "error")
        return RedirectResponse("/ui/account", status_code=303)
    forget_principals(request.app)
    request.session.clear()  # this session ended with the others
    return _back(
        request,
        db,
        "/ui/login",
        zh="密码已修改，所有设备上的登录均已退出，请用新密码登录",
        en="Password changed: you were signed out everywhere; sign in with the new one",
    )


def _act(request: Request, db: DbSession, url: str, act: Callable[[], tuple[str, str]]) -> Response:
    """Run one account action: committed, then every cached token principal of this process
    forgotten; the outcome flashed in the page's language."""
    try:
        zh, en = act()
        db.commit()
    except DomainError as exc:
        return _back(request, db, url, exc)
    forget_principals(request.app)
    return _back(request, db, url, zh=zh, en=en)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: DbSession, me: Staff, token_id: int, form: Form) -> Response:
    assert me.user_id is not None
    user_id = me.user_id

    def act() -> tuple[str, str]:
        accounts_service.revoke_token_by_id(db, user_id=user_id, token_id=token_id, actor=me)
        return f"令牌 {token_id} 已吊销", f"Token {token_id} revoked"

    return _act(request, db, "/ui/account", act)


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, db: DbSession, me: Staff, user_id: int, form: Form) -> Response:
    need(me, Permission.administer)
    active = form.get("active") == "true"

    def act() -> tuple[str, str]:
        user = accounts_service.set_active(db, user_id=user_id, active=active, actor=me)
        if active:
            return f"用户 {user.username} 已启用", f"User {user.username} activated"
        return (
            f"用户 {user.username} 已停用，其全部登录和令牌已失效",
            f"User {user.username} deactivated: every session and token ended",
        )

    return _act(request, db, "/ui/admin#users", act)


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, db: DbSession, me: Staff, user_id: int, form: Form) -> Response:
    need(me, Permission.administer)

    def act() -> tuple[str, str]:
        user = accounts_service.reset_password(
            db, user_id=user_id, new=str(form.get("new_password") or ""), actor=me
        )
        return (
            f"已重设 {user.username} 的密码，其全部登录和令牌已失效",
            f"Password of {user.username} set: every session and token of theirs ended",
        )

    return _act(request, db, "/ui/admin#users", act)


@router.post("/admin/users/{user_id}/sessions")
def end_sessions(request: Request, db: DbSession, me: Staff, user_id: int, form: Form) -> Response:
    need(me, Permission.administer)

    def act() -> tuple[str, str]:
        user = accounts_service.get_user(db, user_id=user_id)
        n = accounts_service.end_all(db, user_id=user_id, actor_id=me.user_id)
        return (
            f"{user.username} 的 {n} 个登录和令牌已全部失效",
            f"{n} sessions and tokens of {user.username} ended",
        )

    return _act(request, db, "/ui/admin#users", act)
