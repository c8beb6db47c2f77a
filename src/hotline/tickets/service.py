"""Ticket intake and reads: numbering, idempotency, scoping by role, masking, filters, the event log."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
import weakref
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.categories import service as category_service
from hotline.categories.models import Category
from hotline.config import get_settings
from hotline.db import upsert_insert, utcnow
from hotline.errors import Conflict, NotFound, referencing
from hotline.nlp.text import normalize
from hotline.org import service as org_service
from hotline.org.models import Area
from hotline.privacy.crypto import blind_index
from hotline.tickets import events
from hotline.tickets.deadlines import overdue_clause
from hotline.tickets.enums import PUBLISHABLE_TYPES, EventKind, RequestType
from hotline.tickets.models import (
    Assignment,
    Attachment,
    ContactView,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from hotline.tickets.schemas import TicketCreate, TicketFilter
from hotline.tickets.states import STATUSES, Status

log = logging.getLogger(__name__)


def mask_phone(phone: str | None) -> str | None:
    """Return a phone number with its middle hidden: 13812345678 → 138****5678."""
    if not phone:
        return phone
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Return the WHERE clause of the tickets this principal may see (accounts.policy.ticket_scope)."""
    scope = policy.ticket_scope(principal)
    if scope.all:
        return true()
    if scope.department_id is None:
        return false()
    assigned = exists().where(
        Assignment.ticket_id == Ticket.id, Assignment.department_id == scope.department_id
    )
    if scope.area_path:
        in_area = Ticket.area_id.in_(select(Area.id).where(Area.path.like(scope.area_path + "%")))
        return or_(assigned, in_area)
    return assigned


def next_number(session: Session, *, now: datetime) -> str:
    """Return the next readable ticket number of the local day, e.g. 20261125-000123.

    PostgreSQL: a sequence per day (ticket_number_20261125), advanced by nextval() in the caller's
    transaction. A sequence takes no row lock, so registrations in every process run side by side
    instead of queueing behind one counter row until each commits. A registration that fails leaves
    its number unused, as a torn-out receipt would; numbers stay unique and increasing within the
    day. SQLite (one writer at a time anyway): a counter row per day in the caller's transaction."""
    day = now.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y%m%d")
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        seq = session.execute(_counter_upsert(bind.dialect.name), {"day": day}).scalar_one()
        return f"{day}-{seq:06d}"
    name = f"ticket_number_{day}"
    known = _day_sequences.setdefault(bind.engine, set())
    if name not in known:
        _create_day_sequence(bind.engine, name, day)
        known.add(name)
    try:
        seq = session.execute(text(f"SELECT nextval('{name}')")).scalar_one()  # name: digits only
    except ProgrammingError:
        known.discard(name)  # dropped under us (a restore): made again on the next registration
        raise
    return f"{day}-{seq:06d}"


# the day sequences each engine has made sure of (an engine per database: tests drop schemas)
_day_sequences: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def _create_day_sequence(engine: Engine, name: str, day: str) -> None:
    """Create the day's sequence if missing, starting after the day's counter row (numbers given
    before this release, or by a bulk import on another engine). In its own transaction: DDL does
    not ride in a registration."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None:
            return
        start = (conn.scalar(select(TicketCounter.last).where(TicketCounter.day == day)) or 0) + 1
        try:
            conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}"))
            conn.commit()
        except IntegrityError:
            conn.rollback()  # another process created it at the same moment


@functools.cache
def _insert_ticket(dialect: str) -> Any:
    """The ORM-enabled INSERT of a new ticket that skips a conflicting one and returns the entity."""
    return upsert_insert(dialect)(Ticket).on_conflict_do_nothing().returning(Ticket)


@functools.cache
def _counter_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING: one statement creates or advances the day's counter
    (built once per dialect; the day is a bound parameter)."""
    stmt = upsert_insert(dialect)(TicketCounter).values(day=bindparam("day"), last=1)
    return stmt.on_conflict_do_update(
        index_elements=[TicketCounter.day], set_={"last": TicketCounter.last + 1}
    ).returning(TicketCounter.last)


def log_contact_view(
    session: Session, *, principal: Principal, tickets: list[Ticket], via: str, now: datetime | None = None
) -> bool:
    """Record that the principal was shown the full contact details of these tickets (those that have
    any); returns whether the principal may see them at all. Every place that shows an unmasked phone
    calls this."""
    if not policy.may_see_contact(principal):
        return False
    shown = [t.id for t in tickets if t.citizen_phone]
    if shown:
        session.add(
            ContactView(
                at=now or utcnow(),
                user_id=principal.user_id,
                role=principal.role.value,
                via=via,
                ticket_ids=shown[:500],
                count=len(shown),
            )
        )
    return True


def list_contact_views(
    session: Session, *, user_id: int | None = None, ticket_id: int | None = None, limit: int = 200
) -> list[ContactView]:
    """The access log of contact details, newest first (a ticket's: every view that included it)."""
    stmt = select(ContactView).order_by(ContactView.id.desc())
    if user_id is not None:
        stmt = stmt.where(ContactView.user_id == user_id)
    rows = list(session.scalars(stmt.limit(limit if ticket_id is None else 10_000)))
    if ticket_id is not None:
        rows = [r for r in rows if ticket_id in (r.ticket_ids or [])][:limit]
    return rows


def content_hash(text: str) -> str:
    """The key of "the same text": sha256 of the normalised content (full-width, case, spacing)."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()


def caller_hash(phone: str) -> str:
    """The keyed hash a caller is known by (for screening and repeat-contact counts), never the number."""
    return blind_index(phone)


def idempotency_scope(principal: Principal, key: str, client: str | None) -> str:
    """The stored form of an Idempotency-Key: a user's keys are theirs alone; the anonymous public's
    are kept apart per client address, so nobody can replay or probe another citizen's key."""
    if principal.user_id is not None:
        return f"{principal.user_id}:{key}"
    who = blind_index(f"client:{client or 'unknown'}")[:12]
    return f"{principal.role.value}:{who}:{key}"


def _request_hash(data: TicketCreate) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _find_existing(
    session: Session, *, key: str | None, data: TicketCreate, request_hash: str
) -> Ticket | None:
    ticket = None
    if key is not None:
        ticket = session.scalar(select(Ticket).where(Ticket.idempotency_key == key))
    if ticket is None and data.external_id is not None:
        ticket = session.scalar(
            select(Ticket).where(Ticket.channel == data.channel, Ticket.external_id == data.external_id)
        )
    if ticket is not None and ticket.request_hash != request_hash:
        if ticket.registered_by_id is None:  # a citizen's: name no ticket to whoever sent the key
            raise Conflict("idempotency_mismatch_public")
        raise Conflict("idempotency_mismatch", number=ticket.number)
    return ticket


def create_ticket(
    session: Session,
    *,
    data: TicketCreate,
    principal: Principal,
    idempotency_key: str | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """Register a request; return the ticket and whether it is new (False: an idempotent replay).
    `client` (the caller's address) keeps anonymous citizens' keys apart."""
    policy.check(principal, Permission.register_ticket, "role_forbidden")
    now = now or utcnow()
    key = idempotency_scope(principal, idempotency_key, client) if idempotency_key else None
    request_hash = _request_hash(data)
    # No look-up first: a new request (nearly all of them) goes straight to the insert, and a retry is
    # recognised by the unique key or external id refusing it (its number then stays unused).
    with referencing():
        category = (
            category_service.get_category(session, code_or_name=data.category_code)
            if data.category_code
            else None
        )
        area = org_service.get_area_by_code(session, code=data.area_code) if data.area_code else None
    phone = data.citizen.phone
    values = {
        "number": next_number(session, now=now),
        "tracking_code": secrets.token_hex(4),
        "channel": data.channel,
        "external_id": data.external_id,
        "idempotency_key": key,
        "request_hash": request_hash,
        "title": data.title or data.content[:30],
        "content": data.content,
        # a type nobody said is read by meaning when the ticket is routed (dispatch.service), before
        # its deadline is set; 求助 until then
        "request_type": data.request_type or RequestType.help,
        "request_type_read": data.request_type is None,
        "category_id": category.id if category else None,
        "urgency": data.urgency,
        "citizen_name": data.citizen.name,
        "citizen_phone": phone,
        "citizen_phone_hash": caller_hash(phone) if phone else None,
        "citizen_id_number": data.citizen.id_number,
        "content_hash": content_hash(data.content),
        "no_contact": data.citizen.no_contact,
        # a type read later is checked again when the request is published (never a 举报)
        "public": data.public and (data.request_type is None or data.request_type in PUBLISHABLE_TYPES),
        "address": data.address,
        "area_id": area.id if area else None,
        "latitude": data.latitude,
        "longitude": data.longitude,
        "status": Status.registered,
        "created_at": now,
        "updated_at": now,
        "registered_by_id": principal.user_id,
    }
    # INSERT … ON CONFLICT DO NOTHING RETURNING: a retry (same key or external id) inserts nothing
    # and is answered with the first ticket; no savepoint, no failed statement
    ticket = session.scalars(_insert_ticket(session.get_bind().dialect.name).values(**values)).one_or_none()
    if ticket is None:
        existing = _find_existing(session, key=key, data=data, request_hash=request_hash)
        if existing is None:
            raise Conflict("ticket_conflict")
        return existing, False
    attachments = [
        Attachment(
            ticket_id=ticket.id,
            filename=a.filename,
            content_type=a.content_type,
            size_bytes=a.size_bytes,
            url=str(a.url),
            sha256=a.sha256,
            created_at=now,
        )
        for a in data.attachments
    ]
    session.add_all(attachments)
    set_committed_value(ticket, "attachments", attachments)  # known: no query to load them back
    events.record(
        session,
        ticket=ticket,
        kind=EventKind.register,
        principal=principal,
        to_status=Status.registered,
        data={"channel": data.channel.value},
        now=now,
    )
    log.info("ticket %s registered via %s", ticket.number, ticket.channel)
    return ticket, True


def get_ticket(session: Session, *, ticket_id: int, principal: Principal) -> Ticket:
    """Return a ticket the principal may see, or raise NotFound (existence is not revealed)."""
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, visible_clause(principal)))
    if ticket is None:
        raise NotFound("ticket_not_found", id=ticket_id)
    return ticket


def get_ticket_by_number(session: Session, *, number: str, principal: Principal) -> Ticket:
    """Return a ticket by its number, scoped like get_ticket."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number, visible_clause(principal)))
    if ticket is None:
        raise NotFound("ticket_not_found", id=number)
    return ticket


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_select(session: Session, stmt: Select[Any], f: TicketFilter, now: datetime) -> Select[Any]:
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.status_category:
        stmt = stmt.where(
            Ticket.status.in_([s for s, i in STATUSES.items() if i.category == f.status_category])
        )
    if f.department_id is not None:
        stmt = stmt.where(
            exists().where(Assignment.ticket_id == Ticket.id, Assignment.department_id == f.department_id)
        )
    if f.area_id is not None:
        area = org_service.get_area(session, area_id=f.area_id)
        stmt = stmt.where(Ticket.area_id.in_(select(Area.id).where(Area.path.like(area.path + "%"))))
    if f.category_code:
        cat = category_service.get_category(session, code_or_name=f.category_code)
        stmt = stmt.where(
            Ticket.category_id.in_(
                select(Category.id).where(or_(Category.id == cat.id, Category.code.like(cat.code + ".%")))
            )
        )
    if f.channel:
        stmt = stmt.where(Ticket.channel == f.channel)
    if f.request_type:
        stmt = stmt.where(Ticket.request_type == f.request_type)
    if f.urgency:
        stmt = stmt.where(Ticket.urgency == f.urgency)
    if f.overdue is True:
        stmt = stmt.where(overdue_clause(now))
    elif f.overdue is False:
        stmt = stmt.where(~overdue_clause(now) | Ticket.due_at.is_(None))
    if f.created_from:
        stmt = stmt.where(Ticket.created_at >= f.created_from)
    if f.created_to:
        stmt = stmt.where(Ticket.created_at < f.created_to)
    if f.q:
        # the pattern is written into the statement (safely quoted) rather than bound, so PostgreSQL
        # plans each search for its own words: a prepared statement's generic plan cannot know how
        # rare they are and read a 200,000-ticket history row by row (p99 of searches 2 s → 0.3 s)
        pattern: ColumnElement[str] = bindparam(
            "search_pattern", f"%{_escape_like(f.q.strip())}%", literal_execute=True
        )
        stmt = stmt.where(search_text().like(pattern, escape="\\"))
    return stmt


def search_text() -> ColumnElement[str]:
    """What the operator's search box looks in: number, title, content and address as one text. On
    PostgreSQL a trigram index on this very expression (revision 0012) answers a search of three or
    more characters without reading the table; separators are literals so the expression matches."""
    space: ColumnElement[str] = literal_column("' '")
    return (
        Ticket.number
        + space
        + Ticket.title
        + space
        + Ticket.content
        + space
        + func.coalesce(Ticket.address, literal_column("''"))
    )


SEARCH_COUNT_CAP = 500


def list_tickets(
    session: Session,
    *,
    principal: Principal,
    filters: TicketFilter,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Ticket], int]:
    """Return one page of the tickets the principal may see, newest first, and the total count. A
    text search counts at most SEARCH_COUNT_CAP + 1 matches (a common word in a city's years of
    tickets would otherwise be counted row by row on every keystroke): a total above the cap means
    "more than SEARCH_COUNT_CAP"."""
    now = now or utcnow()
    base = filtered_select(session, select(Ticket).where(visible_clause(principal)), filters, now)
    counted = base.limit(SEARCH_COUNT_CAP + 1) if filters.q else base
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    page = base
    if filters.q and total <= SEARCH_COUNT_CAP:
        # Few matches: find them first (through the search index), then sort them. Asked for "newest
        # first" directly, PostgreSQL may walk the date index through the whole history testing
        # every ticket, when it misjudges how rare the words are (seconds, on 200,000 tickets).
        matches = (
            base.with_only_columns(Ticket.id).cte("matches").prefix_with("MATERIALIZED", dialect="postgresql")
        )
        page = select(Ticket).join(matches, matches.c.id == Ticket.id)
    rows = session.scalars(
        page.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def list_events(session: Session, *, ticket_id: int, principal: Principal) -> list[TicketEvent]:
    """Return a visible ticket's event log, oldest first."""
    get_ticket(session, ticket_id=ticket_id, principal=principal)
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )


def list_assignments(session: Session, *, ticket_id: int) -> list[Assignment]:
    """Return a ticket's assignments, oldest first."""
    return list(
        session.scalars(select(Assignment).where(Assignment.ticket_id == ticket_id).order_by(Assignment.id))
    )


def count_by_status(session: Session) -> dict[Status, int]:
    """How many tickets are in each status (those with none are left out)."""
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    return {Status(k): int(v) for k, v in rows}


def count_overdue(session: Session, *, now: datetime) -> int:
    """How many tickets are overdue."""
    return session.scalar(select(func.count()).select_from(Ticket).where(overdue_clause(now))) or 0
