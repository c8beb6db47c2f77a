"""Follow-up tasks: created for every ticket awaiting follow-up, sent as an SMS survey link when due
(or left for an operator's call), answered by the citizen or the operator, and acted on."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from hotline.accounts.principal import SYSTEM, Principal
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound
from hotline.followup import reading
from hotline.followup.enums import FollowUpMethod, FollowUpOutcome, FollowUpStatus, ReadBy
from hotline.followup.models import FollowUpTask
from hotline.notify import service as notify
from hotline.privacy.redact import redact
from hotline.sla import service as sla_service
from hotline.tickets import events
from hotline.tickets.enums import EventKind, Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from hotline.workflow.service import lead_reply

log = logging.getLogger(__name__)

SURVEY_WAIT = timedelta(days=2)  # an unanswered SMS survey becomes a call task after this


def sweep(session: Session, *, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Create tasks for tickets awaiting follow-up, send the surveys that are due, and turn unanswered
    surveys into calls."""
    now = now or utcnow()
    counts = {"created": 0, "skipped_no_contact": 0, "sent": 0, "to_call": 0, "merged": 0, "superseded": 0}
    s = get_settings()
    cal = sla_service.work_calendar(session)
    open_round = (
        select(FollowUpTask.id)
        .where(FollowUpTask.ticket_id == Ticket.id, FollowUpTask.round == Ticket.reopen_count + 1)
        .exists()
    )
    for ticket in session.scalars(
        select(Ticket)
        .where(Ticket.status == Status.follow_up.value, ~open_round)
        .order_by(Ticket.id)
        .limit(limit)
    ):
        if ticket.no_contact:
            _skip(session, ticket, now=now)
            wf.close(
                session,
                ticket_id=ticket.id,
                comment="市民要求不回访，按规定直接归档",
                principal=SYSTEM,
                now=now,
            )
            counts["skipped_no_contact"] += 1
            continue
        end = cal.add_working_days(ticket.updated_at, s.follow_up_delay_days)
        due = end.astimezone(cal.tz).replace(hour=cal.work_start.hour, minute=cal.work_start.minute)
        if _create(
            session,
            ticket,
            method=FollowUpMethod.sms_survey if ticket.citizen_phone else FollowUpMethod.call,
            due_at=due,
            now=now,
        ):
            counts["created"] += 1
    counts["merged"] = _merged_tasks(session, now=now, cal=cal, limit=limit)
    counts["superseded"] = retire_superseded(session, limit=limit)
    for task, ticket in session.execute(
        select(FollowUpTask, Ticket)
        .join(Ticket, Ticket.id == FollowUpTask.ticket_id)
        .where(
            FollowUpTask.status == FollowUpStatus.pending,
            FollowUpTask.method == FollowUpMethod.sms_survey,
            FollowUpTask.due_at <= now,
        )
        .limit(limit)
    ).all():
        notify.enqueue(
            session,
            channel="sms",
            recipient=ticket.citizen_phone or "",
            template="follow_up_survey",
            ticket_id=ticket.id,
            params={
                "title": ticket.title[:30],
                "number": ticket.number,
                "link": f"{s.public_base_url.rstrip('/')}/s/{task.token}",
            },
            now=now,
        )
        task.status, task.sent_at = FollowUpStatus.sent, now
        counts["sent"] += 1
    for task in session.scalars(
        select(FollowUpTask)
        .where(FollowUpTask.status == FollowUpStatus.sent, FollowUpTask.sent_at <= now - SURVEY_WAIT)
        .limit(limit)
    ):
        task.status, task.method = FollowUpStatus.pending, FollowUpMethod.call
        counts["to_call"] += 1
    return counts


def _merged_tasks(session: Session, *, now: datetime, cal: Any, limit: int) -> int:
    """Each citizen whose ticket was merged (并单) is followed up too, once the master is."""
    s = get_settings()
    master = aliased(Ticket)
    has_task = select(FollowUpTask.id).where(FollowUpTask.ticket_id == Ticket.id).exists()
    rows = session.execute(
        select(Ticket, master.updated_at)
        .join(master, master.id == Ticket.master_id)
        .where(
            Ticket.status == Status.merged.value,
            master.status.in_([Status.follow_up.value, Status.closed.value]),
            master.answered_directly.is_(False) | master.answered_directly.is_(None),
            ~has_task,
        )
        .order_by(Ticket.id)
        .limit(limit)
    ).all()
    made = 0
    for ticket, master_updated in rows:
        if ticket.no_contact:
            _skip(session, ticket, now=now)
            continue
        end = cal.add_working_days(master_updated, s.follow_up_delay_days)
        due = end.astimezone(cal.tz).replace(hour=cal.work_start.hour, minute=cal.work_start.minute)
        method = FollowUpMethod.sms_survey if ticket.citizen_phone else FollowUpMethod.call
        made += _create(session, ticket, method=method, due_at=due, now=now)
    return made


def _skip(session: Session, ticket: Ticket, *, now: datetime) -> bool:
    """The follow-up of a citizen who asked not to be contacted: recorded, never sent or called."""
    return _create(
        session, ticket, method=FollowUpMethod.call, due_at=now, status=FollowUpStatus.skipped, now=now
    )


def _create(
    session: Session,
    ticket: Ticket,
    *,
    method: FollowUpMethod,
    due_at: datetime,
    now: datetime,
    status: FollowUpStatus = FollowUpStatus.pending,
) -> bool:
    """Make the ticket's follow-up task of this round; False when another sweep made it first."""
    try:
        with session.begin_nested():
            session.add(
                FollowUpTask(
                    ticket_id=ticket.id,
                    round=ticket.reopen_count + 1,
                    method=method,
                    status=status,
                    due_at=due_at,
                    token=secrets.token_urlsafe(16)[:22],
                    created_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def task_for(session: Session, ticket: Ticket, *, now: datetime | None = None) -> FollowUpTask:
    """The ticket's follow-up task of this round, made now when it has none (an answer that arrives
    before the sweep made one: an operator's own call, an SMS reply, the demo)."""
    now = now or utcnow()
    method = FollowUpMethod.sms_survey if ticket.citizen_phone else FollowUpMethod.call
    _create(session, ticket, method=method, due_at=now, now=now)
    task = session.scalar(
        select(FollowUpTask).where(
            FollowUpTask.ticket_id == ticket.id, FollowUpTask.round == ticket.reopen_count + 1
        )
    )
    assert task is not None
    return task


def get_task(session: Session, *, task_id: int) -> tuple[FollowUpTask, Ticket]:
    """A follow-up task and its ticket."""
    task = session.get(FollowUpTask, task_id)
    ticket = session.get(Ticket, task.ticket_id) if task is not None else None
    if task is None or ticket is None:
        raise NotFound("follow_up_not_found", id=task_id)
    return task, ticket


def get_by_token(session: Session, token: str) -> tuple[FollowUpTask, Ticket]:
    row = session.execute(
        select(FollowUpTask, Ticket)
        .join(Ticket, Ticket.id == FollowUpTask.ticket_id)
        .where(FollowUpTask.token == token)
    ).first()
    if row is None:
        raise NotFound("survey_not_found", id=token[:6])
    return row[0], row[1]


def call_queue(
    session: Session, *, now: datetime | None = None, limit: int = 100
) -> list[tuple[FollowUpTask, Ticket]]:
    """Follow-ups an operator should call now (and those waiting for a dispatcher's review)."""
    now = now or utcnow()
    rows = session.execute(
        select(FollowUpTask, Ticket)
        .join(Ticket, Ticket.id == FollowUpTask.ticket_id)
        .where(
            (
                (FollowUpTask.status == FollowUpStatus.pending)
                & (FollowUpTask.method == FollowUpMethod.call)
                & (FollowUpTask.due_at <= now)
            )
            | (FollowUpTask.status.in_([FollowUpStatus.review, FollowUpStatus.confirm]))
        )
        .order_by(FollowUpTask.due_at)
        .limit(limit)
    ).all()
    return [(t, k) for t, k in rows]


def record(
    session: Session,
    *,
    task: FollowUpTask,
    resolved: bool | None,
    satisfaction: Satisfaction | None,
    comment: str | None,
    via: str,
    principal: Principal,
    now: datetime | None = None,
) -> FollowUpTask:
    """The citizen's answer: their own choice, or free text the follow-up reader reads. A choice, or a
    confident reading, is recorded on the ticket (closing it), then a reopen or a review when the
    citizen is not satisfied for a reason within the department's power. A reading a person should
    confirm (followup.reading) waits for `confirm` and counts in no rate until then."""
    now = now or utcnow()
    if task.status not in (FollowUpStatus.pending, FollowUpStatus.sent):
        raise Conflict("survey_answered", id=task.id)
    comment = (comment or "").strip() or None
    if satisfaction is None and comment is None:
        raise InvalidInput("follow_up_answer_empty")
    found = _read(session, comment) if comment else None
    task.comment, task.answered_at, task.answered_via = comment, now, via
    task.classification = found.as_dict() if found else {}
    task.confidence = found.confidence if found else None
    if satisfaction is not None:
        # the citizen's own choice; the comment can still say whether it was resolved and why not
        res = resolved
        if res is None:
            res = (
                found.resolved
                if found and found.resolved is not None
                else satisfaction != Satisfaction.unsatisfied
            )
        within = found.within_power if found and found.satisfaction == Satisfaction.unsatisfied else True
        return _settle(
            session, task, satisfaction, res, within, ReadBy.citizen, via=via, principal=principal, now=now
        )
    assert found is not None
    if found.needs_person or not get_settings().follow_up_auto_read:
        if not found.needs_person:
            task.classification = {**task.classification, "why": ["本中心设定文字答复均须人工确认"]}
        if resolved is not None:  # what the operator ticked, shown to the person who confirms
            task.classification = {**task.classification, "stated_resolved": resolved}
        task.status = FollowUpStatus.confirm
        ticket = session.get(Ticket, task.ticket_id)
        assert ticket is not None
        events.record(
            session,
            ticket=ticket,
            kind=EventKind.follow_up_to_confirm,
            principal=SYSTEM if via in ("survey", "sms") else principal,
            comment="、".join(found.why) or None,
            data={"task_id": task.id, "confidence": round(found.confidence, 3)},
            now=now,
        )
        return task
    res = resolved if resolved is not None else found.resolved
    if res is None:
        res = found.satisfaction != Satisfaction.unsatisfied
    return _settle(
        session,
        task,
        found.satisfaction,
        res,
        found.within_power,
        ReadBy.machine,
        via=via,
        principal=principal,
        now=now,
    )


def sms_reply(
    session: Session, *, phone: str, text: str, principal: Principal, now: datetime | None = None
) -> tuple[FollowUpTask, Ticket]:
    """A citizen's SMS reply to a follow-up survey, relayed by the SMS gateway: the answer of the
    survey most recently sent to that number and still open, read like any other."""
    now = now or utcnow()
    from hotline.tickets.service import caller_hash

    phone = re.sub(r"[\s\-()]", "", phone)
    phone = re.sub(r"^(\+?86|0086)(?=1\d{10}$)", "", phone)  # +86 138… is the 138… a ticket holds
    row = session.execute(
        select(FollowUpTask, Ticket)
        .join(Ticket, Ticket.id == FollowUpTask.ticket_id)
        .where(
            Ticket.citizen_phone_hash == caller_hash(phone),
            FollowUpTask.method == FollowUpMethod.sms_survey,
            FollowUpTask.status == FollowUpStatus.sent,
        )
        .order_by(FollowUpTask.sent_at.desc(), FollowUpTask.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound("sms_reply_unmatched")
    task, ticket = row
    record(
        session,
        task=task,
        resolved=None,
        satisfaction=None,
        comment=text,
        via="sms",
        principal=principal,
        now=now,
    )
    return task, ticket


def confirm(
    session: Session,
    *,
    task_id: int,
    satisfaction: Satisfaction,
    resolved: bool | None,
    within_power: bool,
    principal: Principal,
    now: datetime | None = None,
) -> FollowUpTask:
    """A person's reading of an answer the reader was not sure of (or whose parts disagreed): recorded
    on the ticket as any answer is, and kept as a label the centre's reader learns from."""
    now = now or utcnow()
    task = session.scalar(select(FollowUpTask).where(FollowUpTask.id == task_id).with_for_update())
    if task is None:
        raise NotFound("follow_up_not_found", id=task_id)
    if task.status != FollowUpStatus.confirm:
        raise Conflict("follow_up_not_to_confirm", id=task_id)
    if _superseded(session, task):
        task.status, task.outcome = FollowUpStatus.done, FollowUpOutcome.superseded
        raise Conflict("follow_up_superseded", id=task_id)
    within = within_power if satisfaction == Satisfaction.unsatisfied else True
    said = {True: "yes", False: "no", None: "unknown"}[resolved]
    task.classification = {
        **task.classification,
        "confirmed_by": principal.user_id,
        "confirmed": {"satisfaction": satisfaction.value, "resolved": said, "within_power": within},
    }
    return _settle(
        session,
        task,
        satisfaction,
        resolved if resolved is not None else satisfaction != Satisfaction.unsatisfied,
        within,
        ReadBy.person,
        via=task.answered_via or "call",
        principal=principal,
        now=now,
    )


def _superseded(session: Session, task: FollowUpTask) -> bool:
    """A task waiting for a person whose ticket has moved on: reopened (a newer round), closed,
    withdrawn — its answer can no longer be recorded."""
    ticket = session.get(Ticket, task.ticket_id)
    if ticket is None or task.round != ticket.reopen_count + 1:
        return True
    return ticket.status not in (Status.follow_up, Status.merged)


def retire_superseded(session: Session, *, limit: int = 500) -> int:
    """Take off the review page the answers whose ticket moved on while they waited (the sweep's)."""
    done = 0
    for task in session.scalars(
        select(FollowUpTask).where(FollowUpTask.status == FollowUpStatus.confirm).limit(limit)
    ):
        if _superseded(session, task):
            task.status, task.outcome = FollowUpStatus.done, FollowUpOutcome.superseded
            done += 1
    return done


def to_confirm(session: Session, *, limit: int = 100) -> list[tuple[FollowUpTask, Ticket]]:
    """Answers waiting for a person to confirm their reading, oldest first."""
    rows = session.execute(
        select(FollowUpTask, Ticket)
        .join(Ticket, Ticket.id == FollowUpTask.ticket_id)
        .where(FollowUpTask.status == FollowUpStatus.confirm)
        .order_by(FollowUpTask.answered_at, FollowUpTask.id)
        .limit(limit)
    ).all()
    return [(t, k) for t, k in rows]


def _read(session: Session, comment: str) -> reading.FollowUpReading:
    """The reader's reading; an unexpected failure leaves the answer for a person (never loses it)."""
    try:
        return reading.read(comment, session=session)
    except Exception:
        log.exception("the follow-up reader failed; the answer is left for a person")
        return reading.unread()


def _settle(
    session: Session,
    task: FollowUpTask,
    sat: Satisfaction,
    res: bool,
    within: bool,
    read_by: ReadBy,
    *,
    via: str,
    principal: Principal,
    now: datetime,
) -> FollowUpTask:
    """Record what the answer says on the ticket, then close, reopen or review."""
    task.resolved, task.satisfaction, task.read_by = res, sat.value, read_by
    task.within_power = within if sat == Satisfaction.unsatisfied else None
    task.status = FollowUpStatus.answered
    record_on = wf.record_merged_follow_up if _is_merged(session, task.ticket_id) else wf.record_follow_up
    record_on(
        session,
        ticket_id=task.ticket_id,
        resolved=res,
        satisfaction=sat,
        principal=SYSTEM if via == "survey" and read_by != ReadBy.person else principal,
        comment=task.comment,
        now=now,
    )
    if sat == Satisfaction.unsatisfied and within:
        if get_settings().follow_up_reopen == "auto":
            _reopen(session, task, now)
        else:
            task.status, task.outcome = FollowUpStatus.review, FollowUpOutcome.needs_review
    else:
        task.status, task.outcome = FollowUpStatus.done, FollowUpOutcome.closed
    return task


def decide(
    session: Session, *, task_id: int, reopen: bool, principal: Principal, now: datetime | None = None
) -> FollowUpTask:
    """A dispatcher's decision on an unsatisfied follow-up under review."""
    now = now or utcnow()
    task = session.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound("follow_up_not_found", id=task_id)
    if task.status != FollowUpStatus.review:
        raise Conflict("follow_up_not_in_review", id=task_id)
    if reopen:
        _reopen(session, task, now, principal=principal)
    else:
        task.status, task.outcome = FollowUpStatus.done, FollowUpOutcome.kept_closed
    return task


def _is_merged(session: Session, ticket_id: int) -> bool:
    return session.scalar(select(Ticket.status).where(Ticket.id == ticket_id)) == Status.merged.value


def _reopen(session: Session, task: FollowUpTask, now: datetime, principal: Principal = SYSTEM) -> None:
    # a merged ticket's citizen speaks of the master's handling: the master is reopened
    target = session.scalar(select(Ticket.master_id).where(Ticket.id == task.ticket_id)) or task.ticket_id
    ticket = wf.reopen(
        session,
        ticket_id=target,
        reason=f"回访不满意：{task.comment or ''}"[:500],
        principal=principal,
        now=now,
    )
    task.status, task.outcome = FollowUpStatus.done, FollowUpOutcome.reopened
    if ticket.lead_department_id:
        notify.notify_department(
            session,
            department_id=ticket.lead_department_id,
            template="reopened",
            ticket_id=ticket.id,
            params={"number": ticket.number, "title": ticket.title[:40], "comment": task.comment or ""},
            now=now,
        )


def stats(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(FollowUpTask.status, func.count()).group_by(FollowUpTask.status)).all()
    )


def reply_for(session: Session, ticket: Ticket) -> str | None:
    """The reply the citizen is asked about: the direct answer, or the lead department's reply."""
    if ticket.answered_directly:
        return ticket.answer
    lead = lead_reply(session, ticket_id=ticket.id)
    return lead.reply if lead else None


def public_reply(session: Session, ticket: Ticket) -> str | None:
    """The reply as a survey link's holder is shown it: personal data redacted."""
    reply = reply_for(session, ticket)
    return redact(reply) if reply else reply


def open_survey(session: Session, *, ticket_id: int) -> FollowUpTask | None:
    """The ticket's survey still waiting for the citizen's answer, if any."""
    return session.scalar(
        select(FollowUpTask)
        .where(
            FollowUpTask.ticket_id == ticket_id,
            FollowUpTask.status.in_([FollowUpStatus.pending, FollowUpStatus.sent]),
        )
        .order_by(FollowUpTask.id.desc())
        .limit(1)
    )
