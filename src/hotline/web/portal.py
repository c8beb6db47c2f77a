"""The citizen portal (市民门户): submit a request with its place, get a number and a tracking code,
follow it, answer the follow-up, ask the knowledge base. No sign-in: the tracking code is the key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.accounts.principal import CITIZEN
from hotline.errors import DomainError, NotFound
from hotline.followup import service as followup
from hotline.http.clients import client_address
from hotline.http.deps import DbSession
from hotline.i18n import translate
from hotline.intake import flows as intake
from hotline.kb import qa
from hotline.org import service as org_service
from hotline.org.enums import AreaLevel
from hotline.org.models import Area
from hotline.publication import service as publication
from hotline.tickets.enums import Channel, RequestType
from hotline.tickets.schemas import CitizenIn, TicketCreate
from hotline.web.render import page
from hotline.web.session import Form, flash, lang
from hotline.web.views import _validation_message

router = APIRouter(prefix="/portal", include_in_schema=False)


def _places(db: DbSession) -> list[Area]:
    levels = [AreaLevel.district, AreaLevel.street, AreaLevel.community]
    return org_service.list_areas(db, active_only=True, levels=levels)


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession) -> HTMLResponse:
    return page(request, "portal_home.html", places=_places(db), request_types=list(RequestType), values={})


@router.post("/submit")
def submit(request: Request, db: DbSession, form: Form) -> Response:
    values = {k: str(v) for k, v in form.items() if k != "csrf"}
    try:
        data = TicketCreate(
            channel=Channel.web,
            title=values.get("title", "").strip() or None,
            content=values.get("content", ""),
            request_type=RequestType(values["request_type"]) if values.get("request_type") else None,
            citizen=CitizenIn(
                name=values.get("name", "").strip() or None, phone=values.get("phone", "").strip() or None
            ),
            address=values.get("address", "").strip() or None,
            area_code=values.get("area_code") or None,
            public=values.get("public") == "true",
        )
        ticket, _ = intake.register(
            db,
            data=data,
            principal=CITIZEN,
            idempotency_key=values.get("key") or None,
            client=client_address(request.scope),
        )
    except (ValidationError, ValueError) as exc:
        flash(request, _validation_message(exc, lang(request)), "error")
        return page(
            request,
            "portal_home.html",
            status=422,
            places=_places(db),
            request_types=list(RequestType),
            values=values,
        )
    except DomainError as exc:
        db.rollback()
        flash(request, translate(exc.message_key, lang(request), **exc.params), "error")
        return page(
            request,
            "portal_home.html",
            status=422,
            places=_places(db),
            request_types=list(RequestType),
            values=values,
        )
    return page(request, "portal_receipt.html", ticket=ticket)


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> Response:
    """The tracking form is on the home page; codes are never taken from the URL."""
    return RedirectResponse("/portal#track", status_code=303)


@router.post("/track", response_class=HTMLResponse)
def track(request: Request, db: DbSession, form: Form) -> Response:
    """Progress of a request, for whoever holds its number and tracking code (sent in the form, so
    the code never lands in an access log or the browser's history)."""
    number, code = str(form.get("number") or "").strip(), str(form.get("code") or "").strip()
    try:
        if not number or not code:
            raise NotFound("ticket_not_found", id=number)
        ticket = publication.get_public_ticket(db, number=number, tracking_code=code)
    except NotFound:
        flash(
            request,
            "未找到该工单，请核对工单号和查询码"
            if lang(request) == "zh"
            else "No such request: check the number and code",
            "error",
        )
        return page(
            request,
            "portal_home.html",
            status=404,
            places=_places(db),
            request_types=list(RequestType),
            values={},
        )
    shown, title, reply = publication.public_progress(db, ticket)
    task = followup.open_survey(db, ticket_id=ticket.id)
    return page(
        request,
        "portal_track.html",
        ticket=ticket,
        title=title,
        shown=shown,
        reply=reply,
        survey=task,
    )


@router.get("/ask", response_class=HTMLResponse)
def ask(request: Request, db: DbSession, q: str = "") -> HTMLResponse:
    answer = qa.answer(db, q.strip()[:500], use_llm=False) if q.strip() else None
    return page(request, "portal_ask.html", q=q, answer=answer)
