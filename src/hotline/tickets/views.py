"""The list view of tickets a principal sees: contact masked unless the role may see it (the full view,
with the actions one may take, is workflow.views)."""

from __future__ import annotations

from datetime import datetime

from hotline.accounts import policy
from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.tickets import service
from hotline.tickets.deadlines import is_overdue
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketSummary
from hotline.tickets.states import STATUSES, Status


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
        if policy.may_see_contact(principal)
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
        overdue=is_overdue(ticket.status, ticket.due_at, now),
    )
