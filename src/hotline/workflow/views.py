"""The full view of a ticket: its fields, assignments and the actions the principal may take now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.tickets import service
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import AssignmentOut, AttachmentOut, TicketOut
from hotline.tickets.states import Status
from hotline.tickets.views import summary
from hotline.workflow.transitions import allowed_actions


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
