"""Ingest call events (idempotent by call id: later events of a call complete it), create call-back
tasks for abandoned calls, link calls to tickets, and compute the connection figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.principal import Principal
from hotline.cti.enums import CallbackStatus, CallStatus
from hotline.cti.models import CallbackTask, CallRecord
from hotline.cti.schemas import CallIn, CallStats
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound
from hotline.tickets.models import ContactView
from hotline.tickets.service import caller_hash, get_ticket

ANSWER_TARGET_SECONDS = 15
CALLBACK_WITHIN = timedelta(hours=2)


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    callbacks: int = 0


def ingest(session: Session, calls: list[CallIn], *, now: datetime | None = None) -> IngestResult:
    now = now or utcnow()
    out = IngestResult()
    for c in calls:
        if (c.answered_at and c.answered_at < c.offered_at) or (c.ended_at and c.ended_at < c.offered_at):
            raise InvalidInput("call_times", call_id=c.call_id)
        row = session.scalar(select(CallRecord).where(CallRecord.call_id == c.call_id))
        if row is None:
            row = CallRecord(
                call_id=c.call_id, offered_at=c.offered_at, status=CallStatus.ringing, created_at=now
            )
            session.add(row)
            out.created += 1
        else:
            out.updated += 1
        phone = (c.caller or "").replace(" ", "").replace("-", "") or None
        row.caller_phone = phone or row.caller_phone
        row.caller_hash = caller_hash(phone) if phone else row.caller_hash
        row.queue, row.agent = c.queue or row.queue, c.agent or row.agent
        row.answered_at = c.answered_at or row.answered_at
        row.ended_at = c.ended_at or row.ended_at
        row.status = (
            CallStatus.answered
            if row.answered_at
            else (CallStatus.abandoned if row.ended_at else CallStatus.ringing)
        )
        row.updated_at = now
        session.flush()
        if row.status == CallStatus.abandoned and row.caller_phone:
            out.callbacks += _callback(session, row, now)
        if row.status == CallStatus.answered and row.caller_hash:
            # the caller got through: earlier call-backs for them are no longer needed
            for task in session.scalars(
                select(CallbackTask).where(
                    CallbackTask.caller_hash == row.caller_hash, CallbackTask.status == CallbackStatus.pending
                )
            ):
                task.status, task.note, task.done_at = (
                    CallbackStatus.superseded,
                    f"来电人已于 {row.answered_at:%H:%M} 接通",
                    now,
                )
    return out


def _callback(session: Session, row: CallRecord, now: datetime) -> int:
    if session.scalar(select(CallbackTask.id).where(CallbackTask.call_id == row.call_id)) is not None:
        return 0
    pending = session.scalar(
        select(CallbackTask).where(
            CallbackTask.caller_hash == row.caller_hash, CallbackTask.status == CallbackStatus.pending
        )
    )
    if pending is not None:  # one call-back per caller, however many times they rang
        return 0
    session.add(
        CallbackTask(
            call_id=row.call_id,
            caller_hash=row.caller_hash,
            caller_phone=row.caller_phone,
            due_at=(row.ended_at or row.offered_at) + CALLBACK_WITHIN,
            created_at=now,
        )
    )
    return 1


CSV_COLUMNS = ("call_id", "caller", "offered_at", "answered_at", "ended_at", "queue", "agent")


def parse_csv(text: str) -> list[CallIn]:
    """Read a CDR export (columns CSV_COLUMNS, ISO 8601 times with offsets); every bad line is reported."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"call_id", "offered_at"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput("cdr_columns", missing=", ".join(sorted(missing)))
    calls, errors = [], []
    for line, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() or None for k, v in raw.items() if k in CSV_COLUMNS}
        try:
            calls.append(CallIn.model_validate(row))
        except ValidationError as exc:
            errors.append(f"第 {line} 行: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
    if errors:
        raise InvalidInput("cdr_rows", count=len(errors), errors=" | ".join(errors[:50]))
    return calls


def import_file(session: Session, path: Path) -> IngestResult:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    return ingest(session, parse_csv(text))


def link(session: Session, *, call_id: str, ticket_id: int, principal: Principal) -> CallRecord:
    row = session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
    if row is None:
        raise NotFound("call_not_found", id=call_id)
    get_ticket(session, ticket_id=ticket_id, principal=principal)
    row.ticket_id = ticket_id
    return row


def callbacks(session: Session, *, principal: Principal) -> list[CallbackTask]:
    """漏接回拨: missed callers to ring back, the soonest due first; a principal who is shown their
    full numbers is logged as having seen them."""
    tasks = list(
        session.scalars(
            select(CallbackTask)
            .where(CallbackTask.status == CallbackStatus.pending)
            .order_by(CallbackTask.due_at)
        )
    )
    shown = sum(1 for t in tasks if t.caller_phone)
    if shown and policy.may_see_contact(principal):
        session.add(
            ContactView(user_id=principal.user_id, role=principal.role.value, via="callbacks", count=shown)
        )
    return tasks


def finish_callback(
    session: Session,
    *,
    task_id: int,
    reached: bool,
    note: str | None,
    ticket_id: int | None,
    principal: Principal,
    now: datetime | None = None,
) -> CallbackTask:
    task = session.get(CallbackTask, task_id)
    if task is None:
        raise NotFound("callback_not_found", id=task_id)
    if task.status != CallbackStatus.pending:
        raise Conflict("callback_done", id=task_id)
    if ticket_id is not None:
        get_ticket(session, ticket_id=ticket_id, principal=principal)
    task.status = CallbackStatus.done if reached else CallbackStatus.unreachable
    task.done_at, task.done_by_id, task.note, task.ticket_id = (
        now or utcnow(),
        principal.user_id,
        note,
        ticket_id,
    )
    return task


def stats(session: Session, *, start: datetime, end: datetime) -> CallStats:
    """接通率 (answered / offered) and the 15-second answer rate, with numerators and denominators."""
    rows = session.execute(
        select(CallRecord.status, CallRecord.offered_at, CallRecord.answered_at).where(
            CallRecord.offered_at >= start,
            CallRecord.offered_at < end,
            CallRecord.status != CallStatus.ringing,
        )
    ).all()
    offered = len(rows)
    answered = sum(1 for s, _, _ in rows if s == CallStatus.answered)
    fast = sum(
        1
        for s, o, a in rows
        if s == CallStatus.answered and a is not None and (a - o).total_seconds() <= ANSWER_TARGET_SECONDS
    )
    waits = sorted((a - o).total_seconds() for s, o, a in rows if s == CallStatus.answered and a is not None)
    return CallStats(
        start=start,
        end=end,
        offered=offered,
        answered=answered,
        abandoned=offered - answered,
        connection_rate=round(answered / offered, 4) if offered else None,
        answered_within_15s=fast,
        answer_rate_15s=round(fast / offered, 4) if offered else None,
        median_wait_seconds=waits[len(waits) // 2] if waits else None,
        callbacks_pending=session.scalar(
            select(func.count(CallbackTask.id)).where(CallbackTask.status == CallbackStatus.pending)
        )
        or 0,
    )
