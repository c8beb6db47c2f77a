"""Mounting the web console and the portal on the API application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from hotline.config import get_settings
from hotline.errors import DomainError
from hotline.i18n import translate
from hotline.web import account, admin, matters, portal, screening, survey, views
from hotline.web.render import page
from hotline.web.session import Forbidden, LoginRequired, lang


def install(app: FastAPI) -> None:
    s = get_settings()
    app.add_middleware(
        SessionMiddleware,
        secret_key=s.secret_key,
        session_cookie="hotline_session",
        max_age=s.token_ttl_hours * 3600,
        same_site="lax",
        https_only=s.environment == "production",
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(views.router)
    app.include_router(admin.router)
    app.include_router(matters.router)
    app.include_router(account.router)
    app.include_router(screening.router)
    app.include_router(portal.router)
    app.include_router(survey.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/ui/login"})
        return RedirectResponse(f"/ui/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        msg = "表单已过期，请刷新页面后重试" if str(exc) == "csrf" else "您的角色无权访问此页面"
        if lang(request) == "en":
            msg = (
                "The form expired: reload the page"
                if str(exc) == "csrf"
                else "Your role may not open this page"
            )
        return page(request, "error.html", status=403, message=msg)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal", status_code=303)


def domain_error_page(request: Request, exc: DomainError, status: int) -> HTMLResponse:
    return page(
        request, "error.html", status=status, message=translate(exc.message_key, lang(request), **exc.params)
    )
