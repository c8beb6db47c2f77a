"""The console's screening pages: the review queue (emergencies waiting first, then flags to confirm or
dismiss, and each kind's share of the month's requests), over screening.service like the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.accounts.policy import Permission
from hotline.db import utcnow
from hotline.errors import DomainError
from hotline.http.deps import DbSession
from hotline.i18n import translate
from hotline.nlp import registry
from hotline.screening import model as screening_model
from hotline.screening import service
from hotline.web.render import page
from hotline.web.session import Form, Staff, flash, lang, need

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/screening", response_class=HTMLResponse)
def queue(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.review_screening)
    now = utcnow()
    active = registry.active_version(db, kind=screening_model.KIND)
    return page(
        request,
        "screening.html",
        me,
        emergencies=service.unhandled_emergencies(db),
        rows=service.pending_flags(db, limit=100),
        rates=service.flag_rates(db, start=now - timedelta(days=30), end=now),
        serving=f"v{active.version}" if active else translate("screening_model_packaged", lang(request)),
        next_url="/ui/screening",
    )


@router.post("/screening/flags/{flag_id}")
def review(request: Request, db: DbSession, me: Staff, flag_id: int, form: Form) -> Response:
    need(me, Permission.review_screening)
    back = str(form.get("next") or "/ui/screening")
    if not back.startswith("/ui/"):
        back = "/ui/screening"
    comment = str(form.get("comment") or "").strip() or None
    try:
        flag = service.review(
            db, flag_id=flag_id, confirm=form.get("confirm") == "1", comment=comment, principal=me
        )
        db.commit()
        zh, en = ("已确认", "Confirmed") if flag.status == "confirmed" else ("已排除", "Dismissed")
        flash(request, en if lang(request) == "en" else zh)
    except DomainError as exc:
        db.rollback()
        flash(request, translate(exc.message_key, lang(request), **exc.params), "error")
    return RedirectResponse(back, status_code=303)
