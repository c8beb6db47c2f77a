"""The ticket lifecycle: every action goes through the transition table and appends an event."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.categories.models import Category
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied, referencing
from hotline.org import service as org_service
from hotline.sla import service as sla_service
from hotline.tickets import events
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import (
    ACTIVE_ASSIGNMENT,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    LinkKind,
    Satisfaction,
    Urgency,
)
from hotline.tickets.models import Assignment, Ticket, TicketLink
from hotline.tickets.states import STATUSES, Status
from hotline.workflow.enums import ExtensionStatus
from hotline.workflow.models import ExtensionRequest
from hotline.workflow.transitions import TRANSITIONS, Action, check

log = logging.getLogger(__name__)
A = AssignmentStatus


def _apply(
    session: Session,
    ticket: Ticket,
    principal: Principal,
    action: Action,
    *,
    now: datetime,
    to: Status | None = None,
    assignment: Assignment | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Check `action` against the table, move the ticket (and its clock), and append the event."""
    rule = check(action, Status(ticket.status), principal.role)
    old = Status(ticket.status)
    target = to if to is not None else (rule.targets[0] if rule.targets else None)
    if target is not None:
        if target not in rule.targets:
            raise InvalidTransition("invalid_transition", action=action.value, status=old.value)
        ticket.status = target
        data = _move_clock(session, ticket, old, target, now) | (data or {})
    ticket.updated_at = now
    events.record(
        session,
        ticket=ticket,
        kind=EventKind(action.value),
        principal=principal,
        from_status=old.value,
        to_status=target.value if target else None,
        assignment_id=assignment.id if assignment else None,
        department_id=assignment.department_id if assignment else None,
        comment=comment,
        data=data,
        now=now,
    )
    return ticket


def _move_clock(session: Session, ticket: Ticket, old: Status, new: Status, now: datetime) -> dict[str, Any]:
    """The SLA clock follows the states' `pauses_clock` flag: entering a pausing state stops it;
    leaving one moves the ticket's and its active assignments' stored deadlines back by the working
    time spent paused (returned for the event)."""
    was_paused, pauses = STATUSES[old].pauses_clock, STATUSES[new].pauses_clock
    if pauses and not was_paused:
        ticket.paused_at = now
        return {}
    if not was_paused or pauses:
        return {}
    paused_from = ticket.paused_at or now
    cal = sla_service.work_calendar(session)
    if ticket.due_at is not None:
        ticket.due_at = cal.shift_by_working_time(ticket.due_at, paused_from, now)
    for a in session.scalars(
        select(Assignment).where(Assignment.ticket_id == ticket.id, Assignment.status.in_(ACTIVE_ASSIGNMENT))
    ):
        a.due_at = cal.shift_by_working_time(a.due_at, paused_from, now)
    ticket.paused_at = None
    return {"paused_working_seconds": cal.working_seconds_between(paused_from, now)}


def _record_side_action(
    session: Session,
    ticket: Ticket,
    principal: Principal,
    action: Action,
    assignment: Assignment,
    *,
    now: datetime,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a co-handler's action: the role is checked, the ticket's status does not move."""
    if principal.role not in TRANSITIONS[action].roles:
        raise PermissionDenied("role_forbidden", action=action.value, role=principal.role.value)
    ticket.updated_at = now
    events.record(
        session,
        ticket=ticket,
        kind=EventKind(action.value),
        principal=principal,
        from_status=ticket.status,
        assignment_id=assignment.id,
        department_id=assignment.department_id,
        comment=comment,
        data=data,
        now=now,
    )


def _load(session: Session, ticket_id: int, principal: Principal) -> Ticket:
    return ticket_service.get_ticket(session, ticket_id=ticket_id, principal=principal)


def _my_assignment(
    session: Session, ticket: Ticket, principal: Principal, statuses: tuple[AssignmentStatus, ...]
) -> Assignment:
    """Return the acting department's assignment on this ticket (the lead's, for centre staff)."""
    stmt = select(Assignment).where(Assignment.ticket_id == ticket.id, Assignment.status.in_(statuses))
    if principal.department_id is not None and not policy.may(principal, Permission.act_for_centre):
        stmt = stmt.where(Assignment.department_id == principal.department_id)
    else:
        stmt = stmt.where(Assignment.role == AssignmentRole.lead)
    found = session.scalars(stmt.order_by(Assignment.role.desc(), Assignment.id.desc())).first()
    # "lead" > "co": descending puts the lead first when a department holds both
    if found is None:
        if principal.department_id is not None and not policy.may(principal, Permission.act_for_centre):
            any_mine = session.scalar(
                select(Assignment.id).where(
                    Assignment.ticket_id == ticket.id, Assignment.department_id == principal.department_id
                )
            )
            if any_mine is None:
                raise PermissionDenied("not_your_assignment", number=ticket.number)
        raise InvalidTransition("assignment_state", number=ticket.number)
    return found


def _lead(session: Session, ticket: Ticket, statuses: tuple[AssignmentStatus, ...]) -> Assignment | None:
    return session.scalars(
        select(Assignment)
        .where(
            Assignment.ticket_id == ticket.id,
            Assignment.role == AssignmentRole.lead,
            Assignment.status.in_(statuses),
        )
        .order_by(Assignment.id.desc())
    ).first()


def _cancel_active(session: Session, ticket: Ticket, statuses: tuple[AssignmentStatus, ...]) -> list[int]:
    cancelled = []
    for a in session.scalars(
        select(Assignment).where(Assignment.ticket_id == ticket.id, Assignment.status.in_(statuses))
    ):
        a.status = A.cancelled
        cancelled.append(a.id)
    return cancelled


def _create_assignments(
    session: Session,
    ticket: Ticket,
    principal: Principal,
    *,
    department_id: int,
    co_department_ids: list[int],
    instructions: str | None,
    now: datetime,
) -> tuple[Assignment, list[Assignment], int | None]:
    """Send the ticket to a lead and co-handling departments, with fresh stored deadlines."""
    if department_id in co_department_ids or len(set(co_department_ids)) != len(co_department_ids):
        raise InvalidInput("co_departments_distinct")
    with referencing():
        lead_dept = org_service.get_department(session, department_id=department_id)
        co_depts = [org_service.get_department(session, department_id=d) for d in co_department_ids]
    for dept in (lead_dept, *co_depts):
        if not dept.active:
            raise InvalidInput("department_inactive", id=dept.id)
    dl = sla_service.deadlines(
        session,
        request_type=ticket.request_type,
        urgency=ticket.urgency,
        category=ticket.category,
        start=now,
    )
    ticket.due_at, ticket.dispatched_at, ticket.lead_department_id = dl.due_at, now, lead_dept.id

    def make(dept_id: int, role: AssignmentRole) -> Assignment:
        a = Assignment(
            ticket_id=ticket.id,
            department_id=dept_id,
            role=role,
            status=A.pending,
            created_at=now,
            created_by_id=principal.user_id,
            sign_due_at=dl.sign_due_at,
            due_at=dl.due_at,
            instructions=instructions,
        )
        session.add(a)
        return a

    lead = make(lead_dept.id, AssignmentRole.lead)
    cos = [make(d.id, AssignmentRole.co) for d in co_depts]
    session.flush()
    return lead, cos, dl.rule_id


def _dispatch_data(lead: Assignment, cos: list[Assignment], rule_id: int | None) -> dict[str, Any]:
    return {
        "department_id": lead.department_id,
        "co_department_ids": [c.department_id for c in cos],
        "sign_due_at": lead.sign_due_at.isoformat(),
        "due_at": lead.due_at.isoformat(),
        "sla_rule_id": rule_id,
    }


def answer_directly(
    session: Session,
    *,
    ticket_id: int,
    answer: str,
    principal: Principal,
    now: datetime | None = None,
    knowledge_article_id: int | None = None,
) -> Ticket:
    """Answer on the spot (直接答复), optionally from a KB article that is served now; the ticket goes
    to follow-up like any other."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    if knowledge_article_id is not None:
        from hotline.kb.service import get_article, is_served

        with referencing():
            article = get_article(session, article_id=knowledge_article_id)
        if not is_served(article, now):
            raise InvalidInput("article_not_served", id=knowledge_article_id)
    _apply(
        session,
        ticket,
        principal,
        Action.answer_directly,
        now=now,
        comment=answer,
        data={"knowledge_article_id": knowledge_article_id},
    )
    ticket.answered_directly, ticket.answer = True, answer
    return ticket


def dispatch(
    session: Session,
    *,
    ticket_id: int,
    department_id: int,
    principal: Principal,
    co_department_ids: list[int] | None = None,
    instructions: str | None = None,
    category_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Send a registered ticket to a lead department (主办), optionally with co-handlers (协办), and
    set or correct its category on the way."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.dispatch, Status(ticket.status), principal.role)
    recategorized = _recategorize(session, ticket, category_id)
    lead, cos, rule_id = _create_assignments(
        session,
        ticket,
        principal,
        department_id=department_id,
        co_department_ids=co_department_ids or [],
        instructions=instructions,
        now=now,
    )
    _apply(
        session,
        ticket,
        principal,
        Action.dispatch,
        now=now,
        assignment=lead,
        comment=instructions,
        data=_dispatch_data(lead, cos, rule_id) | recategorized,
    )
    return ticket


def _recategorize(session: Session, ticket: Ticket, category_id: int | None) -> dict[str, Any]:
    """Set the ticket's category; return what changed, for the event (a correction teaches the model)."""
    if category_id is None or category_id == ticket.category_id:
        return {}
    if session.get(Category, category_id) is None:
        raise InvalidInput("unknown_category", id=category_id)
    change = {"category_from": ticket.category_id, "category_to": category_id}
    ticket.category_id = category_id
    return change


def sign(session: Session, *, ticket_id: int, principal: Principal, now: datetime | None = None) -> Ticket:
    """Sign for an assignment (签收); the lead's signature starts processing."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, (A.pending,))
    data = {"late": now > mine.sign_due_at}
    if mine.role == AssignmentRole.lead:
        _apply(session, ticket, principal, Action.sign, now=now, assignment=mine, data=data)
    else:
        _record_side_action(session, ticket, principal, Action.sign, mine, now=now, data=data)
    mine.status, mine.signed_at = A.signed, now
    return ticket


def hand_down(
    session: Session,
    *,
    ticket_id: int,
    department_id: int,
    principal: Principal,
    instructions: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand the lead assignment down to a unit below (转办); the overall deadline stays."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, ACTIVE_ASSIGNMENT)
    if mine.role != AssignmentRole.lead:
        raise InvalidInput("hand_down_lead_only")
    below = org_service.department_subtree_ids(session, department_id=mine.department_id) - {
        mine.department_id
    }
    if department_id not in below:
        raise InvalidInput("hand_down_not_below", id=department_id)
    target = org_service.get_department(session, department_id=department_id)
    dl = sla_service.deadlines(
        session, request_type=ticket.request_type, urgency=ticket.urgency, category=ticket.category, start=now
    )
    child = Assignment(
        ticket_id=ticket.id,
        department_id=target.id,
        role=AssignmentRole.lead,
        status=A.pending,
        parent_id=mine.id,
        created_at=now,
        created_by_id=principal.user_id,
        sign_due_at=min(dl.sign_due_at, mine.due_at),
        due_at=mine.due_at,
        instructions=instructions,
    )
    session.add(child)
    session.flush()
    mine.status = A.handed_down
    ticket.lead_department_id = target.id
    _apply(
        session,
        ticket,
        principal,
        Action.hand_down,
        now=now,
        assignment=mine,
        comment=instructions,
        data={"to_department_id": target.id, "new_assignment_id": child.id},
    )
    return ticket


def return_ticket(
    session: Session,
    *,
    ticket_id: int,
    reason: str,
    principal: Principal,
    basis: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Return an assignment as not the department's duty (退单), with reason and basis."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, ACTIVE_ASSIGNMENT)
    data = {"reason": reason, "basis": basis}
    if mine.role == AssignmentRole.lead:
        _apply(
            session, ticket, principal, Action.return_, now=now, assignment=mine, comment=reason, data=data
        )
    else:
        _record_side_action(
            session, ticket, principal, Action.return_, mine, now=now, comment=reason, data=data
        )
    mine.status, mine.returned_at, mine.return_reason, mine.return_basis = A.returned, now, reason, basis
    return ticket


def accept_return(
    session: Session,
    *,
    ticket_id: int,
    department_id: int,
    principal: Principal,
    co_department_ids: list[int] | None = None,
    instructions: str | None = None,
    comment: str | None = None,
    category_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Agree with a return and re-dispatch to the right department, with fresh deadlines (and the
    right category, when the first one was wrong)."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.accept_return, Status(ticket.status), principal.role)
    returned = _lead(session, ticket, (A.returned,))
    if returned is not None and returned.department_id == department_id:
        raise InvalidInput("redispatch_same_department")
    cancelled = _cancel_active(session, ticket, (A.returned, *ACTIVE_ASSIGNMENT))
    lead, cos, rule_id = _create_assignments(
        session,
        ticket,
        principal,
        department_id=department_id,
        co_department_ids=co_department_ids or [],
        instructions=instructions,
        now=now,
    )
    data = (
        _dispatch_data(lead, cos, rule_id)
        | {"cancelled_assignment_ids": cancelled}
        | _recategorize(session, ticket, category_id)
    )
    _apply(
        session, ticket, principal, Action.accept_return, now=now, assignment=lead, comment=comment, data=data
    )
    return ticket


def reject_return(
    session: Session, *, ticket_id: int, comment: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Refuse a return: the department keeps the ticket, its deadlines unchanged."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.reject_return, Status(ticket.status), principal.role)
    returned = _lead(session, ticket, (A.returned,))
    if returned is None:
        raise InvalidTransition("assignment_state", number=ticket.number)
    returned.status = A.signed if returned.signed_at else A.pending
    to = Status.processing if returned.signed_at else Status.dispatched
    _apply(
        session, ticket, principal, Action.reject_return, now=now, to=to, assignment=returned, comment=comment
    )
    return ticket


def request_extension(
    session: Session,
    *,
    ticket_id: int,
    days: int,
    reason: str,
    principal: Principal,
    now: datetime | None = None,
) -> ExtensionRequest:
    """Ask for more working days (延期), before the deadline, one request at a time."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, (A.signed,))
    if mine.role != AssignmentRole.lead:
        raise InvalidInput("extension_lead_only")
    if now >= mine.due_at:
        raise Conflict("extension_too_late", due_at=mine.due_at.isoformat())
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.status == ExtensionStatus.pending
        )
    )
    if pending is not None:
        raise Conflict("extension_pending", id=pending)
    ext = ExtensionRequest(
        ticket_id=ticket.id,
        assignment_id=mine.id,
        requested_days=days,
        reason=reason,
        requested_at=now,
        requested_by_id=principal.user_id,
        old_due_at=mine.due_at,
    )
    session.add(ext)
    session.flush()
    _apply(
        session,
        ticket,
        principal,
        Action.request_extension,
        now=now,
        assignment=mine,
        comment=reason,
        data={"extension_id": ext.id, "days": days},
    )
    return ext


def decide_extension(
    session: Session,
    *,
    ticket_id: int,
    extension_id: int,
    approve: bool,
    principal: Principal,
    days: int | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> ExtensionRequest:
    """Approve (moving the stored deadlines) or deny an extension request."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.decide_extension, Status(ticket.status), principal.role)
    ext = session.get(ExtensionRequest, extension_id)
    if ext is None or ext.ticket_id != ticket.id:
        raise NotFound("extension_not_found", id=extension_id)
    if ext.status != ExtensionStatus.pending:
        raise Conflict("extension_decided", id=extension_id)
    ext.decided_at, ext.decided_by_id, ext.decision_comment = now, principal.user_id, comment
    data: dict[str, Any] = {"extension_id": ext.id, "approved": approve}
    assignment = session.get(Assignment, ext.assignment_id)
    assert assignment is not None
    if approve:
        granted = days or ext.requested_days
        cal = sla_service.work_calendar(session)
        new_due = cal.add_working_days(assignment.due_at, granted)
        ext.status, ext.new_due_at = ExtensionStatus.approved, new_due
        assignment.due_at = new_due
        ticket.due_at = new_due
        data |= {"days": granted, "old_due_at": ext.old_due_at.isoformat(), "new_due_at": new_due.isoformat()}
    else:
        ext.status = ExtensionStatus.denied
    _apply(
        session,
        ticket,
        principal,
        Action.decide_extension,
        now=now,
        assignment=assignment,
        comment=comment,
        data=data,
    )
    return ext


def suspend(
    session: Session, *, ticket_id: int, reason: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Pause the clock while waiting for the citizen (e.g. for documents)."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, (A.signed,))
    _apply(session, ticket, principal, Action.suspend, now=now, assignment=mine, comment=reason)
    return ticket


def resume(session: Session, *, ticket_id: int, principal: Principal, now: datetime | None = None) -> Ticket:
    """Restart the clock; the stored deadlines move back by the working time spent paused."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, (A.signed,))
    _apply(session, ticket, principal, Action.resume, now=now, assignment=mine)
    return ticket


def reply(
    session: Session, *, ticket_id: int, reply: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Report the result (办结反馈); the lead's reply goes to centre review."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    mine = _my_assignment(session, ticket, principal, (A.signed,))
    data = {"late": ticket.due_at is not None and now > mine.due_at}
    if mine.role == AssignmentRole.lead:
        _apply(session, ticket, principal, Action.reply, now=now, assignment=mine, comment=reply, data=data)
    else:
        _record_side_action(session, ticket, principal, Action.reply, mine, now=now, comment=reply, data=data)
    mine.status, mine.replied_at, mine.reply = A.replied, now, reply
    return ticket


def approve_reply(
    session: Session,
    *,
    ticket_id: int,
    principal: Principal,
    comment: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Approve the department's reply (审核通过); the ticket goes to follow-up."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    lead = _lead(session, ticket, (A.replied,))
    _apply(session, ticket, principal, Action.approve_reply, now=now, assignment=lead, comment=comment)
    return ticket


def reject_reply(
    session: Session, *, ticket_id: int, comment: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Send the reply back (审核退回); the department handles again within the same deadline."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.reject_reply, Status(ticket.status), principal.role)
    lead = _lead(session, ticket, (A.replied,))
    if lead is None:
        raise InvalidTransition("assignment_state", number=ticket.number)
    lead.status, lead.replied_at = A.signed, None
    _apply(
        session,
        ticket,
        principal,
        Action.reject_reply,
        now=now,
        assignment=lead,
        comment=comment,
        data={"rejected_reply": lead.reply},
    )
    return ticket


def record_follow_up(
    session: Session,
    *,
    ticket_id: int,
    resolved: bool,
    satisfaction: Satisfaction,
    principal: Principal,
    comment: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record the citizen's word at follow-up (回访) and close the ticket."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    _apply(
        session,
        ticket,
        principal,
        Action.record_follow_up,
        now=now,
        comment=comment,
        data={"resolved": resolved, "satisfaction": satisfaction.value},
    )
    ticket.resolved, ticket.satisfaction, ticket.followed_up_at, ticket.closed_at = (
        resolved,
        satisfaction,
        now,
        now,
    )
    return ticket


def record_merged_follow_up(
    session: Session,
    *,
    ticket_id: int,
    resolved: bool,
    satisfaction: Satisfaction,
    principal: Principal,
    comment: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record the word of a citizen whose ticket was merged into another (并单): the ticket stays
    merged; its own resolution and satisfaction count for the master's handling."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    if ticket.status != Status.merged:
        raise InvalidInput("not_merged", number=ticket.number)
    ticket.resolved, ticket.satisfaction, ticket.followed_up_at = resolved, satisfaction, now
    ticket.updated_at = now
    events.record(
        session,
        ticket=ticket,
        kind=EventKind.record_follow_up,
        principal=principal,
        from_status=ticket.status,
        comment=comment,
        data={"resolved": resolved, "satisfaction": satisfaction.value, "master_id": ticket.master_id},
        now=now,
    )
    return ticket


def close(
    session: Session, *, ticket_id: int, comment: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Close without follow-up (the citizen asked for no contact, or could not be reached)."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    _apply(session, ticket, principal, Action.close, now=now, comment=comment)
    ticket.closed_at = now
    return ticket


def reopen(
    session: Session,
    *,
    ticket_id: int,
    reason: str,
    principal: Principal,
    department_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Reopen (重办): send the ticket again, by default to the last lead department, with new deadlines."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.reopen, Status(ticket.status), principal.role)
    target = department_id or ticket.lead_department_id
    if target is None:
        raise InvalidInput("reopen_department_required")
    lead, cos, rule_id = _create_assignments(
        session, ticket, principal, department_id=target, co_department_ids=[], instructions=reason, now=now
    )
    previous = {"resolved": ticket.resolved, "satisfaction": ticket.satisfaction}
    ticket.reopen_count += 1
    ticket.resolved = ticket.satisfaction = ticket.followed_up_at = ticket.closed_at = None
    ticket.answered_directly = False
    _apply(
        session,
        ticket,
        principal,
        Action.reopen,
        now=now,
        assignment=lead,
        comment=reason,
        data=_dispatch_data(lead, cos, rule_id) | {"previous": previous},
    )
    return ticket


def merge(
    session: Session,
    *,
    ticket_id: int,
    master_id: int,
    principal: Principal,
    comment: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Merge a duplicate into a master ticket (并单); its citizen still gets the master's progress."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    if master_id == ticket.id:
        raise InvalidInput("merge_into_self")
    with referencing():
        master = _load(session, master_id, principal)
    if master.status == Status.merged:
        raise InvalidInput("merge_into_merged", number=master.number)
    check(Action.merge, Status(ticket.status), principal.role)
    cancelled = _cancel_active(session, ticket, (A.returned, *ACTIVE_ASSIGNMENT))
    ticket.master_id, ticket.closed_at = master.id, now
    session.add(
        TicketLink(
            ticket_id=ticket.id,
            other_id=master.id,
            kind=LinkKind.duplicate_of,
            created_at=now,
            created_by_id=principal.user_id,
        )
    )
    _apply(
        session,
        ticket,
        principal,
        Action.merge,
        now=now,
        comment=comment,
        data={"master_id": master.id, "master_number": master.number, "cancelled_assignment_ids": cancelled},
    )
    events.record(
        session,
        ticket=master,
        kind=EventKind.merged_in,
        principal=principal,
        from_status=master.status,
        data={"ticket_id": ticket.id, "number": ticket.number},
        now=now,
    )
    return ticket


def hand_off(
    session: Session,
    *,
    ticket_id: int,
    service: str,
    principal: Principal,
    reference: str | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record the hand-off of an emergency to 110/119/120/122 (time, service, reference)."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    _apply(
        session,
        ticket,
        principal,
        Action.hand_off,
        now=now,
        comment=comment,
        data={"service": service, "reference": reference, "handed_at": now.isoformat()},
    )
    ticket.urgency, ticket.closed_at = Urgency.emergency, now
    return ticket


def withdraw(
    session: Session, *, ticket_id: int, reason: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Withdraw at the citizen's request (撤单); open assignments are cancelled."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    check(Action.withdraw, Status(ticket.status), principal.role)
    cancelled = _cancel_active(session, ticket, ACTIVE_ASSIGNMENT)
    _apply(
        session,
        ticket,
        principal,
        Action.withdraw,
        now=now,
        comment=reason,
        data={"cancelled_assignment_ids": cancelled},
    )
    ticket.closed_at = now
    return ticket


def add_comment(
    session: Session, *, ticket_id: int, comment: str, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Add a note to a ticket's log."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    _apply(session, ticket, principal, Action.comment, now=now, comment=comment)
    return ticket


def set_confidential(
    session: Session,
    *,
    ticket_id: int,
    confidential: bool,
    comment: str,
    principal: Principal,
    now: datetime | None = None,
) -> Ticket:
    """Mark a ticket confidential (保密: never shown to the public, whatever the citizen chose) or lift
    the mark; the reason goes to the log."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, principal)
    old = ticket.confidential
    ticket.confidential = confidential
    _apply(
        session,
        ticket,
        principal,
        Action.set_confidential,
        now=now,
        comment=comment,
        data={"confidential": confidential, "was": old},
    )
    return ticket


def list_extensions(
    session: Session, *, principal: Principal, status: ExtensionStatus | None = None
) -> list[ExtensionRequest]:
    """Return extension requests on tickets the principal may see."""
    stmt = (
        select(ExtensionRequest)
        .join(Ticket, Ticket.id == ExtensionRequest.ticket_id)
        .where(ticket_service.visible_clause(principal))
        .order_by(ExtensionRequest.requested_at)
    )
    if status:
        stmt = stmt.where(ExtensionRequest.status == status)
    return list(session.scalars(stmt))


def inbox(
    session: Session, *, principal: Principal, now: datetime | None = None
) -> list[tuple[Assignment, Ticket, float]]:
    """Return the acting department's open assignments, soonest deadline first, with working hours left."""
    if principal.department_id is None:
        raise InvalidInput("department_required", role=principal.role.value)
    now = now or utcnow()
    cal = sla_service.work_calendar(session)
    rows = session.execute(
        select(Assignment, Ticket)
        .join(Ticket, Ticket.id == Assignment.ticket_id)
        .where(Assignment.department_id == principal.department_id, Assignment.status.in_(ACTIVE_ASSIGNMENT))
        .order_by(Assignment.due_at)
    ).all()
    out = []
    for a, t in rows:
        left = cal.working_seconds_between(now, a.due_at) - cal.working_seconds_between(a.due_at, now)
        out.append((a, t, left / 3600))
    return out


def lead_reply(session: Session, *, ticket_id: int) -> Assignment | None:
    """The lead department's latest assignment that carries a reply (what the citizen is told)."""
    return session.scalar(
        select(Assignment)
        .where(
            Assignment.ticket_id == ticket_id,
            Assignment.role == AssignmentRole.lead,
            Assignment.reply.is_not(None),
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )
