"""The front door: store a request, then screen it and suggest its dispatch.

The ticket is committed before anything else runs, so it is durable before it is acknowledged and its
day's number counter is released at once (screening and the suggestion never hold it); screening and
dispatch may fail without losing the request."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.dispatch import service as dispatch_service
from hotline.screening import service as screening_service
from hotline.tickets import service as ticket_service
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketCreate


def register(
    session: Session, *, data: TicketCreate, principal: Principal, idempotency_key: str | None = None
) -> tuple[Ticket, bool]:
    """Create the ticket (or find the one this key or external id already made); a new one is then
    screened and routed, in a second transaction (routed by the scheduler instead when
    HOTLINE_DISPATCH_ON_INTAKE=background)."""
    ticket, created = ticket_service.create_ticket(
        session, data=data, principal=principal, idempotency_key=idempotency_key
    )
    if created:
        session.commit()
        screening_service.screen_ticket(session, ticket=ticket)
        if get_settings().dispatch_on_intake == "sync":
            dispatch_service.route_new_ticket(session, ticket=ticket)
    return ticket, created
