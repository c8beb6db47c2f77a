"""Dispatch suggestions (智能派单): classifier + location + routing table → top-3 departments with
confidence and reasons; auto-dispatch above the threshold, the triage queue below it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM, Principal
from hotline.categories.models import Category
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch import location, registry, routing, signals
from hotline.dispatch.enums import Decision
from hotline.dispatch.models import DispatchSuggestion, Landmark
from hotline.dispatch.schemas import CategoryGuess, DepartmentGuess, PlaceGuess, SignalOut, Suggestion
from hotline.errors import InvalidInput, NotFound
from hotline.nlp.models import ModelVersion
from hotline.nlp.text import tokenize
from hotline.org.models import Area, Department
from hotline.tickets import events
from hotline.tickets.enums import EventKind, Urgency
from hotline.tickets.models import Ticket
from hotline.tickets.service import get_ticket
from hotline.tickets.states import Status
from hotline.workflow import duplicates as duplicate_service
from hotline.workflow import service as workflow

log = logging.getLogger(__name__)

_GAZETTEER_TTL = 300.0


# -- gazetteer cache: rebuilt when areas or landmarks change, or after a TTL ------------------------
_gaz_lock = threading.Lock()
_gaz: tuple[tuple[Any, ...], float, location.Gazetteer] | None = None


def gazetteer(session: Session) -> location.Gazetteer:
    global _gaz
    key = (
        *session.execute(
            select(func.count(Area.id), func.max(Area.id), func.count(Area.name.distinct()))
        ).one(),
        *session.execute(select(func.count(Landmark.id), func.max(Landmark.id))).one(),
    )
    with _gaz_lock:
        if _gaz is not None and _gaz[0] == key and time.monotonic() - _gaz[1] < _GAZETTEER_TTL:
            return _gaz[2]
    gaz = location.load_gazetteer(session)
    with _gaz_lock:
        _gaz = (key, time.monotonic(), gaz)
    return gaz


_categories_lock = threading.Lock()
_categories: tuple[int, dict[str, int]] | None = None


def _category_ids(session: Session) -> dict[str, int]:
    """Category full name → id, through a process cache checked once per suggestion (the tree rarely
    changes)."""
    global _categories
    count = session.scalar(select(func.count(Category.id))) or 0
    with _categories_lock:
        cached = _categories
    if cached is None or cached[0] != count:
        cached = (count, dict(session.execute(select(Category.full_name, Category.id)).all()))
        with _categories_lock:
            _categories = cached
    return cached[1]


def suggest(
    session: Session,
    *,
    title: str,
    content: str,
    address: str | None = None,
    area_id: int | None = None,
    category_id: int | None = None,
    channel: str | None = None,
) -> Suggestion:
    """Suggest category, request type, urgency, area and the top-3 departments for a request. A
    category or area a person already chose is taken as given. Four stages: what it is about
    (categories), how urgent and of which type (signals), where (place), who handles it (the routing
    table), then what happens next (decision)."""
    reasons: list[str] = []
    categories, version = _category_guesses(session, title, content, category_id, reasons)
    rtype = signals.request_type(title, content)
    urg = signals.urgency(title, content, session=session)
    if urg.value == Urgency.emergency:
        reasons.append(f"疑似紧急警情，应转 {urg.service}（{'、'.join(urg.cues)}）")
    place = _place(session, title, content, address, area_id, reasons)
    departments = _departments(session, categories, place, reasons)
    confidence = departments[0].confidence if departments else 0.0
    decision = _decision(departments, confidence, urgent=urg.value == Urgency.emergency, channel=channel)
    if decision == Decision.triage and departments:
        threshold = get_settings().dispatch_auto_threshold
        reasons.append(
            f"置信度 {confidence:.2f} 低于自动派单阈值 {threshold:.2f}"
            if confidence < threshold
            else "该渠道由坐席确认派单"
        )
    return Suggestion(
        model_version=version.version if version else None,
        model_version_id=version.id if version else None,
        category=categories,
        request_type=SignalOut.model_validate(rtype.as_dict()),
        urgency=SignalOut.model_validate(urg.as_dict()),
        location=place,
        departments=departments,
        confidence=round(confidence, 4),
        decision=decision,
        reason="；".join(reasons),
    )


def _category_guesses(
    session: Session, title: str, content: str, chosen_id: int | None, reasons: list[str]
) -> tuple[list[CategoryGuess], ModelVersion | None]:
    """What the request is about: the category a person chose, or the active model's top 3."""
    if chosen_id is not None:
        chosen = session.get(Category, chosen_id)
        if chosen is None:
            raise InvalidInput("unknown_category", id=chosen_id)
        reasons.append(f"分类「{chosen.full_name}」由受理人选定")
        guess = CategoryGuess(
            category_id=chosen.id, code=chosen.code, name=chosen.full_name, probability=1.0, source="operator"
        )
        return [guess], None
    active = registry.active_model(session)
    if active is None:
        reasons.append("尚无已启用的分类模型，请派单员人工派单")
        return [], None
    row, model = active
    top3, why = model.analyse(tokenize(f"{title}。{content}"), k=3)
    ids = _category_ids(session)
    out: list[CategoryGuess] = []
    for label, p in top3:
        found = ids.get(label)
        cat = session.get(Category, found) if found is not None else None
        if cat is None:
            continue
        words = [r.feature for r in why] if not out else []
        out.append(
            CategoryGuess(
                category_id=cat.id, code=cat.code, name=cat.full_name, probability=round(p, 4), words=words
            )
        )
    if out:
        top = out[0]
        shown = "、".join(top.words[:5])
        reasons.append(f"分类「{top.name}」{top.probability:.2f}" + (f"（关键词：{shown}）" if shown else ""))
    return out, row


def _place(
    session: Session,
    title: str,
    content: str,
    address: str | None,
    area_id: int | None,
    reasons: list[str],
) -> PlaceGuess | None:
    """Where: the area a person chose, or a place the gazetteer finds in the text."""
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is None:
            raise InvalidInput("unknown_area", id=area_id)
        return PlaceGuess(area_id=area.id, code=area.code, name=area.name, confidence=1.0, source="operator")
    found = gazetteer(session).locate(" ".join(x for x in (address, title, content) if x))
    if found is None:
        return None
    reasons.append(f"地点「{found.name}」（匹配：{'、'.join(found.matched[:3])}）")
    return PlaceGuess.model_validate(found.as_dict())


def _departments(
    session: Session, categories: list[CategoryGuess], place: PlaceGuess | None, reasons: list[str]
) -> list[DepartmentGuess]:
    """Who handles it: the probability mass of the categories that route to each department, top 3."""
    scores: dict[int, DepartmentGuess] = {}
    table = routing.load_rules(session)
    for guess in categories:
        route = routing.resolve(
            session, category_id=guess.category_id, area_id=place.area_id if place else None, rules=table
        )
        if route is None:
            continue
        entry = scores.setdefault(
            route.department_id,
            DepartmentGuess(
                department_id=route.department_id,
                code=route.department_code,
                name=route.department_name,
                confidence=0.0,
                co_department_ids=route.co_department_ids,
                rule_id=route.rule_id,
                rule=route.rule,
                category_id=guess.category_id,
            ),
        )
        entry.confidence = round(entry.confidence + guess.probability, 4)
    departments = sorted(scores.values(), key=lambda d: -d.confidence)[:3]
    if departments:
        reasons.append(f"派单目录：{departments[0].rule}")
    elif categories:
        reasons.append("派单目录中没有匹配的规则")
    return departments


def _decision(
    departments: list[DepartmentGuess], confidence: float, *, urgent: bool, channel: str | None
) -> Decision:
    """An emergency goes to a person at once; a confident suggestion on a channel that allows it is
    dispatched by the system; everything else waits in the triage queue."""
    s = get_settings()
    if urgent:
        return Decision.emergency
    if (
        departments
        and confidence >= s.dispatch_auto_threshold
        and (channel is None or channel in s.dispatch_auto_channels)
    ):
        return Decision.auto
    return Decision.triage


def route_new_ticket(
    session: Session, *, ticket: Ticket, now: datetime | None = None
) -> DispatchSuggestion | None:
    """Suggest on intake, record the suggestion, and auto-dispatch when confident. Never fails the
    intake: a broken model or table sends the ticket to triage and logs why."""
    now = now or utcnow()
    try:
        with session.begin_nested():
            return _route(session, ticket=ticket, now=now)
    except Exception:
        log.exception("dispatch suggestion failed for ticket %s; left for triage", ticket.number)
        return None


def _route(session: Session, *, ticket: Ticket, now: datetime) -> DispatchSuggestion:
    s = suggest(
        session,
        title=ticket.title,
        content=ticket.content,
        address=ticket.address,
        area_id=ticket.area_id,
        channel=ticket.channel,
    )
    if s.urgency.value == Urgency.emergency and ticket.urgency != Urgency.emergency:
        ticket.urgency = Urgency.emergency
    row = _record(session, ticket=ticket, suggestion=s, now=now)
    if ticket.urgency == Urgency.emergency and row.decision != Decision.emergency:
        # screening (or the operator) read an emergency: a person hands it over, nothing auto-dispatches
        _redecide(row, Decision.emergency, "已判定为紧急警情，须人工移交")
    area_id = s.location.area_id if s.location else None
    duplicates = duplicate_service.detect(session, ticket, area_id=area_id, now=now)
    if s.decision == Decision.auto and duplicate_service.holds_dispatch(duplicates):
        # the same problem is probably being handled already: a person merges or dispatches
        _redecide(row, Decision.triage, "疑似重复工单，待人工并单或派单")
    if row.decision == Decision.auto and ticket.status == Status.registered:
        apply(session, ticket=ticket, suggestion=row, principal=SYSTEM, now=now)
    return row


def _redecide(row: DispatchSuggestion, decision: Decision, why: str) -> None:
    """Change a recorded suggestion's decision, saying why (the stored suggestion follows)."""
    row.decision = decision
    row.reason = f"{row.reason or ''}；{why}".lstrip("；")
    row.payload = {**row.payload, "reason": row.reason, "decision": decision.value}


def suggestion_of(row: DispatchSuggestion) -> Suggestion:
    """The suggestion a row recorded (its decision as it stands now)."""
    return Suggestion.model_validate(
        row.payload | {"decision": row.decision, "model_version_id": row.model_version_id}
    )


def _record(session: Session, *, ticket: Ticket, suggestion: Suggestion, now: datetime) -> DispatchSuggestion:
    top = suggestion.departments[0] if suggestion.departments else None
    row = DispatchSuggestion(
        ticket_id=ticket.id,
        created_at=now,
        model_version_id=suggestion.model_version_id,
        category_id=top.category_id
        if top
        else (suggestion.category[0].category_id if suggestion.category else None),
        department_id=top.department_id if top else None,
        area_id=suggestion.location.area_id if suggestion.location else None,
        confidence=suggestion.confidence,
        decision=suggestion.decision,
        payload=suggestion.model_dump(mode="json"),
        reason=suggestion.reason,
    )
    session.add(row)
    session.flush()
    return row


def latest(session: Session, *, ticket_id: int) -> DispatchSuggestion | None:
    return session.scalar(
        select(DispatchSuggestion)
        .where(DispatchSuggestion.ticket_id == ticket_id)
        .order_by(DispatchSuggestion.id.desc())
        .limit(1)
    )


def refresh(
    session: Session, *, ticket_id: int, principal: Principal, now: datetime | None = None
) -> DispatchSuggestion:
    """Suggest again for a registered ticket (after the text, area or model changed)."""
    ticket = get_ticket(session, ticket_id=ticket_id, principal=principal)
    s = suggest(
        session, title=ticket.title, content=ticket.content, address=ticket.address, area_id=ticket.area_id
    )
    if s.decision == Decision.auto:
        s.decision = Decision.triage  # a person asked: a person decides
    return _record(session, ticket=ticket, suggestion=s, now=now or utcnow())


def apply(
    session: Session,
    *,
    ticket: Ticket,
    suggestion: DispatchSuggestion,
    principal: Principal,
    choice: int = 0,
    department_id: int | None = None,
    category_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Dispatch as suggested in one click (the chosen one of the top 3), or correct it: another
    category (routed through the table) and/or another department. Fills the ticket's category and
    area from the suggestion when they are still empty. A correction is recorded as such and
    teaches the next model (datasets.from_tickets)."""
    now = now or utcnow()
    departments = suggestion_of(suggestion).departments
    cos: list[int] = []
    if department_id is None and category_id is not None:
        route = routing.resolve(
            session, category_id=category_id, area_id=ticket.area_id or suggestion.area_id
        )
        if route is None:
            raise InvalidInput("no_route", category=category_id)
        department_id, cos = route.department_id, route.co_department_ids
    elif department_id is None:
        if not 0 <= choice < len(departments):
            raise InvalidInput("suggestion_choice", choice=choice, available=len(departments))
        picked = departments[choice]
        department_id, cos, category_id = picked.department_id, picked.co_department_ids, picked.category_id
    elif session.get(Department, department_id) is None:
        raise InvalidInput("unknown_department", id=department_id)
    if ticket.area_id is None and suggestion.area_id is not None:
        ticket.area_id = suggestion.area_id
    if category_id is None and ticket.category_id is None:
        category_id = suggestion.category_id
    corrected = department_id != suggestion.department_id or (
        category_id is not None and category_id != suggestion.category_id
    )
    outcome = "auto" if principal.role == SYSTEM.role else ("corrected" if corrected else "accepted")
    ticket = workflow.dispatch(
        session,
        ticket_id=ticket.id,
        department_id=department_id,
        co_department_ids=[c for c in cos if c != department_id],
        principal=principal,
        instructions=None,
        category_id=category_id,
        now=now,
    )
    events.record(
        session,
        ticket=ticket,
        kind=EventKind.suggestion_applied,
        principal=principal,
        department_id=department_id,
        comment=suggestion.reason,
        data={
            "suggestion_id": suggestion.id,
            "model_version_id": suggestion.model_version_id,
            "confidence": suggestion.confidence,
            "outcome": outcome,
            "suggested_department_id": suggestion.department_id,
            "suggested_category_id": suggestion.category_id,
        },
        now=now,
    )
    return ticket


def triage_queue(
    session: Session, *, limit: int = 50, offset: int = 0
) -> list[tuple[Ticket, DispatchSuggestion | None]]:
    """Registered tickets waiting for a dispatcher: emergencies first, then the least confident,
    oldest first; tickets no suggestion was made for are included."""
    last = (
        select(DispatchSuggestion.ticket_id, func.max(DispatchSuggestion.id).label("sid"))
        .group_by(DispatchSuggestion.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(Ticket, DispatchSuggestion)
        .outerjoin(last, last.c.ticket_id == Ticket.id)
        .outerjoin(DispatchSuggestion, DispatchSuggestion.id == last.c.sid)
        .where(Ticket.status == Status.registered.value)
        .order_by(
            (Ticket.urgency == Urgency.emergency.value).desc(),
            (Ticket.urgency == Urgency.urgent.value).desc(),
            func.coalesce(DispatchSuggestion.confidence, 0.0),
            Ticket.created_at,
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [(t, s) for t, s in rows]


def get_suggestion(session: Session, *, ticket_id: int, principal: Principal) -> DispatchSuggestion:
    get_ticket(session, ticket_id=ticket_id, principal=principal)
    row = latest(session, ticket_id=ticket_id)
    if row is None:
        raise NotFound("suggestion_not_found", id=ticket_id)
    return row


def list_landmarks(session: Session) -> list[Landmark]:
    return list(session.scalars(select(Landmark).order_by(Landmark.name)))


def add_landmark(session: Session, *, name: str, area_code: str, kind: str = "landmark") -> Landmark:
    """Add a place name to the gazetteer (idempotent per name and area)."""
    from hotline.org import service as org_service

    area = org_service.get_area_by_code(session, code=area_code)
    row = session.scalar(select(Landmark).where(Landmark.name == name.strip(), Landmark.area_id == area.id))
    if row is None:
        row = Landmark(name=name.strip(), area_id=area.id, kind=kind)
        session.add(row)
        session.flush()
    return row


def second_opinion(
    session: Session, *, ticket_id: int, principal: Principal, now: datetime | None = None
) -> DispatchSuggestion:
    """Ask the large model about a ticket's latest suggestion; store the answer as a new suggestion
    row (the offline figures unchanged, the model's advice under `llm`)."""
    from hotline.dispatch import second_opinion as llm_opinion

    ticket = get_ticket(session, ticket_id=ticket_id, principal=principal)
    base = get_suggestion(session, ticket_id=ticket_id, principal=principal)
    opinion = llm_opinion.ask(
        session,
        title=ticket.title,
        content=ticket.content,
        suggestion=suggestion_of(base),
        area_id=ticket.area_id or base.area_id,
    )
    row = DispatchSuggestion(
        ticket_id=ticket.id,
        created_at=now or utcnow(),
        model_version_id=base.model_version_id,
        category_id=base.category_id,
        department_id=base.department_id,
        area_id=base.area_id,
        confidence=base.confidence,
        decision=base.decision,
        payload={**base.payload, "llm": opinion.model_dump(mode="json")},
        reason=base.reason,
    )
    session.add(row)
    session.flush()
    return row
