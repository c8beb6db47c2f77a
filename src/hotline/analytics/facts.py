"""Taking the facts: per-ticket, per-assignment, per-step and per-call rows computed from the
operational database, written to the analytics store one month at a time.

A refresh re-takes only the months that changed: tickets with new events or updates, deadlines that
passed since the last refresh (an open ticket becomes overdue without any event), call records that
changed, and months whose hotspot topics were mined again. The first refresh takes every month."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.analytics.models import TicketTopic, Topic
from hotline.analytics.store import DIMENSIONS, SCHEMAS, Store
from hotline.categories.models import Category
from hotline.config import get_settings
from hotline.cti.models import CallRecord
from hotline.db import utcnow
from hotline.followup.enums import FollowUpStatus, ReadBy
from hotline.followup.models import FollowUpTask
from hotline.org.models import Area, Department
from hotline.tickets.deadlines import in_time, is_overdue, passed
from hotline.tickets.enums import ACTIVE_ASSIGNMENT, AssignmentRole, AssignmentStatus
from hotline.tickets.models import Assignment, Ticket, TicketEvent
from hotline.tickets.states import HANDLING_STATUSES, STATUSES, Status, StatusCategory

log = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    months: list[str] = field(default_factory=list)
    tickets: int = 0
    assignments: int = 0
    steps: int = 0
    calls: int = 0
    seconds: float = 0.0


def _naive(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def month_of(ts: datetime, tz: ZoneInfo) -> str:
    aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime("%Y-%m")


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar month starts and ends."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


class _Dims:
    """Lookups from a ticket's category and area to the levels the rates are grouped by."""

    def __init__(self, session: Session) -> None:
        cats = session.execute(select(Category.id, Category.parent_id, Category.level)).all()
        parent = {c.id: c.parent_id for c in cats}
        self.cat_l1: dict[int, int] = {}
        for c in cats:
            node = c.id
            while parent.get(node) is not None:
                node = parent[node]
            self.cat_l1[c.id] = node
        areas = session.execute(select(Area.id, Area.level, Area.path)).all()
        level = {a.id: a.level for a in areas}
        self.district: dict[int, int | None] = {}
        self.street: dict[int, int | None] = {}
        for a in areas:
            chain = [int(x) for x in a.path.strip("/").split("/") if x] or [a.id]
            if a.id not in chain:
                chain.append(a.id)
            self.district[a.id] = next((x for x in chain if level.get(x) == "district"), None)
            self.street[a.id] = next((x for x in chain if level.get(x) == "street"), None)


def _changed_months(
    session: Session, store: Store, now: datetime, tz: ZoneInfo
) -> tuple[set[str], dict[str, Any]]:
    state = store.state()
    max_event = session.scalar(select(func.max(TicketEvent.id))) or 0
    max_call = session.scalar(select(func.max(CallRecord.updated_at)))
    new_state = {
        "last_event_id": max_event,
        "last_call_updated": (_naive(max_call) or datetime(1970, 1, 1)).isoformat(),
        "refreshed_at": _naive(now).isoformat(),  # type: ignore[union-attr]
    }
    if not state or not store.months():
        first = session.scalar(select(func.min(Ticket.created_at)))
        first_call = session.scalar(select(func.min(CallRecord.offered_at)))
        starts = [t for t in (first, first_call) if t is not None]
        if not starts:
            return set(), new_state
        months = set()
        cursor = min(_naive(t) for t in starts)  # type: ignore[type-var]
        last = month_of(now, tz)
        while True:
            m = month_of(cursor, tz)  # type: ignore[arg-type]
            months.add(m)
            if m >= last:
                break
            cursor = month_bounds(m, tz)[1].replace(tzinfo=None) + timedelta(hours=1)
        return months, new_state
    since = datetime.fromisoformat(state["refreshed_at"]).replace(tzinfo=UTC) - timedelta(minutes=2)
    changed_ids = select(TicketEvent.ticket_id).where(TicketEvent.id > state.get("last_event_id", 0))
    handling = [s.value for s in HANDLING_STATUSES]
    stamps = session.scalars(
        select(Ticket.created_at)
        .where(
            or_(
                Ticket.id.in_(changed_ids),
                Ticket.updated_at >= since,
                # a deadline passed since the last refresh: overdue without any event
                Ticket.status.in_(handling) & Ticket.due_at.between(since, now),
            )
        )
        .distinct()
    ).all()
    late_assignments = session.scalars(
        select(Ticket.created_at)
        .join(Assignment, Assignment.ticket_id == Ticket.id)
        .where(
            Assignment.status.in_([AssignmentStatus.pending.value, AssignmentStatus.signed.value]),
            or_(Assignment.sign_due_at.between(since, now), Assignment.due_at.between(since, now)),
        )
        .distinct()
    ).all()
    calls = session.scalars(
        select(CallRecord.offered_at)
        .where(
            CallRecord.updated_at
            > datetime.fromisoformat(state.get("last_call_updated", "1970-01-01")).replace(tzinfo=UTC)
        )
        .distinct()
    ).all()
    months = {month_of(t, tz) for t in [*stamps, *late_assignments, *calls]}
    months |= set(state.get("dirty_months", []))
    return months, new_state


def refresh(
    session: Session,
    store: Store | None = None,
    *,
    months: set[str] | None = None,
    full: bool = False,
    now: datetime | None = None,
) -> RefreshResult:
    """Bring the store up to date with the database (the months that changed, or those given)."""
    import time

    t0 = time.perf_counter()
    store = store or Store()
    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    result = RefreshResult()
    with store.refresh_lock():
        if full:
            store.save_state({})
        changed, new_state = _changed_months(session, store, now, tz)
        todo = sorted(changed | (months or set()))
        dims = _Dims(session)
        for month in todo:
            counts = refresh_month(session, store, month, dims=dims, now=now, tz=tz)
            result.tickets += counts["tickets"]
            result.assignments += counts["assignments"]
            result.steps += counts["steps"]
            result.calls += counts["calls"]
        _write_dimensions(session, store)
        store.save_state(new_state | {"dirty_months": []})
    result.months = todo
    result.seconds = time.perf_counter() - t0
    if todo:
        log.info("analytics refresh: %s", result)
    return result


def mark_dirty(store: Store, months: set[str]) -> None:
    """Ask the next refresh to re-take these months (e.g. after topics were mined again)."""
    state = store.state()
    if state:
        state["dirty_months"] = sorted(set(state.get("dirty_months", [])) | months)
        store.save_state(state)


def _write_dimensions(session: Session, store: Store) -> None:
    deps = session.execute(select(Department.id, Department.name, Department.kind)).all()
    store.write_dimension(
        "departments", pa.Table.from_pylist([d._asdict() for d in deps], schema=DIMENSIONS["departments"])
    )
    areas = session.execute(select(Area.id, Area.name, Area.level, Area.path)).all()
    store.write_dimension(
        "areas", pa.Table.from_pylist([a._asdict() for a in areas], schema=DIMENSIONS["areas"])
    )
    cats = session.execute(select(Category.id, Category.name, Category.level, Category.full_name)).all()
    store.write_dimension(
        "categories", pa.Table.from_pylist([c._asdict() for c in cats], schema=DIMENSIONS["categories"])
    )
    topics = session.execute(
        select(Topic.id, Topic.title, Topic.keywords, Topic.place, Topic.category_id)
    ).all()
    store.write_dimension(
        "topics",
        pa.Table.from_pylist(
            [t._asdict() | {"keywords": " ".join(t.keywords or [])} for t in topics],
            schema=DIMENSIONS["topics"],
        ),
    )


def _local_day(ts: datetime, tz: ZoneInfo) -> date:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(tz).date()


def _hours(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (_naive(b) - _naive(a)).total_seconds() / 3600  # type: ignore[operator]


def refresh_month(
    session: Session, store: Store, month: str, *, dims: _Dims, now: datetime, tz: ZoneInfo
) -> dict[str, int]:
    """Re-take every fact of one local month and replace its files in the store."""
    start, end = month_bounds(month, tz)
    month_ = _Month(
        month=month,
        tz=tz,
        now=now,
        in_month=Ticket.created_at.between(start, end - timedelta(microseconds=1)),
    )
    tickets = _tickets_of(session, month_)
    by_ticket, a_rows = _assignment_facts(session, month_, {t.id: t for t in tickets}, dims)
    t_rows, s_rows = _ticket_and_step_facts(session, month_, tickets, by_ticket, dims)
    c_rows = _call_facts(session, month_, start, end)
    for table, rows in (("tickets", t_rows), ("assignments", a_rows), ("steps", s_rows), ("calls", c_rows)):
        store.write_month(table, month, pa.Table.from_pylist(rows, schema=SCHEMAS[table]))
    return {"tickets": len(t_rows), "assignments": len(a_rows), "steps": len(s_rows), "calls": len(c_rows)}


@dataclass(frozen=True)
class _Month:
    month: str
    tz: ZoneInfo
    now: datetime
    in_month: Any  # the WHERE clause of the month's tickets


def _tickets_of(session: Session, m: _Month) -> list[Any]:
    return list(
        session.execute(
            select(
                Ticket.id,
                Ticket.number,
                Ticket.title,
                Ticket.created_at,
                Ticket.channel,
                Ticket.request_type,
                Ticket.urgency,
                Ticket.category_id,
                Ticket.area_id,
                Ticket.lead_department_id,
                Ticket.status,
                Ticket.dispatched_at,
                Ticket.due_at,
                Ticket.answered_directly,
                Ticket.reopen_count,
                Ticket.master_id,
                Ticket.resolved,
                Ticket.satisfaction,
                Ticket.evaluation_excluded,
                Ticket.citizen_phone_hash,
                Ticket.supports,
                TicketTopic.topic_id,
                # who read the answer the ticket's figures count (the latest round's), and whether an
                # answer waits for a person to confirm its reading (counted in no rate until then)
                select(FollowUpTask.read_by)
                .where(FollowUpTask.ticket_id == Ticket.id, FollowUpTask.read_by.is_not(None))
                .order_by(FollowUpTask.round.desc())
                .limit(1)
                .scalar_subquery()
                .label("read_by"),
                select(FollowUpTask.id)
                .where(FollowUpTask.ticket_id == Ticket.id, FollowUpTask.status == FollowUpStatus.confirm)
                .exists()
                .label("to_confirm"),
            )
            .outerjoin(TicketTopic, TicketTopic.ticket_id == Ticket.id)
            .where(m.in_month)
            .order_by(Ticket.id)
        ).all()
    )


def _assignment_facts(
    session: Session, m: _Month, info: dict[int, Any], dims: _Dims
) -> tuple[dict[int, list[Assignment]], list[dict[str, Any]]]:
    """The month's assignments by ticket, and one fact row each: signed and replied in time or not."""
    assignments = session.execute(
        select(Assignment)
        .join(Ticket, Ticket.id == Assignment.ticket_id)
        .where(m.in_month)
        .order_by(Assignment.id)
    ).scalars()
    by_ticket: dict[int, list[Assignment]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for a in assignments:
        by_ticket[a.ticket_id].append(a)
        t = info[a.ticket_id]
        responded = a.signed_at or a.returned_at
        if responded is not None:
            signed_in_time: bool | None = in_time(responded, a.sign_due_at)
        elif a.status == AssignmentStatus.pending and passed(a.sign_due_at, m.now):
            signed_in_time = False
        else:
            signed_in_time = None  # not yet due, or withdrawn before it was due
        if a.replied_at is not None:
            replied_in_time: bool | None = in_time(a.replied_at, a.due_at)
        elif a.status in ACTIVE_ASSIGNMENT and passed(a.due_at, m.now):
            replied_in_time = False
        else:
            replied_in_time = None
        rows.append(
            {
                "assignment_id": a.id,
                "ticket_id": a.ticket_id,
                "day": _local_day(t.created_at, m.tz),
                "month": m.month,
                "channel": t.channel,
                "department_id": a.department_id,
                "role": a.role,
                "category_l1_id": dims.cat_l1.get(t.category_id) if t.category_id else None,
                "district_id": dims.district.get(t.area_id) if t.area_id else None,
                "street_id": dims.street.get(t.area_id) if t.area_id else None,
                "status": a.status,
                "created_at": _naive(a.created_at),
                "signed_at": _naive(a.signed_at),
                "signed_in_time": signed_in_time,
                "replied_at": _naive(a.replied_at),
                "replied_in_time": replied_in_time,
                "returned": a.returned_at is not None,
                "excluded": bool(t.evaluation_excluded),
            }
        )
    return by_ticket, rows


def _ticket_and_step_facts(
    session: Session, m: _Month, tickets: list[Any], by_ticket: dict[int, list[Assignment]], dims: _Dims
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A fact row per ticket, and one per step it went through (from its status events)."""
    # a merged ticket's citizen is answered by the master's department: its figures count there
    masters = {t.master_id for t in tickets if t.master_id is not None}
    master_dept: dict[int, int | None] = (
        dict(
            session.execute(select(Ticket.id, Ticket.lead_department_id).where(Ticket.id.in_(masters))).all()
        )
        if masters
        else {}
    )
    events = session.execute(
        select(
            TicketEvent.ticket_id,
            TicketEvent.created_at,
            TicketEvent.from_status,
            TicketEvent.to_status,
            TicketEvent.department_id,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(m.in_month, TicketEvent.to_status.is_not(None))
        .order_by(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.id)
    ).all()
    ev_by_ticket: dict[int, list[Any]] = defaultdict(list)
    for e in events:
        ev_by_ticket[e.ticket_id].append(e)
    t_rows: list[dict[str, Any]] = []
    s_rows: list[dict[str, Any]] = []
    for t in tickets:
        evs = ev_by_ticket.get(t.id, [])
        t_rows.append(_ticket_fact(t, m, by_ticket.get(t.id, []), evs, master_dept, dims))
        s_rows += _step_facts(t, m, evs, dims)
    return t_rows, s_rows


def _ticket_fact(
    t: Any,
    m: _Month,
    assignments: list[Assignment],
    evs: list[Any],
    master_dept: dict[int, int | None],
    dims: _Dims,
) -> dict[str, Any]:
    leads = [a for a in assignments if a.role == AssignmentRole.lead and a.parent_id is None]
    first = leads[0] if leads else None
    replied = [_naive(e.created_at) for e in evs if e.to_status == Status.replied]
    replied_at = replied[0] if replied else None
    status = Status(t.status)
    if replied_at is not None and t.due_at is not None:
        on_time: bool | None = in_time(replied_at, t.due_at)
    elif is_overdue(status, t.due_at, m.now):
        on_time = False
    else:
        on_time = None
    return {
        "ticket_id": t.id,
        "number": t.number,
        "title": t.title,
        "created_at": _naive(t.created_at),
        "day": _local_day(t.created_at, m.tz),
        "month": m.month,
        "channel": t.channel,
        "request_type": t.request_type,
        "urgency": t.urgency,
        "category_id": t.category_id,
        "category_l1_id": dims.cat_l1.get(t.category_id) if t.category_id else None,
        "area_id": t.area_id,
        "district_id": dims.district.get(t.area_id) if t.area_id else None,
        "street_id": dims.street.get(t.area_id) if t.area_id else None,
        "department_id": t.lead_department_id
        if t.lead_department_id is not None or t.master_id is None
        else master_dept.get(t.master_id),
        "first_department_id": first.department_id if first else None,
        "status": t.status,
        "closed": STATUSES[status].category == StatusCategory.closed,
        "dispatched": t.dispatched_at is not None,
        "direct": bool(t.answered_directly),
        "merged": status == Status.merged,
        "returns": sum(1 for a in assignments if a.returned_at is not None),
        "reopens": t.reopen_count,
        "first_dispatch_ok": (first.returned_at is None) if first else None,
        "due_at": _naive(t.due_at),
        "replied_at": replied_at,
        "on_time": on_time,
        "overdue": is_overdue(status, t.due_at, m.now),
        "finished": bool(replied),
        "resolved": t.resolved,
        "satisfaction": t.satisfaction,
        # an answer recorded without a follow-up task (the ticket page, the workflow API) is a choice
        "read_by": (t.read_by or ReadBy.citizen.value) if t.satisfaction is not None else None,
        "to_confirm": bool(t.to_confirm),
        "excluded": bool(t.evaluation_excluded),
        "master_id": t.master_id,
        "caller_hash": t.citizen_phone_hash,
        "supports": t.supports,
        "topic_id": t.topic_id,
    }


def _step_facts(t: Any, m: _Month, evs: list[Any], dims: _Dims) -> list[dict[str, Any]]:
    """One row per step the ticket waited in: entered, left (or still there), hours."""
    rows = []
    day = _local_day(t.created_at, m.tz)
    for i, e in enumerate(evs):
        if i + 1 < len(evs) and evs[i + 1].to_status == e.to_status:
            continue  # the same step goes on (e.g. a second dispatch while dispatched)
        if STATUSES[Status(e.to_status)].category == StatusCategory.closed:
            continue  # an end (closed, merged, handed off), not a step where work waits
        nxt = next((x for x in evs[i + 1 :] if x.to_status != e.to_status), None)
        entered = _naive(e.created_at)
        left = _naive(nxt.created_at) if nxt is not None else None
        rows.append(
            {
                "ticket_id": t.id,
                "day": day,
                "month": m.month,
                "step": e.to_status,
                "department_id": e.department_id
                if e.department_id is not None
                else t.lead_department_id
                if e.to_status in HANDLING_STATUSES
                else e.department_id,
                "category_l1_id": dims.cat_l1.get(t.category_id) if t.category_id else None,
                "district_id": dims.district.get(t.area_id) if t.area_id else None,
                "entered_at": entered,
                "left_at": left,
                "hours": _hours(entered, left or _naive(m.now)),
            }
        )
    return rows


def _call_facts(session: Session, m: _Month, start: datetime, end: datetime) -> list[dict[str, Any]]:
    calls = session.execute(
        select(CallRecord.call_id, CallRecord.offered_at, CallRecord.answered_at, CallRecord.queue)
        .where(CallRecord.offered_at.between(start, end - timedelta(microseconds=1)))
        .order_by(CallRecord.id)
    ).all()
    rows = []
    for c in calls:
        local = (c.offered_at if c.offered_at.tzinfo else c.offered_at.replace(tzinfo=UTC)).astimezone(m.tz)
        wait = _hours(c.offered_at, c.answered_at)
        rows.append(
            {
                "call_id": c.call_id,
                "offered_at": _naive(c.offered_at),
                "day": local.date(),
                "month": m.month,
                "hour": local.hour,
                "queue": c.queue,
                "answered": c.answered_at is not None,
                "answered_in_15s": wait is not None and wait * 3600 <= 15,
                "wait_seconds": wait * 3600 if wait is not None else None,
            }
        )
    return rows
