"""The deadline watch: one sweep finds what is due with indexed queries on the stored deadlines and
acts on it. Each action is first recorded in `deadline_actions` under a unique key (assignment, kind,
deadline): of two workers sweeping at once, one inserts and acts, the other meets the key and skips.
A paused ticket (waiting for the citizen) is left alone; an extension is a new deadline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM
from hotline.config import get_settings
from hotline.db import upsert_insert, utcnow
from hotline.notify import service as notify
from hotline.org import service as org_service
from hotline.org.enums import DepartmentKind
from hotline.org.models import Department
from hotline.sla import service as sla_service
from hotline.sla.calendar import WorkCalendar
from hotline.supervision.models import DeadlineAction
from hotline.tickets import events
from hotline.tickets.deadlines import passed_clause
from hotline.tickets.enums import ACTIVE_ASSIGNMENT, AssignmentRole, AssignmentStatus, EventKind
from hotline.tickets.events import Event
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import PAUSED_STATUSES

log = logging.getLogger(__name__)

PAUSED = [s.value for s in PAUSED_STATUSES]  # the clock stands still: nothing is due


SIGN_KINDS = ("sign_warning", "sign_overdue")
CLAIM_BATCH = 1000


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
        # earliest deadline first: what is most overdue is acted on first, and a later time filter
        # (reminder, escalation) never starves behind rows that are not due yet
        .order_by(Assignment.sign_due_at if kind in SIGN_KINDS else Assignment.due_at, Assignment.id)
        .limit(limit)
    ).all()
    return [(a, t) for a, t in rows]


def _claim_all(
    session: Session, rows: list[tuple[Assignment, Ticket]], kind: str, now: datetime, **data: Any
) -> list[tuple[Assignment, Ticket]]:
    """Record the action for every row in one INSERT … ON CONFLICT DO NOTHING RETURNING; only the rows
    this call inserted are returned (another worker, or an earlier sweep, has the others)."""
    if not rows:
        return []
    values = [
        {
            "assignment_id": a.id,
            "ticket_id": a.ticket_id,
            "kind": kind,
            "due_at": a.sign_due_at if kind in SIGN_KINDS else a.due_at,
            "created_at": now,
            "data": data,
        }
        for a, _ in rows
    ]
    insert = upsert_insert(session.get_bind().dialect.name)
    won: set[int] = set()
    for start in range(0, len(values), CLAIM_BATCH):  # stay well under the drivers' parameter limits
        stmt = (
            insert(DeadlineAction)
            .values(values[start : start + CLAIM_BATCH])
            .on_conflict_do_nothing()
            .returning(DeadlineAction.assignment_id)
        )
        won.update(session.scalars(stmt))
    return [(a, t) for a, t in rows if a.id in won]


def _fmt(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def _params(t: Ticket, deadline: datetime, **extra: Any) -> dict[str, Any]:
    return {"number": t.number, "title": t.title[:40], "deadline": _fmt(deadline), **extra}


def _next_day_start(cal: WorkCalendar, due: datetime) -> datetime:
    end = cal.add_working_days(due, 1)
    return end.astimezone(cal.tz).replace(hour=cal.work_start.hour, minute=cal.work_start.minute)


def sweep(session: Session, *, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Act on everything due now (up to `limit` per kind); returns the count of each kind."""
    now = now or utcnow()
    s = get_settings()
    cal = sla_service.work_calendar(session)
    days = s.escalate_after_overdue_days
    pending = Assignment.status == AssignmentStatus.pending.value
    active = Assignment.status.in_(ACTIVE_ASSIGNMENT)
    lead = Assignment.role == AssignmentRole.lead.value
    sign, due = Assignment.sign_due_at, Assignment.due_at
    # kind, conditions, event on the ticket, template, SMS too, what the deadline was for
    rules: list[tuple[str, tuple[Any, ...], bool, str, bool, str]] = [
        (
            "sign_warning",
            (pending, ~passed_clause(sign, now), sign <= now + timedelta(hours=s.warn_before_sign_hours)),
            False,
            "sign_warning",
            False,
            "签收",
        ),
        ("sign_overdue", (pending, passed_clause(sign, now)), True, "overdue", True, "签收"),
        (
            "handle_warning",
            (active, lead, ~passed_clause(due, now), due <= now + timedelta(hours=s.warn_before_due_hours)),
            False,
            "handle_warning",
            False,
            "办理",
        ),
        ("overdue", (active, lead, passed_clause(due, now)), True, "overdue", True, "办理"),
        # cheap index bounds; the exact moments (next working day, N working days) are checked below
        (
            "reminder",
            (active, lead, passed_clause(due, now - timedelta(hours=8))),
            True,
            "reminder",
            True,
            "办理",
        ),
        (
            "escalation",
            (active, lead, passed_clause(due, now - timedelta(days=days))),
            True,
            "escalation",
            True,
            "办理",
        ),
    ]
    directory = notify.Directory(session)
    supervisors: dict[tuple[int | None, int], int | None] = {}
    marks: list[Event] = []
    counts: dict[str, int] = {}
    for kind, conditions, event, template, sms, what in rules:
        rows = _candidates(session, kind, *conditions, limit=limit)
        if kind == "reminder":  # from the start of the next working day after the miss
            rows = [(a, t) for a, t in rows if now >= _next_day_start(cal, a.due_at)]
        elif kind == "escalation":  # after N overdue working days
            rows = [(a, t) for a, t in rows if now >= cal.add_working_days(a.due_at, days)]
        extra = {"overdue_working_days": days} if kind == "escalation" else {}
        won = _claim_all(session, rows, kind, now, **extra)
        for a, t in won:
            deadline = a.sign_due_at if kind in SIGN_KINDS else a.due_at
            target: int | None = a.department_id
            params = _params(t, deadline, what=what)
            if kind == "escalation":
                key = (t.area_id, a.department_id)
                if key not in supervisors:
                    supervisors[key] = _supervisor(session, t, a)
                target = supervisors[key]
                handler = session.get(Department, a.department_id)
                params |= {"days": days, "department": handler.name if handler else ""}
            if event:
                marks.append(
                    Event(
                        ticket_id=t.id,
                        kind=EventKind(kind),
                        at=now,
                        principal=SYSTEM,
                        assignment_id=a.id,
                        department_id=target,
                        data=extra or {"deadline": deadline.isoformat()},
                    )
                )
            if target is not None:
                directory.notify(target, template=template, params=params, ticket_id=t.id, now=now, sms=sms)
        counts[kind] = len(won)
        events.record_many(session, marks)
        marks.clear()
        directory.write()
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
