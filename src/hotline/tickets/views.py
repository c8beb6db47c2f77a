"""Build the views of tickets a principal sees: contact masked unless the role may see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.tickets import service
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import AssignmentOut, AttachmentOut, TicketOut, TicketSummary
from hotline.workflow.states import STATUSES, Status
from hotline.workflow.transitions import allowed_actions


def status_label(status: str, lang: str = "zh") -> str:
    """Return a status's label in the language asked for."""
    info = STATUSES[Status(status)]
    return info.label_en if lang == "en" else info.label_zh


def summary(
    ticket: Ticket, principal: Principal, *, now: datetime | None = None, lang: str = "zh"
) -> TicketSummary:
    """Return the list view of a ticket."""
    now = now or utcnow()
    phone = (
        ticket.citizen_phone
        if service.may_see_contact(principal)
        else service.mask_phone(ticket.citizen_phone)
    )
    return TicketSummary(
        id=ticket.id,
        number=ticket.number,
        title=ticket.title,
        channel=ticket.channel,
        request_type=ticket.request_type,
        urgency=ticket.urgency,
        status=Status(ticket.status),
        status_label=status_label(ticket.status, lang),
        status_category=STATUSES[Status(ticket.status)].category,
        category_id=ticket.category_id,
        category_name=ticket.category.full_name if ticket.category else None,
        area_id=ticket.area_id,
        area_name=ticket.area.name if ticket.area else None,
        lead_department_id=ticket.lead_department_id,
        citizen_name=ticket.citizen_name,
        citizen_phone=phone,
        created_at=ticket.created_at,
        due_at=ticket.due_at,
        overdue=service.is_overdue(ticket, now),
    )


def detail(
    session: Session,
    ticket: Ticket,
    principal: Principal,
    *,
    now: datetime | None = None,
    lang: str = "zh",
    undispatched: bool = False,
) -> TicketOut:
    """Return the full view of a ticket with its assignments and the actions the principal may take
    (undispatched: the caller knows there are none, e.g. a ticket just registered)."""
    base = summary(ticket, principal, now=now, lang=lang)
    assignments = (
        []
        if undispatched
        else [AssignmentOut.model_validate(a) for a in service.list_assignments(session, ticket_id=ticket.id)]
    )
    return TicketOut(
        **base.model_dump(),
        content=ticket.content,
        public=ticket.public,
        confidential=ticket.confidential,
        address=ticket.address,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        external_id=ticket.external_id,
        no_contact=ticket.no_contact,
        dispatched_at=ticket.dispatched_at,
        paused_at=ticket.paused_at,
        closed_at=ticket.closed_at,
        answered_directly=ticket.answered_directly,
        answer=ticket.answer,
        reopen_count=ticket.reopen_count,
        master_id=ticket.master_id,
        resolved=ticket.resolved,
        satisfaction=ticket.satisfaction,
        attachments=[AttachmentOut.model_validate(x) for x in ticket.attachments],
        assignments=assignments,
        allowed_actions=[a.value for a in allowed_actions(Status(ticket.status), principal.role)],
    )
