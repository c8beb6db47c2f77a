"""HTTP API of call records: ingest from the switch, CDR upload, link to a ticket, call-backs, figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hotline.accounts.policy import Permission, may_see_contact
from hotline.accounts.principal import Principal
from hotline.cti import service
from hotline.cti.enums import CallbackStatus, CallStatus
from hotline.cti.models import CallbackTask, CallRecord
from hotline.cti.schemas import CallbackDoneIn, CallbackOut, CallOut, CallsIn, CallStats, IngestOut, LinkIn
from hotline.db import utcnow
from hotline.errors import InvalidInput
from hotline.http.deps import DbSession, require
from hotline.tickets.service import mask_phone

router = APIRouter(prefix="/api/v1/cti", tags=["call records"])
Switch = Annotated[Principal, Depends(require(Permission.report_calls))]
Centre = Annotated[Principal, Depends(require(Permission.work_calls))]


def _phone(phone: str | None, principal: Principal) -> str | None:
    return phone if may_see_contact(principal) else mask_phone(phone)


def _call(c: CallRecord, principal: Principal) -> CallOut:
    return CallOut(
        call_id=c.call_id,
        caller=_phone(c.caller_phone, principal),
        status=CallStatus(c.status),
        queue=c.queue,
        agent=c.agent,
        offered_at=c.offered_at,
        answered_at=c.answered_at,
        ended_at=c.ended_at,
        wait_seconds=c.wait_seconds,
        talk_seconds=c.talk_seconds,
        ticket_id=c.ticket_id,
    )


def _task(t: CallbackTask, principal: Principal) -> CallbackOut:
    return CallbackOut(
        id=t.id,
        call_id=t.call_id,
        caller=_phone(t.caller_phone, principal),
        due_at=t.due_at,
        status=CallbackStatus(t.status),
        note=t.note,
        ticket_id=t.ticket_id,
    )


@router.post("/calls", response_model=IngestOut)
def ingest(body: CallsIn, db: DbSession, _: Switch) -> IngestOut:
    """Call events or CDRs, one or many; a call id seen before is updated (answered, ended)."""
    r = service.ingest(db, body.calls)
    return IngestOut(created=r.created, updated=r.updated, callbacks=r.callbacks)


@router.post("/calls.csv", response_model=IngestOut)
async def ingest_csv(request: Request, db: DbSession, _: Switch) -> IngestOut:
    """A CDR export as CSV (call_id, caller, offered_at, answered_at, ended_at, queue, agent)."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file_unreadable", path="body", reason="not UTF-8") from exc
    r = service.ingest(db, service.parse_csv(text))
    return IngestOut(created=r.created, updated=r.updated, callbacks=r.callbacks)


@router.post("/calls/{call_id}/link", response_model=CallOut)
def link(call_id: str, body: LinkIn, db: DbSession, principal: Centre) -> CallOut:
    """Link a call to the ticket it made."""
    return _call(service.link(db, call_id=call_id, ticket_id=body.ticket_id, principal=principal), principal)


@router.get("/callbacks", response_model=list[CallbackOut])
def callbacks(db: DbSession, principal: Centre) -> list[CallbackOut]:
    """漏接回拨: missed callers to ring back, the most urgent first."""
    return [_task(t, principal) for t in service.callbacks(db, principal=principal)]


@router.post("/callbacks/{task_id}/done", response_model=CallbackOut)
def callback_done(task_id: int, body: CallbackDoneIn, db: DbSession, principal: Centre) -> CallbackOut:
    """Record a call-back: reached or not, a note, the ticket it made."""
    task = service.finish_callback(
        db,
        task_id=task_id,
        reached=body.reached,
        note=body.note,
        ticket_id=body.ticket_id,
        principal=principal,
    )
    return _task(task, principal)


@router.get("/stats", response_model=CallStats, response_model_by_alias=True)
def stats(db: DbSession, _: Centre, start: datetime | None = None, end: datetime | None = None) -> CallStats:
    """接通率 and the 15-second answer rate over a period (the last 24 hours by default)."""
    end = end or utcnow()
    return service.stats(db, start=start or end - timedelta(days=1), end=end)
