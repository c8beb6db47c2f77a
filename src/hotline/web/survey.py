"""The follow-up survey page a citizen opens from the SMS link (/s/<token>): the request, the reply,
and two questions. The token in the link is the key: no sign-in, no session needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from hotline.accounts.principal import CITIZEN
from hotline.errors import Conflict, NotFound
from hotline.followup import service
from hotline.http.deps import DbSession
from hotline.privacy.redact import redact
from hotline.tickets.enums import Satisfaction
from hotline.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, token: str, db: DbSession) -> HTMLResponse:
    try:
        task, ticket = service.get_by_token(db, token)
    except NotFound:
        return page(request, "survey.html", state="missing", status=404)
    if task.answered_at is not None:
        return page(request, "survey.html", state="answered")
    return page(
        request,
        "survey.html",
        state="open",
        number=ticket.number,
        title=redact(ticket.title),
        reply=service.public_reply(db, ticket),
        satisfactions=list(Satisfaction),
    )


@router.post("/s/{token}", response_class=HTMLResponse)
def survey_submit(
    request: Request,
    token: str,
    db: DbSession,
    resolved: Annotated[bool, Form()],
    satisfaction: Annotated[Satisfaction, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    task, _ = service.get_by_token(db, token)
    try:
        service.record(
            db,
            task=task,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=comment or None,
            via="survey",
            principal=CITIZEN,
        )
    except Conflict:
        return page(request, "survey.html", state="answered")
    return page(request, "survey.html", state="thanks")
