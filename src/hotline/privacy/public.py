"""What of a request the public may see (公开), the one rule every anonymous endpoint uses.

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

from sqlalchemy import ColumnElement, and_, exists
from sqlalchemy.orm import Session

from hotline.org.enums import AreaLevel
from hotline.org.models import Area
from hotline.screening.models import ScreeningFlag
from hotline.tickets.enums import RequestType
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status

PUBLISHABLE_TYPES = frozenset(
    {RequestType.consult, RequestType.help, RequestType.complaint, RequestType.suggestion, RequestType.praise}
)
# flags that keep a request out of public view until a person dismisses them
PRIVATE_FLAGS = ("emergency", "threat", "abusive", "private_domain")
NOT_LISTED = (Status.registered, Status.merged, Status.handed_off)
COORDINATE_DECIMALS = 2  # ~1 km


def public_clause() -> ColumnElement[bool]:
    """The WHERE clause of the requests the public may see."""
    flagged = exists().where(
        ScreeningFlag.ticket_id == Ticket.id,
        ScreeningFlag.kind.in_(PRIVATE_FLAGS),
        ScreeningFlag.status != "dismissed",
    )
    return and_(
        Ticket.public.is_(True),
        Ticket.confidential.is_(False),
        Ticket.request_type.in_([t.value for t in PUBLISHABLE_TYPES]),
        Ticket.status.not_in([s.value for s in NOT_LISTED]),
        ~flagged,
    )


def may_publish(request_type: RequestType | str) -> bool:
    """Whether a request of this type may ever be made public."""
    return RequestType(request_type) in PUBLISHABLE_TYPES


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
