"""The deadline watch: one sweep finds what is due with indexed queries on the stored deadlines and
acts on it. Each action is first recorded in `deadline_actions` under a unique key (assignment, kind,
deadline): of two workers sweeping at once, one inserts and acts, the other meets the key and skips.
A paused ticket (waiting for the citizen) is left alone; an extension is a new deadline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.notify import service as notify
from hotline.org import service as org_service
from hotline.org.enums import DepartmentKind
from hotline.org.models import Department
from hotline.sla import service as sla_service
from hotline.supervision.models import DeadlineAction
from hotline.tickets.models import Ticket
from hotline.tickets.service import record_event
from hotline.workflow.enums import AssignmentRole, AssignmentStatus
from hotline.workflow.models import Assignment
from hotline.workflow.states import Status

log = logging.getLogger(__name__)

ACTIVE = (AssignmentStatus.pending.value, AssignmentStatus.signed.value)
PAUSED = (Status.waiting_citizen.value,)


SIGN_KINDS = ("sign_warning", "sign_overdue")


def _not_done(kind: str) -> Any:
    deadline = Assignment.sign_due_at if kind in SIGN_KINDS else Assignment.due_at
    return ~exists().where(
        DeadlineAction.assignment_id == Assignment.id,
        DeadlineAction.kind == kind,
        DeadlineAction.due_at == deadline,
    )


def _candidates(session: Session, kind: str, *conditions: Any, limit: int) -> list[tuple[Assignment, Ticket]]:
    rows = session.execute(
        select(Assignment, Ticket)
        .join(Ticket, Ticket.id == Assignment.ticket_id)
        .where(*conditions, Ticket.status.not_in(PAUSED), _not_done(kind))
        .order_by(Assignment.id)
        .limit(limit)
    ).all()
    return [(a, t) for a, t in rows]


def _claim(session: Session, a: Assignment, kind: str, due_at: datetime, now: datetime, **data: Any) -> bool:
    """Record the action; False if another worker (or an earlier sweep) already did."""
    try:
        with session.begin_nested():
            session.add(
                DeadlineAction(
                    assignment_id=a.id,
                    ticket_id=a.ticket_id,
                    kind=kind,
                    due_at=due_at,
                    created_at=now,
                    data=data,
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def _fmt(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def _params(t: Ticket, deadline: datetime, **extra: Any) -> dict[str, Any]:
    return {"number": t.number, "title": t.title[:40], "deadline": _fmt(deadline), **extra}


def sweep(session: Session, *, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Act on everything due now (up to `limit` per kind); returns the count of each kind."""
    now = now or utcnow()
    s = get_settings()
    cal = sla_service.work_calendar(session)
    counts = dict.fromkeys(
        ("sign_warning", "sign_overdue", "handle_warning", "overdue", "reminder", "escalation"), 0
    )
    pending = Assignment.status == AssignmentStatus.pending.value
    active = Assignment.status.in_(ACTIVE)
    lead = Assignment.role == AssignmentRole.lead.value

    for a, t in _candidates(
        session,
        "sign_warning",
        pending,
        Assignment.sign_due_at > now,
        Assignment.sign_due_at <= now + timedelta(hours=s.warn_before_sign_hours),
        limit=limit,
    ):
        if _claim(session, a, "sign_warning", a.sign_due_at, now):
            notify.notify_department(
                session,
                department_id=a.department_id,
                template="sign_warning",
                params=_params(t, a.sign_due_at),
                ticket_id=t.id,
                now=now,
                sms=False,
            )
            counts["sign_warning"] += 1

    for a, t in _candidates(session, "sign_overdue", pending, Assignment.sign_due_at <= now, limit=limit):
        if _claim(session, a, "sign_overdue", a.sign_due_at, now):
            record_event(
                session,
                ticket=t,
                principal=SYSTEM,
                action="sign_overdue",
                from_status=None,
                to_status=None,
                assignment_id=a.id,
                department_id=a.department_id,
                data={"deadline": a.sign_due_at.isoformat()},
                now=now,
            )
            notify.notify_department(
                session,
                department_id=a.department_id,
                template="overdue",
                params=_params(t, a.sign_due_at, what="签收"),
                ticket_id=t.id,
                now=now,
            )
            counts["sign_overdue"] += 1

    for a, t in _candidates(
        session,
        "handle_warning",
        active,
        lead,
        Assignment.due_at > now,
        Assignment.due_at <= now + timedelta(hours=s.warn_before_due_hours),
        limit=limit,
    ):
        if _claim(session, a, "handle_warning", a.due_at, now):
            notify.notify_department(
                session,
                department_id=a.department_id,
                template="handle_warning",
                params=_params(t, a.due_at),
                ticket_id=t.id,
                now=now,
                sms=False,
            )
            counts["handle_warning"] += 1

    for a, t in _candidates(session, "overdue", active, lead, Assignment.due_at <= now, limit=limit):
        if _claim(session, a, "overdue", a.due_at, now):
            record_event(
                session,
                ticket=t,
                principal=SYSTEM,
                action="overdue",
                from_status=None,
                to_status=None,
                assignment_id=a.id,
                department_id=a.department_id,
                data={"deadline": a.due_at.isoformat()},
                now=now,
            )
            notify.notify_department(
                session,
                department_id=a.department_id,
                template="overdue",
                params=_params(t, a.due_at, what="办理"),
                ticket_id=t.id,
                now=now,
            )
            counts["overdue"] += 1

    # the day after a miss: 催办 (from the start of the next working day)
    for a, t in _candidates(
        session, "reminder", active, lead, Assignment.due_at <= now - timedelta(hours=8), limit=limit
    ):
        next_day_end = cal.add_working_days(a.due_at, 1)
        start = next_day_end.astimezone(cal.tz).replace(
            hour=cal.work_start.hour, minute=cal.work_start.minute
        )
        if now >= start and _claim(session, a, "reminder", a.due_at, now):
            record_event(
                session,
                ticket=t,
                principal=SYSTEM,
                action="reminder",
                from_status=None,
                to_status=None,
                assignment_id=a.id,
                department_id=a.department_id,
                now=now,
            )
            notify.notify_department(
                session,
                department_id=a.department_id,
                template="reminder",
                params=_params(t, a.due_at),
                ticket_id=t.id,
                now=now,
            )
            counts["reminder"] += 1

    # N working days overdue: the area centre serving the ticket's area is told (督办提醒)
    days = s.escalate_after_overdue_days
    for a, t in _candidates(
        session, "escalation", active, lead, Assignment.due_at <= now - timedelta(days=days), limit=limit
    ):
        if now < cal.add_working_days(a.due_at, days) or not _claim(
            session, a, "escalation", a.due_at, now, days=days
        ):
            continue
        target = _supervisor(session, t, a)
        dept = session.get(Department, a.department_id)
        record_event(
            session,
            ticket=t,
            principal=SYSTEM,
            action="escalation",
            from_status=None,
            to_status=None,
            assignment_id=a.id,
            department_id=target,
            data={"overdue_working_days": days},
            now=now,
        )
        if target is not None:
            notify.notify_department(
                session,
                department_id=target,
                template="escalation",
                params=_params(t, a.due_at, days=days, department=dept.name if dept else ""),
                ticket_id=t.id,
                now=now,
            )
        counts["escalation"] += 1
    return counts


def _supervisor(session: Session, t: Ticket, a: Assignment) -> int | None:
    """The area centre serving the ticket's area, else the department above the handler."""
    if t.area_id is not None:
        for serving in org_service.departments_serving(session, area_id=t.area_id):
            if serving.kind == DepartmentKind.area_center and serving.id != a.department_id:
                return serving.id
    handler = session.get(Department, a.department_id)
    return handler.parent_id if handler is not None else None


def actions_for(session: Session, *, ticket_id: int) -> list[DeadlineAction]:
    return list(
        session.scalars(
            select(DeadlineAction).where(DeadlineAction.ticket_id == ticket_id).order_by(DeadlineAction.id)
        )
    )
