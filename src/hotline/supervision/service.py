"""Supervision cases (督办件): open, respond, close; every step on the ticket's event log too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.errors import Conflict, NotFound, PermissionDenied
from hotline.notify import service as notify
from hotline.org import service as org_service
from hotline.supervision.enums import CaseStatus
from hotline.supervision.models import SupervisionCase
from hotline.supervision.schemas import CaseIn
from hotline.tickets import events
from hotline.tickets.deadlines import passed, passed_clause
from hotline.tickets.enums import EventKind
from hotline.tickets.service import get_ticket


def open_case(
    session: Session, *, data: CaseIn, principal: Principal, now: datetime | None = None
) -> SupervisionCase:
    now = now or utcnow()
    policy.check(principal, Permission.supervise, "supervision_denied")
    dept = org_service.get_department_by_code(session, code=data.department_code)
    ticket = get_ticket(session, ticket_id=data.ticket_id, principal=principal) if data.ticket_id else None
    case = SupervisionCase(
        ticket_id=ticket.id if ticket else None,
        department_id=dept.id,
        subject=data.subject,
        reason=data.reason,
        required_response=data.required_response,
        deadline=data.deadline,
        opened_by_id=principal.user_id,
        opened_at=now,
    )
    session.add(case)
    session.flush()
    if ticket is not None:
        events.record(
            session,
            ticket=ticket,
            kind=EventKind.supervision_opened,
            principal=principal,
            department_id=dept.id,
            comment=data.reason,
            data={"case_id": case.id},
            now=now,
        )
    notify.notify_department(
        session,
        department_id=dept.id,
        template="supervision_opened",
        ticket_id=case.ticket_id,
        now=now,
        params={
            "subject": data.subject,
            "target": dept.name,
            "reason": data.reason,
            "deadline": data.deadline.strftime("%Y-%m-%d"),
            "required": data.required_response,
        },
    )
    return case


def get_case(session: Session, *, case_id: int, principal: Principal) -> SupervisionCase:
    case = session.get(SupervisionCase, case_id)
    if case is None or not _may_see(case, principal):
        raise NotFound("case_not_found", id=case_id)
    return case


def _may_see(case: SupervisionCase, principal: Principal) -> bool:
    return policy.may(principal, Permission.supervise) or principal.department_id == case.department_id


def respond(
    session: Session, *, case_id: int, response: str, principal: Principal, now: datetime | None = None
) -> SupervisionCase:
    now = now or utcnow()
    case = get_case(session, case_id=case_id, principal=principal)
    if principal.department_id != case.department_id:
        raise PermissionDenied("supervision_respond_denied")
    if case.status == CaseStatus.closed:
        raise Conflict("case_closed", id=case_id)
    case.status, case.response, case.responded_at, case.responded_by_id = (
        CaseStatus.responded,
        response,
        now,
        principal.user_id,
    )
    _log(session, case, principal, EventKind.supervision_responded, response, now)
    return case


def close_case(
    session: Session, *, case_id: int, comment: str | None, principal: Principal, now: datetime | None = None
) -> SupervisionCase:
    now = now or utcnow()
    case = get_case(session, case_id=case_id, principal=principal)
    policy.check(principal, Permission.supervise, "supervision_denied")
    if case.status == CaseStatus.closed:
        raise Conflict("case_closed", id=case_id)
    case.status, case.closed_at, case.closing_comment = CaseStatus.closed, now, comment
    _log(session, case, principal, EventKind.supervision_closed, comment, now)
    return case


def _log(
    session: Session,
    case: SupervisionCase,
    principal: Principal,
    kind: EventKind,
    comment: str | None,
    now: datetime,
) -> None:
    if case.ticket_id is None:
        return
    ticket = get_ticket(session, ticket_id=case.ticket_id, principal=principal)
    events.record(
        session,
        ticket=ticket,
        kind=kind,
        principal=principal,
        department_id=case.department_id,
        comment=comment,
        data={"case_id": case.id},
        now=now,
    )


def list_cases(
    session: Session,
    *,
    principal: Principal,
    status: CaseStatus | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[SupervisionCase]:
    now = now or utcnow()
    stmt = select(SupervisionCase).order_by(SupervisionCase.deadline, SupervisionCase.id)
    if not policy.may(principal, Permission.supervise):
        stmt = stmt.where(SupervisionCase.department_id == principal.department_id)
    if status:
        stmt = stmt.where(SupervisionCase.status == status)
    if overdue:
        stmt = stmt.where(
            SupervisionCase.status == CaseStatus.open, passed_clause(SupervisionCase.deadline, now)
        )
    return list(session.scalars(stmt))


def is_overdue(case: SupervisionCase, now: datetime) -> bool:
    """Whether an open case is past the deadline of its response."""
    return case.status == CaseStatus.open and passed(case.deadline, now)
