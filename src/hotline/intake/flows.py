"""The front door's flow: store a request, then screen it and suggest its dispatch.

The ticket is committed before anything else runs, so it is durable before it is acknowledged;
screening and dispatch may fail without losing the request.

With HOTLINE_DISPATCH_ON_INTAKE=background the request only stores the ticket: on PostgreSQL a job
(intake.jobs.process_ticket) is deferred in the same transaction and a `hotline worker` screens and routes
it moments later; on SQLite the scheduler's sweep does (`process_pending`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch import service as dispatch_service
from hotline.dispatch import signals
from hotline.dispatch.models import DispatchSuggestion
from hotline.jobs import queue
from hotline.screening import service as screening_service
from hotline.screening.models import ScreeningFlag
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import Urgency
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketCreate
from hotline.tickets.states import Status

PENDING_GRACE = timedelta(minutes=5)
PROCESS_TICKET = "hotline.process_ticket"  # the queue task of intake.jobs


def register(
    session: Session,
    *,
    data: TicketCreate,
    principal: Principal,
    idempotency_key: str | None = None,
    client: str | None = None,
) -> tuple[Ticket, bool]:
    """Create the ticket (or find the one this key or external id already made); a new one is then
    screened and routed — in a second transaction of this request, or by a job (background mode)."""
    ticket, created = ticket_service.create_ticket(
        session, data=data, principal=principal, idempotency_key=idempotency_key, client=client
    )
    if not created:
        return ticket, False
    if get_settings().dispatch_on_intake == "background":
        if queue.available(session):
            queue.defer(session, PROCESS_TICKET, priority=_priority(ticket), ticket_id=ticket.id)
        session.commit()
        return ticket, True
    session.commit()
    _screen_and_route(session, ticket)
    return ticket, True


def _priority(ticket: Ticket) -> int:
    """Jobs of requests that sound urgent go first when a backlog builds up (a text check of a
    fraction of a millisecond; screening itself then runs in the job)."""
    said = URGENCY_PRIORITY.get(str(ticket.urgency), 0)
    return max(
        said, URGENCY_PRIORITY.get(signals.urgency(ticket.title, ticket.content, meaning=False).value, 0)
    )


URGENCY_PRIORITY = {Urgency.emergency.value: 100, Urgency.urgent.value: 50}


def process(session: Session, *, ticket_id: int, now: datetime | None = None) -> str:
    """Screen and route one registered ticket, once: a ticket already routed (or no longer waiting)
    is left alone, so a job run twice, or a job and the sweep together, act once. The ticket row is
    locked for the duration."""
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        return "missing"
    if ticket.status != Status.registered or _routed(session, ticket.id):
        return "already"
    screened = session.scalar(select(exists().where(ScreeningFlag.ticket_id == ticket.id)))
    _screen_and_route(session, ticket, now=now, screened=bool(screened))
    return "done"


def process_pending(session: Session, *, now: datetime | None = None, limit: int = 200) -> int:
    """Sweep: process registered tickets not yet routed (background mode). On SQLite this is how they
    are processed; on PostgreSQL their jobs do it, and the sweep takes only tickets left waiting
    longer than PENDING_GRACE (a job that failed every retry, tickets from before the switch)."""
    now = now or utcnow()
    routed = select(DispatchSuggestion.id).where(DispatchSuggestion.ticket_id == Ticket.id).exists()
    stmt = select(Ticket.id).where(Ticket.status == Status.registered.value, ~routed)
    if queue.available(session):
        stmt = stmt.where(Ticket.created_at < now - PENDING_GRACE)
    ids = list(session.scalars(stmt.order_by(Ticket.created_at).limit(limit)))
    for ticket_id in ids:
        process(session, ticket_id=ticket_id, now=now)
    return len(ids)


def _routed(session: Session, ticket_id: int) -> bool:
    return bool(session.scalar(select(exists().where(DispatchSuggestion.ticket_id == ticket_id))))


def _screen_and_route(
    session: Session, ticket: Ticket, *, now: datetime | None = None, screened: bool = False
) -> None:
    """Screen (unless an earlier run did) and route; a ticket just registered has no flags yet."""
    if not screened:
        screening_service.screen_ticket(session, ticket=ticket, now=now)
    dispatch_service.route_new_ticket(session, ticket=ticket, now=now)
