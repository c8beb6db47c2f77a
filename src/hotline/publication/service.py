"""What the public sees and does (公开): the one rule of which requests the public may see, used by
every anonymous endpoint; what is shown of them; tracking one's own request; supports (点赞/附议).

A request is listed publicly only when all of these hold:
- the citizen chose it (the portal's checkbox, Open311's `attribute[public]=true`): `Ticket.public`;
- its type may be published: never a 举报 (report), whose author must stay unknown;
- staff have not marked it confidential (`Ticket.confidential`);
- screening has not flagged it as an emergency, a threat, abuse or a private matter (pending or
  confirmed: only a dismissed flag lets it through);
- it has been taken up — dispatched, answered or further on, never still `registered`: screening runs
  right after intake (in the request or a job) and an emergency or a flagged request stays
  registered until a person acts, so nothing unscreened is ever listed;
- it is not merged into another or handed off (those are shown through their master / not here).
What is shown of it: its text with personal data redacted (`privacy.redact`), its place generalised to
the street (district and street of its area; never the address written), coordinates rounded to
about a kilometre, and never the citizen's name, phone or ID number."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.errors import NotFound
from hotline.org.enums import AreaLevel
from hotline.org.models import Area
from hotline.privacy.redact import redact
from hotline.screening.enums import FlagKind, FlagStatus
from hotline.screening.models import ScreeningFlag
from hotline.tickets.enums import PUBLISHABLE_TYPES, AssignmentRole, AssignmentStatus
from hotline.tickets.models import Ticket, TicketSupport
from hotline.tickets.service import caller_hash, list_assignments
from hotline.tickets.states import Status

# flags that keep a request out of public view until a person dismisses them
PRIVATE_FLAGS = (FlagKind.emergency, FlagKind.threat, FlagKind.abusive, FlagKind.private_domain)
NOT_LISTED = (Status.registered, Status.merged, Status.handed_off)
COORDINATE_DECIMALS = 2  # ~1 km


def public_clause() -> ColumnElement[bool]:
    """The WHERE clause of the requests the public may see."""
    flagged = exists().where(
        ScreeningFlag.ticket_id == Ticket.id,
        ScreeningFlag.kind.in_(PRIVATE_FLAGS),
        ScreeningFlag.status != FlagStatus.dismissed,
    )
    return and_(
        Ticket.public.is_(True),
        Ticket.confidential.is_(False),
        Ticket.request_type.in_([t.value for t in PUBLISHABLE_TYPES]),
        Ticket.status.not_in([s.value for s in NOT_LISTED]),
        ~flagged,
    )


def public_place(session: Session, area_id: int | None) -> str | None:
    """The request's place as the public sees it: its district and street (街道), nothing finer."""
    if area_id is None:
        return None
    area = session.get(Area, area_id)
    if area is None:
        return None
    ids = [int(i) for i in area.path.strip("/").split("/") if i]
    chain = [a for a in (session.get(Area, i) for i in ids) if a is not None] or [area]
    keep = [a.name for a in chain if AreaLevel(a.level) in (AreaLevel.district, AreaLevel.street)]
    if not keep:
        keep = [a.name for a in chain if AreaLevel(a.level) == AreaLevel.city]
    return "".join(keep) or None


def public_coordinate(value: float | None) -> float | None:
    """A coordinate rounded to about a kilometre."""
    return None if value is None else round(value, COORDINATE_DECIMALS)


def get_public_ticket(session: Session, *, number: str, tracking_code: str) -> Ticket:
    """Return a ticket for a citizen who knows its number and tracking code."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or not secrets.compare_digest(ticket.tracking_code, tracking_code):
        raise NotFound("ticket_not_found", id=number)
    return ticket


class PublicProgress(NamedTuple):
    shown: Ticket  # the ticket whose progress counts: its master, once merged
    title: str  # the request's own title
    reply: str | None  # the reply approved for the citizen


def public_progress(session: Session, ticket: Ticket) -> PublicProgress:
    """What a citizen is shown of their request: its title, the ticket whose progress counts (its
    master, once merged) and the reply approved for them (the direct answer, or the lead department's
    reply once the centre approved it) — personal data redacted: whoever holds a number and code sees
    it."""
    shown = session.get(Ticket, ticket.master_id) if ticket.master_id else ticket
    assert shown is not None  # a foreign key
    reply = shown.answer
    if shown.status in (Status.follow_up, Status.closed) and not shown.answered_directly:
        replied = [
            a
            for a in list_assignments(session, ticket_id=shown.id)
            if a.role == AssignmentRole.lead and a.status == AssignmentStatus.replied
        ]
        reply = replied[-1].reply if replied else None
    return PublicProgress(shown, redact(ticket.title), redact(reply) if reply else reply)


def support(session: Session, *, number: str, phone: str, now: datetime | None = None) -> tuple[Ticket, bool]:
    """Record one person's support (点赞/附议) of a request; a second one by the same phone counts once.
    Returns the ticket and whether this support was new."""
    now = now or utcnow()
    # only a request the public may see can be supported: the others are not known to exist
    ticket = session.scalar(select(Ticket).where(Ticket.number == number, public_clause()))
    if ticket is None:
        raise NotFound("ticket_not_found", id=number)
    try:
        with session.begin_nested():
            session.add(TicketSupport(ticket_id=ticket.id, supporter_hash=caller_hash(phone), created_at=now))
            session.flush()
    except IntegrityError:
        return ticket, False
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(supports=Ticket.supports + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(ticket)
    return ticket, True
