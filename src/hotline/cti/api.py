"""HTTP API of call records: ingest from the switch, CDR upload, link to a ticket, call-backs, figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hotline.accounts.policy import Permission, may_see_contact
from hotline.accounts.principal import Principal
from hotline.cti import service
from hotline.cti.models import CallbackTask, CallRecord
from hotline.db import utcnow
from hotline.errors import InvalidInput
from hotline.http.deps import DbSession, require
from hotline.tickets.models import ContactView
from hotline.tickets.service import mask_phone

router = APIRouter(prefix="/api/v1/cti", tags=["call records"])
Switch = Annotated[Principal, Depends(require(Permission.report_calls))]
Centre = Annotated[Principal, Depends(require(Permission.work_calls))]


def _phone(phone: str | None, principal: Principal) -> str | None:
    return phone if may_see_contact(principal) else mask_phone(phone)


def _call(c: CallRecord, principal: Principal) -> dict[str, Any]:
    return {
        "call_id": c.call_id,
        "caller": _phone(c.caller_phone, principal),
        "status": c.status,
        "queue": c.queue,
        "agent": c.agent,
        "offered_at": c.offered_at,
        "answered_at": c.answered_at,
        "ended_at": c.ended_at,
        "wait_seconds": c.wait_seconds,
        "talk_seconds": c.talk_seconds,
        "ticket_id": c.ticket_id,
    }


class CallsIn(BaseModel):
    calls: list[service.CallIn] = Field(min_length=1, max_length=5000)


@router.post("/calls")
def ingest(body: CallsIn, db: DbSession, _: Switch) -> dict[str, int]:
    """Call events or CDRs, one or many; a call id seen before is updated (answered, ended)."""
    r = service.ingest(db, body.calls)
    return {"created": r.created, "updated": r.updated, "callbacks": r.callbacks}


@router.post("/calls.csv")
async def ingest_csv(request: Request, db: DbSession, _: Switch) -> dict[str, int]:
    """A CDR export as CSV (call_id, caller, offered_at, answered_at, ended_at, queue, agent)."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file_unreadable", path="body", reason="not UTF-8") from exc
    r = service.ingest(db, service.parse_csv(text))
    return {"created": r.created, "updated": r.updated, "callbacks": r.callbacks}


class LinkIn(BaseModel):
    ticket_id: int


@router.post("/calls/{call_id}/link")
def link(call_id: str, body: LinkIn, db: DbSession, principal: Centre) -> dict[str, Any]:
    return _call(service.link(db, call_id=call_id, ticket_id=body.ticket_id, principal=principal), principal)


def _task(t: CallbackTask, principal: Principal) -> dict[str, Any]:
    return {
        "id": t.id,
        "call_id": t.call_id,
        "caller": _phone(t.caller_phone, principal),
        "due_at": t.due_at,
        "status": t.status,
        "note": t.note,
        "ticket_id": t.ticket_id,
    }


@router.get("/callbacks")
def callbacks(db: DbSession, principal: Centre) -> list[dict[str, Any]]:
    """漏接回拨: missed callers to ring back, the most urgent first."""
    tasks = service.callbacks(db)
    shown = sum(1 for t in tasks if t.caller_phone)
    if shown and may_see_contact(principal):
        db.add(
            ContactView(user_id=principal.user_id, role=principal.role.value, via="callbacks", count=shown)
        )
    return [_task(t, principal) for t in tasks]


class CallbackDoneIn(BaseModel):
    reached: bool
    note: str | None = Field(default=None, max_length=1000)
    ticket_id: int | None = None


@router.post("/callbacks/{task_id}/done")
def callback_done(task_id: int, body: CallbackDoneIn, db: DbSession, principal: Centre) -> dict[str, Any]:
    return _task(
        service.finish_callback(
            db,
            task_id=task_id,
            reached=body.reached,
            note=body.note,
            ticket_id=body.ticket_id,
            principal=principal,
        ),
        principal,
    )


@router.get("/stats")
def stats(
    db: DbSession, _: Centre, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """接通率 and the 15-second answer rate over a period (the last 24 hours by default)."""
    end = end or utcnow()
    return service.stats(db, start=start or end - timedelta(days=1), end=end)
