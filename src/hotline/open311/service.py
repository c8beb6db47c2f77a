"""Open311's reads and look-ups over the ticket core: its services (the category tree's first two
levels), who reads (an API key's user, or the public), which requests a reader may list and what of
each they are shown. The HTTP adapter (api.py) parses the protocol and writes JSON or XML."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.principal import Principal
from hotline.categories.models import Category
from hotline.open311.schemas import Service, ServiceRequest
from hotline.org import service as org_service
from hotline.privacy.redact import redact
from hotline.publication.service import public_clause, public_coordinate, public_place
from hotline.tickets.enums import Channel
from hotline.tickets.models import Ticket
from hotline.tickets.service import visible_clause
from hotline.tickets.states import STATUSES, Status, StatusCategory
from hotline.tickets.views import status_label

MAX_RESULTS = 1000
MAX_PUBLIC_RESULTS = 200  # a read without a key: each text is redacted
CLOSED = [s.value for s, i in STATUSES.items() if i.category == StatusCategory.closed]


def services(session: Session) -> list[Service]:
    """Every service: the active categories of the first two levels."""
    rows = session.scalars(
        select(Category).where(Category.level <= 2, Category.active.is_(True)).order_by(Category.code)
    )
    return [_service(c) for c in rows]


def _service(cat: Category) -> Service:
    return Service(
        service_code=cat.code,
        service_name=cat.name,
        description=cat.full_name,
        keywords=cat.full_name.split("/"),
        group=cat.full_name.split("/")[0],
    )


def service_category(session: Session, code: str) -> Category | None:
    """The category behind a service code (None: no such service)."""
    return session.scalar(select(Category).where(Category.code == code, Category.level <= 2))


def reader(session: Session, key: str) -> Principal | None:
    """Who reads: the user of a valid API key, or None (the public); an invalid key is Unauthenticated."""
    return accounts_service.principal_from_token(session, token=key) if key else None


def _readable(who: Principal | None) -> ColumnElement[bool]:
    return public_clause() if who is None else visible_clause(who)


def created_request(session: Session, token: str) -> Ticket | None:
    """The request an Open311 token stands for (requests are made at once: the token is the number)."""
    return session.scalar(
        select(Ticket).where(Ticket.number == token, Ticket.channel == Channel.open311.value)
    )


def list_requests(
    session: Session,
    *,
    who: Principal | None,
    numbers: Sequence[str] | None = None,
    service_codes: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    closed: bool | None = None,
) -> list[ServiceRequest]:
    """The requests the reader may see: by number, or by service, date range and open/closed; the
    newest first, at most MAX_RESULTS (MAX_PUBLIC_RESULTS for the public). A list of numbers or services
    given but empty matches nothing."""
    stmt = select(Ticket).where(_readable(who))
    if numbers is not None:
        stmt = stmt.where(Ticket.number.in_(list(numbers)))
    else:
        if start is not None:
            stmt = stmt.where(Ticket.created_at >= start)
        if end is not None:
            stmt = stmt.where(Ticket.created_at <= end)
        if service_codes is not None:
            subtree = or_(
                false(), *[(Category.code == c) | Category.code.like(c + ".%") for c in service_codes]
            )
            stmt = stmt.where(Ticket.category_id.in_(select(Category.id).where(subtree)))
        if closed is True:
            stmt = stmt.where(Ticket.status.in_(CLOSED))
        elif closed is False:
            stmt = stmt.where(Ticket.status.not_in(CLOSED))
    limit = MAX_PUBLIC_RESULTS if who is None else MAX_RESULTS
    rows = list(session.scalars(stmt.order_by(Ticket.created_at.desc()).limit(limit)))
    return _records(session, rows, who)


def get_request(session: Session, *, who: Principal | None, number: str) -> ServiceRequest | None:
    """One request the reader may see (None: not found or not theirs to see)."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number, _readable(who)))
    return _records(session, [ticket], who)[0] if ticket is not None else None


def _records(session: Session, tickets: list[Ticket], who: Principal | None) -> list[ServiceRequest]:
    names = org_service.department_names(session)
    return [_record(session, t, names, public=who is None) for t in tickets]


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _record(session: Session, t: Ticket, departments: dict[int, str], *, public: bool) -> ServiceRequest:
    cat = session.get(Category, t.category_id) if t.category_id else None
    return ServiceRequest(
        service_request_id=t.number,
        status="closed" if STATUSES[Status(t.status)].category == StatusCategory.closed else "open",
        status_notes=status_label(t.status, "zh"),
        service_name=cat.name if cat else None,
        service_code=".".join(cat.code.split(".")[:2]) if cat else None,
        description=redact(t.content) if public else t.content,
        agency_responsible=departments.get(t.lead_department_id) if t.lead_department_id else None,
        requested_datetime=_iso(t.created_at),
        updated_datetime=_iso(t.updated_at),
        expected_datetime=_iso(t.due_at),
        address=public_place(session, t.area_id) if public else t.address,
        lat=public_coordinate(t.latitude) if public else t.latitude,
        long=public_coordinate(t.longitude) if public else t.longitude,
    )
