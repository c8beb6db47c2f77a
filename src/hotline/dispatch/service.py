"""Dispatch suggestions (智能派单): classifier + location + routing table → top-3 departments with
confidence and reasons; auto-dispatch above the threshold, the triage queue below it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM, Principal
from hotline.categories.models import Category
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch import history, location, matching, registry, routing, signals, type_reading
from hotline.dispatch.enums import Decision
from hotline.dispatch.models import DispatchSuggestion, Landmark, Matter, latest_suggestions
from hotline.dispatch.schemas import (
    CategoryGuess,
    DepartmentGuess,
    MatterGuess,
    PlaceGuess,
    SignalOut,
    Suggestion,
)
from hotline.errors import InvalidInput, NotFound
from hotline.nlp import embedding
from hotline.nlp.models import ModelVersion
from hotline.nlp.text import tokenize
from hotline.org import service as org_service
from hotline.org.models import Area, Department
from hotline.tickets import events
from hotline.tickets.enums import EventKind, RequestType, Urgency
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
    vectors: np.ndarray | None = None,
) -> Suggestion:
    """Suggest category, request type, urgency, area, the matter (事项) and the departments for a
    request. A category or area a person already chose is taken as given. The stages: what it is
    about (the category model), how urgent and of which type (signals), where (place), which matter
    of the matter list and so which unit (meaning, words, the category model and the centre's history:
    dispatch.matching and dispatch.history; the category routing table where there is no matter list),
    then what happens next (decision). `vectors`: the request's sentence vectors, when the caller has
    them already."""
    reasons: list[str] = []
    categories, prior, version = _category_guesses(session, title, content, category_id, reasons)
    vector = embedding.mean_vector(vectors) if vectors is not None and len(vectors) else None
    kind = signals.read(title, content, vector)  # type and urgency by meaning, read once for both
    rtype = signals.request_type(title, content, reading=kind)
    urg = signals.urgency(title, content, session=session, reading=kind)
    if urg.value == Urgency.emergency:
        reasons.append(f"疑似紧急警情，应转 {urg.service}（{'、'.join(urg.cues)}）")
    place = _place(session, title, content, address, area_id, reasons)
    try:
        read = _matter_departments(session, title, content, place, prior, vectors, reasons)
    except embedding.EmbeddingUnavailable:
        log.warning("sentence embedding unavailable: routed by the category routing table")
        reasons.append("语义模型不可用，按分类派单规则表派单")
        read = None
    if read is not None:
        matter, departments, catalog_version = read
        if matter is not None and category_id is None:
            categories = _matter_category(session, matter, categories)
    else:
        matter, catalog_version = None, None
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
        matter=matter,
        catalog_version=catalog_version,
        confidence=round(confidence, 4),
        decision=decision,
        reason="；".join(reasons),
    )


def _category_guesses(
    session: Session, title: str, content: str, chosen_id: int | None, reasons: list[str]
) -> tuple[list[CategoryGuess], dict[str, float], ModelVersion | None]:
    """What the request is about: the category a person chose, or the active model's top 3; and every
    first-level category's probability (the matter matcher's prior)."""
    if chosen_id is not None:
        chosen = session.get(Category, chosen_id)
        if chosen is None:
            raise InvalidInput("unknown_category", id=chosen_id)
        reasons.append(f"分类「{chosen.full_name}」由受理人选定")
        guess = CategoryGuess(
            category_id=chosen.id, code=chosen.code, name=chosen.full_name, probability=1.0, source="operator"
        )
        return [guess], {chosen.full_name.split("/")[0]: 1.0}, None
    active = registry.active_model(session)
    if active is None:
        reasons.append("尚无已启用的分类模型")
        return [], {}, None
    row, model = active
    ranked, why = model.analyse(tokenize(f"{title}。{content}"), k=len(model.labels))
    prior = {label.split("/")[0]: p for label, p in ranked}
    ids = _category_ids(session)
    out: list[CategoryGuess] = []
    for label, p in ranked[:3]:
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
    return out, prior, row


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


ALTERNATIVE_FLOOR = 0.10  # another department is shown only with at least this probability


def _matter_departments(
    session: Session,
    title: str,
    content: str,
    place: PlaceGuess | None,
    prior: dict[str, float],
    vectors: np.ndarray | None,
    reasons: list[str],
) -> tuple[MatterGuess | None, list[DepartmentGuess], int] | None:
    """Which matter of the matter list, and so which units, with the centre's history blended in;
    None when the centre has no matter list (the category routing table answers then)."""
    cat = matching.catalog(session)
    if cat is None or not cat.entries:
        return None
    weights = matching.weights()
    if vectors is None:
        vectors = matching.text_vectors(title, content)
    area = session.get(Area, place.area_id) if place else None
    area_paths = _area_paths(session, [e.area_id for e in cat.entries if e.area_id is not None])
    reading = matching.read(
        cat,
        vectors,
        f"{title}。{content}",
        weights=weights,
        prior=prior,
        area_path=area.path if area else None,
        area_paths=area_paths,
    )
    if not reading.probabilities.any():  # every matter belongs to other areas: the table answers
        return None
    units: dict[int, float] = {}
    unplaced = 0.0  # the mass of local matters (属地) whose unit needs a place that is not known
    order = np.argsort(-reading.probabilities)
    served: dict[int, matching.Entry] = {}  # each unit's most probable matter
    for i in order:
        p = float(reading.probabilities[i])
        if p < 1e-4:
            break
        unit = _unit(session, cat.entries[i], area)
        if unit is None:
            unplaced += p
        else:
            units[unit.id] = units.get(unit.id, 0.0) + p
            served.setdefault(unit.id, cat.entries[i])
    said = history.read(session, title, content, vector=embedding.mean_vector(vectors))
    units = history.blend(units, said)
    matter = _matter_guess(session, cat, reading, int(order[0]))
    top = sorted(units.items(), key=lambda kv: -kv[1])
    guesses: list[DepartmentGuess] = []
    for rank, (dept_id, p) in enumerate(top[:3]):
        if rank and p < ALTERNATIVE_FLOOR:
            break
        dept = session.get(Department, dept_id)
        if dept is None:
            continue
        entry = served.get(dept.id)  # None: proposed by the centre's history alone
        confidence = matching.calibrate(p, weights.calibration) if rank == 0 else p
        guesses.append(
            DepartmentGuess(
                department_id=dept.id,
                code=dept.code,
                name=dept.name,
                confidence=round(confidence, 4),
                co_department_ids=[c for c in entry.co_department_ids if c != dept.id] if entry else [],
                rule=f"事项「{entry.name}」（{entry.code}）" if entry else "本中心已办结的相似工单",
                category_id=entry.category_id if entry else None,
                matter_code=entry.code if entry else None,
            )
        )
    words = "、".join(matter.words[:4]) if matter else ""
    if matter is not None:
        reasons.append(
            f"事项「{matter.name}」{matter.probability:.2f}（相近说法：{matter.example}"
            + (f"；关键词：{words}" if words else "")
            + "）"
        )
        if matter.basis:
            reasons.append(f"依据：{matter.basis}")
    if said is not None and said.shares:
        reasons.append(
            f"本中心 {said.trained_on} 件已办结工单的承办单位模型参与判断（权重 {said.weight:.0%}）"
        )
    if said is not None and said.votes:
        reasons.append(f"本中心相似的已办结工单参与判断（权重 {said.vote_weight:.0%}）")
    if unplaced >= 0.5 and (not guesses or guesses[0].confidence < unplaced):
        reasons.append("属地事项，须先确定地点（街道、乡镇）")
    return matter, guesses, cat.version


def _unit(session: Session, entry: matching.Entry, area: Area | None) -> Department | None:
    """The unit handling a matter: its department, or the local unit of its kind serving the place."""
    if entry.department_id is not None:
        dept = session.get(Department, entry.department_id)
        return dept if dept is not None and dept.active else None
    if entry.local_kind and area is not None:
        for dept in org_service.departments_serving(session, area_id=area.id):
            if dept.kind == entry.local_kind and dept.active:
                return dept
    return None


def _area_paths(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Area.id, Area.path).where(Area.id.in_(ids))).all())


def _matter_guess(session: Session, cat: matching.Catalog, reading: matching.Reading, i: int) -> MatterGuess:
    e = cat.entries[i]
    category = session.get(Category, e.category_id) if e.category_id else None
    return MatterGuess(
        matter_id=e.id,
        code=e.code,
        name=e.name,
        probability=round(float(reading.probabilities[i]), 4),
        similarity=round(float(reading.features[i, 0]), 4),
        example=(cat.vectors.shape[0] and _text_of(cat, int(reading.best_text[i]))) or e.name,
        words=reading.keywords[i],
        basis=e.basis,
        demo=e.demo,
        category=category.full_name if category else None,
        local_kind=e.local_kind,
    )


def _text_of(cat: matching.Catalog, t: int) -> str:
    owner = int(cat.owner[t])
    first = int(cat.heads[owner])
    return cat.entries[owner].texts[t - first]


def _matter_category(
    session: Session, matter: MatterGuess, categories: list[CategoryGuess]
) -> list[CategoryGuess]:
    """The categories shown: the matter's own (its second or third level) first, then the model's."""
    entry_id = session.scalar(select(Matter.category_id).where(Matter.id == matter.matter_id))
    cat = session.get(Category, entry_id) if entry_id else None
    if cat is None:
        return categories
    first = CategoryGuess(
        category_id=cat.id, code=cat.code, name=cat.full_name, probability=matter.probability, source="matter"
    )
    return [first, *[c for c in categories if c.category_id != cat.id]][:3]


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
        vectors=_vectors_kept(session, ticket),
    )
    if s.urgency.value == Urgency.emergency and ticket.urgency != Urgency.emergency:
        ticket.urgency = Urgency.emergency
    row = _record(session, ticket=ticket, suggestion=s, now=now)
    changed = _apply_reading(ticket, s)
    for why in changed:
        _note(row, why)
    if changed:
        events.record(
            session,
            ticket=ticket,
            kind=EventKind.request_read,
            principal=SYSTEM,
            comment="；".join(changed),
            data={
                "request_type": ticket.request_type,
                "request_type_confidence": s.request_type.confidence,
                "urgency": ticket.urgency,
                "urgency_confidence": s.urgency.confidence,
            },
            now=now,
        )
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


URGENT_READ = 0.8  # an ordinary request read as urgent at this probability is made urgent


def _apply_reading(ticket: Ticket, s: Suggestion) -> list[str]:
    """What the platform read in a request sets its deadline where no person said otherwise: a type
    nobody chose becomes the one read; a request read as urgent is made urgent (never the reverse:
    urgency a person gave stands). A type read with less confidence than the reader's threshold, or
    from a request with next to no words, is not applied: the ticket stays 求助 and the reason says so.
    Returns what was changed (or left), for the suggestion's reason and the ticket's log."""
    changed = []
    if ticket.request_type_read and s.request_type.value != ticket.request_type:
        if s.request_type.confidence >= type_reading.type_threshold() and type_reading.readable(
            ticket.title, ticket.content
        ):
            ticket.request_type = RequestType(s.request_type.value)
            changed.append(f"诉求类型按内容识别为{REQUEST_TYPE_ZH[ticket.request_type]}")
        else:
            changed.append(
                f"诉求类型未能可靠识别（{REQUEST_TYPE_ZH[RequestType(s.request_type.value)]}，把握 "
                f"{s.request_type.confidence:.2f}），暂按求助，请坐席确认"
            )
    if (
        s.urgency.value == Urgency.urgent
        and ticket.urgency == Urgency.normal
        and s.urgency.confidence >= URGENT_READ
    ):
        ticket.urgency = Urgency.urgent
        changed.append("按内容识别为紧急诉求")
    return changed


REQUEST_TYPE_ZH = {
    RequestType.consult: "咨询",
    RequestType.help: "求助",
    RequestType.complaint: "投诉",
    RequestType.report: "举报",
    RequestType.suggestion: "建议",
    RequestType.praise: "表扬",
}


def _note(row: DispatchSuggestion, why: str) -> None:
    row.reason = f"{row.reason or ''}；{why}".lstrip("；")
    row.payload = {**row.payload, "reason": row.reason}


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


def _vectors_kept(session: Session, ticket: Ticket) -> np.ndarray | None:
    """The ticket's sentence vectors, made once and its vector kept for the history (dispatch.history);
    None when the embedding cannot be had (the suggestion then goes without meaning, never fails)."""
    try:
        vectors = matching.text_vectors(ticket.title, ticket.content)
    except embedding.EmbeddingUnavailable as exc:
        log.warning("no sentence vectors for ticket %s: %s", ticket.number, exc)
        return None
    history.keep(session, ticket_id=ticket.id, vector=embedding.mean_vector(vectors))
    return vectors


def _record(session: Session, *, ticket: Ticket, suggestion: Suggestion, now: datetime) -> DispatchSuggestion:
    top = suggestion.departments[0] if suggestion.departments else None
    row = DispatchSuggestion(
        ticket_id=ticket.id,
        created_at=now,
        model_version_id=suggestion.model_version_id,
        category_id=top.category_id
        if top and top.category_id is not None
        else (suggestion.category[0].category_id if suggestion.category else None),
        department_id=top.department_id if top else None,
        area_id=suggestion.location.area_id if suggestion.location else None,
        confidence=suggestion.confidence,
        decision=suggestion.decision,
        payload=suggestion.model_dump(mode="json"),
        reason=suggestion.reason,
        matter_id=suggestion.matter.matter_id if suggestion.matter else None,
        catalog_version=suggestion.catalog_version,
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
    last = latest_suggestions()
    rows = session.execute(
        select(Ticket, DispatchSuggestion)
        .outerjoin(last, last.c.ticket_id == Ticket.id)
        .outerjoin(DispatchSuggestion, DispatchSuggestion.id == last.c.id)
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
