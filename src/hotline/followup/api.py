"""HTTP API of follow-up: the operators' call queue and script, dispatchers' review of unsatisfied
answers, and the citizens' survey as JSON (the page the SMS link opens is the web's: web.survey)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from hotline import texts
from hotline.accounts.policy import Permission
from hotline.accounts.principal import CITIZEN, Principal
from hotline.followup import service
from hotline.followup.models import FollowUpTask
from hotline.followup.schemas import (
    AnswerIn,
    ConfirmIn,
    DecisionIn,
    SmsReplyIn,
    SmsReplyOut,
    SurveyOut,
    TaskOut,
)
from hotline.http.deps import DbSession, require
from hotline.privacy.redact import redact
from hotline.tickets.models import Ticket
from hotline.tickets.service import mask_phone

router = APIRouter(prefix="/api/v1/follow-ups", tags=["follow-up"])
public = APIRouter(prefix="/api/v1/public/surveys", tags=["public"])

Caller = Annotated[Principal, Depends(require(Permission.work_desk))]
Reviewer = Annotated[Principal, Depends(require(Permission.decide_follow_up))]
Gateway = Annotated[Principal, Depends(require(Permission.relay_replies))]


def _out(db: Any, task: FollowUpTask, ticket: Ticket, show_phone: bool = True) -> TaskOut:
    reply = service.reply_for(db, ticket)
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
        script=[line.format(**params) for line in texts.call_script()],
        classification=task.classification,
        comment=task.comment,
        satisfaction=task.satisfaction,
        resolved=task.resolved,
        read_by=task.read_by,
    )


@router.get("", response_model=list[TaskOut])
def call_queue(db: DbSession, _: Caller) -> list[TaskOut]:
    """Follow-ups to call now, with the script; and unsatisfied answers waiting for review."""
    return [_out(db, t, k) for t, k in service.call_queue(db)]


@router.post("/{task_id}/record", response_model=TaskOut)
def record_call(task_id: int, body: AnswerIn, db: DbSession, principal: Caller) -> TaskOut:
    """Record what the citizen said on the phone; free text is classified when no choice is given."""
    task, ticket = service.get_task(db, task_id=task_id)
    service.record(
        db,
        task=task,
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        via="call",
        principal=principal,
    )
    return _out(db, task, ticket)


@router.post("/sms-replies", response_model=SmsReplyOut)
def sms_reply(body: SmsReplyIn, db: DbSession, principal: Gateway) -> SmsReplyOut:
    """The SMS gateway relays a citizen's reply to a follow-up survey: read like any answer (it waits
    for a person when the reader is unsure). 404 when no survey waits for that number."""
    task, ticket = service.sms_reply(db, phone=body.phone, text=body.text, principal=principal)
    return SmsReplyOut(task_id=task.id, number=ticket.number, status=task.status)


@router.post("/{task_id}/confirm", response_model=TaskOut)
def confirm_reading(task_id: int, body: ConfirmIn, db: DbSession, principal: Caller) -> TaskOut:
    """A person's reading of an answer the follow-up reader was not sure of: it then counts in the
    rates (as confirmed), and the centre's reader learns from it."""
    task = service.confirm(
        db,
        task_id=task_id,
        satisfaction=body.satisfaction,
        resolved=body.resolved,
        within_power=body.within_power,
        principal=principal,
    )
    return _out(db, *service.get_task(db, task_id=task.id))


@router.post("/{task_id}/decision", response_model=TaskOut)
def decide(task_id: int, body: DecisionIn, db: DbSession, principal: Reviewer) -> TaskOut:
    """Reopen (重办) an unsatisfied follow-up, or keep it closed (the reason is outside the department's power)."""
    task = service.decide(db, task_id=task_id, reopen=body.reopen, principal=principal)
    return _out(db, *service.get_task(db, task_id=task.id))


@public.get("/{token}", response_model=SurveyOut)
def survey(token: str, db: DbSession) -> SurveyOut:
    task, ticket = service.get_by_token(db, token)
    return SurveyOut(
        number=ticket.number,
        title=redact(ticket.title),
        reply=service.public_reply(db, ticket),
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
        number=ticket.number,
        title=redact(ticket.title),
        reply=service.public_reply(db, ticket),
        answered=True,
    )
