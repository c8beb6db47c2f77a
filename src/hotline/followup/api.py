"""HTTP API of follow-up: the operators' call queue and script, dispatchers' review of unsatisfied
answers, and the citizens' survey (a JSON API and a small page reached from the SMS link)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from hotline.accounts.policy import Permission
from hotline.accounts.principal import CITIZEN, Principal
from hotline.errors import Conflict, NotFound
from hotline.followup import service
from hotline.followup.models import FollowUpTask
from hotline.http.deps import DbSession, require
from hotline.privacy.redact import redact
from hotline.tickets.enums import Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.service import mask_phone
from hotline.workflow.service import lead_reply

router = APIRouter(prefix="/api/v1/follow-ups", tags=["follow-up"])
public = APIRouter(prefix="/api/v1/public/surveys", tags=["public"])
pages = APIRouter(tags=["public"])

Caller = Annotated[Principal, Depends(require(Permission.work_desk))]
Reviewer = Annotated[Principal, Depends(require(Permission.decide_follow_up))]

CALL_SCRIPT = [
    "您好，这里是12345热线回访。请问您是{number}号工单的反映人吗？",
    "您反映的“{title}”，承办单位答复：{reply}",
    "请问您的问题解决了吗？",
    "您对办理结果满意、基本满意还是不满意？",
    "您还有什么意见或建议吗？感谢您的支持，再见。",
]


class AnswerIn(BaseModel):
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    comment: str | None = Field(default=None, max_length=2000)


class TaskOut(BaseModel):
    id: int
    ticket_id: int
    number: str
    title: str
    method: str
    status: str
    due_at: datetime
    citizen_name: str | None
    citizen_phone: str | None
    reply: str | None
    script: list[str]
    classification: dict[str, Any]
    comment: str | None


def _reply(db: Any, ticket: Ticket) -> str | None:
    if ticket.answered_directly:
        return ticket.answer
    lead = lead_reply(db, ticket_id=ticket.id)
    return lead.reply if lead else None


def _public_reply(db: Any, ticket: Ticket) -> str | None:
    """The reply as a survey link's holder is shown it: personal data redacted."""
    reply = _reply(db, ticket)
    return redact(reply) if reply else reply


def _out(db: Any, task: FollowUpTask, ticket: Ticket, show_phone: bool = True) -> TaskOut:
    reply = _reply(db, ticket)
    params = {"number": ticket.number, "title": ticket.title, "reply": (reply or "")[:200]}
    return TaskOut(
        id=task.id,
        ticket_id=ticket.id,
        number=ticket.number,
        title=ticket.title,
        method=task.method,
        status=task.status,
        due_at=task.due_at,
        citizen_name=ticket.citizen_name,
        citizen_phone=ticket.citizen_phone if show_phone else mask_phone(ticket.citizen_phone),
        reply=reply,
        script=[line.format(**params) for line in CALL_SCRIPT],
        classification=task.classification,
        comment=task.comment,
    )


@router.get("", response_model=list[TaskOut])
def call_queue(db: DbSession, _: Caller) -> list[TaskOut]:
    """Follow-ups to call now, with the script; and unsatisfied answers waiting for review."""
    return [_out(db, t, k) for t, k in service.call_queue(db)]


@router.post("/{task_id}/record", response_model=TaskOut)
def record_call(task_id: int, body: AnswerIn, db: DbSession, principal: Caller) -> TaskOut:
    """Record what the citizen said on the phone; free text is classified when no choice is given."""
    task = db.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound("follow_up_not_found", id=task_id)
    service.record(
        db,
        task=task,
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        via="call",
        principal=principal,
    )
    return _out(db, task, db.get(Ticket, task.ticket_id))  # type: ignore[arg-type]


class DecisionIn(BaseModel):
    reopen: bool


@router.post("/{task_id}/decision", response_model=TaskOut)
def decide(task_id: int, body: DecisionIn, db: DbSession, principal: Reviewer) -> TaskOut:
    """Reopen (重办) an unsatisfied follow-up, or keep it closed (the reason is outside the department's power)."""
    task = service.decide(db, task_id=task_id, reopen=body.reopen, principal=principal)
    return _out(db, task, db.get(Ticket, task.ticket_id))  # type: ignore[arg-type]


class SurveyOut(BaseModel):
    number: str
    title: str
    reply: str | None
    answered: bool


@public.get("/{token}", response_model=SurveyOut)
def survey(token: str, db: DbSession) -> SurveyOut:
    task, ticket = service.get_by_token(db, token)
    return SurveyOut(
        number=ticket.number,
        title=redact(ticket.title),
        reply=_public_reply(db, ticket),
        answered=task.answered_at is not None,
    )


@public.post("/{token}", response_model=SurveyOut)
def answer_survey(token: str, body: AnswerIn, db: DbSession) -> SurveyOut:
    """The citizen's answer to the follow-up survey."""
    task, ticket = service.get_by_token(db, token)
    service.record(
        db,
        task=task,
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        via="survey",
        principal=CITIZEN,
    )
    return SurveyOut(
        number=ticket.number, title=redact(ticket.title), reply=_public_reply(db, ticket), answered=True
    )


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>12345回访</title><style>body{{font:16px/1.6 system-ui,sans-serif;max-width:36em;margin:1em auto;padding:0 1em;color:#1a1a1a}}
fieldset{{border:1px solid #888;margin:1em 0}}button{{font-size:1em;padding:.5em 1.5em;background:#0b5394;color:#fff;border:0}}
textarea{{width:100%;font-size:1em}}</style></head><body><h1>12345热线回访</h1>{content}</body></html>"""


@pages.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def survey_page(token: str, db: DbSession) -> HTMLResponse:
    try:
        task, ticket = service.get_by_token(db, token)
    except NotFound:
        return HTMLResponse(
            PAGE.format(content="<p>链接无效或已过期。如需帮助请拨打12345。</p>"), status_code=404
        )
    if task.answered_at is not None:
        return HTMLResponse(PAGE.format(content="<p>您已完成评价，感谢您的支持！</p>"))
    reply = html.escape(_public_reply(db, ticket) or "")
    content = f"""<p>工单号：{html.escape(ticket.number)}<br>您反映的问题：{html.escape(redact(ticket.title))}</p>
<p>承办单位答复：{reply}</p><form method="post">
<fieldset><legend>您的问题解决了吗？</legend>
<label><input type="radio" name="resolved" value="true" required> 已解决</label>
<label><input type="radio" name="resolved" value="false"> 未解决</label></fieldset>
<fieldset><legend>您对办理结果满意吗？</legend>
<label><input type="radio" name="satisfaction" value="satisfied" required> 满意</label>
<label><input type="radio" name="satisfaction" value="basically_satisfied"> 基本满意</label>
<label><input type="radio" name="satisfaction" value="unsatisfied"> 不满意</label></fieldset>
<label for="comment">意见或建议（选填）</label><textarea id="comment" name="comment" rows="4" maxlength="2000"></textarea>
<p><button type="submit">提交评价</button></p></form>"""
    return HTMLResponse(PAGE.format(content=content))


@pages.post("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def survey_submit(
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
        return HTMLResponse(PAGE.format(content="<p>您已完成评价，感谢您的支持！</p>"))
    return HTMLResponse(PAGE.format(content="<p>提交成功，感谢您的评价！</p>"))
