"""Duplicates (并单): on intake, earlier tickets about the same problem at the same place within a
window are found and the most similar one suggested as the master. A person merges or dismisses; a
strong duplicate is kept from auto-dispatch so that one department does not get the problem twice.

Candidates: tickets received within HOTLINE_DUPLICATE_WINDOW_DAYS before this one, not merged
themselves, in the same street (or area, when no street is known), else of the same category; the same
caller's earlier tickets always. Similarity (`combined`): the TF-IDF cosine of their words with the IDF of
the candidate set (textsim.cosines), gated by their meaning — the cosine of the tickets' kept sentence
vectors: two requests that share the street's name and the form of a complaint but not the problem
sit low in meaning and are let through in proportion. Chosen by measurement against the alternatives
in bench/hotspots.py; without the embedding, words alone. The small sentence model weighs a shared
place heavily (a broken lamp and night construction at the same door meet at ~0.94), so where both
tickets are filed under a category (the matter they were routed by sets it) and the categories part at
the depth both have, they are different problems and never suggested."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.categories import service as category_service
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import Conflict, NotFound
from hotline.nlp import embedding, textsim
from hotline.nlp.models import TicketVector
from hotline.org.models import Area
from hotline.tickets import service as ticket_service
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from hotline.workflow.enums import DuplicateStatus
from hotline.workflow.models import DuplicateCandidate, TicketWords
from hotline.workflow.schemas import DuplicateOut

log = logging.getLogger(__name__)
MAX_CANDIDATES = 500  # most recent first
KEEP = 3  # suggestions stored per ticket
MEANING_FLOOR, MEANING_FULL = textsim.MEANING_FLOOR, textsim.MEANING_FULL


def combined(words: float, meaning: float | None) -> float:
    """The duplicate score of two requests: their words' cosine, gated by their meaning's."""
    if meaning is None:
        return words
    return float(words * textsim.meaning_gate(meaning))


@dataclass(frozen=True)
class Match:
    ticket_id: int
    number: str
    title: str
    status: str
    score: float
    reasons: dict[str, Any]


def _street_path(session: Session, area_id: int | None) -> str | None:
    if area_id is None:
        return None
    area = session.get(Area, area_id)
    if area is None:
        return None
    ids = [int(x) for x in area.path.strip("/").split("/") if x]
    levels = dict(session.execute(select(Area.id, Area.level).where(Area.id.in_(ids))).all()) if ids else {}
    street = next((i for i in ids if levels.get(i) == "street"), None)
    if street is None:
        return area.path
    return area.path[: area.path.index(f"/{street}/") + len(f"/{street}/")]


def find(
    session: Session, ticket: Ticket, *, area_id: int | None = None, now: datetime | None = None
) -> list[Match]:
    """Earlier tickets like this one, most similar first, at or above HOTLINE_DUPLICATE_THRESHOLD.
    The ticket may be a draft not yet stored (the operator's screen asks while the call goes on)."""
    s = get_settings()
    if ticket.created_at is None:  # a draft: compared with everything received so far
        ticket.created_at = now or utcnow()
    since = ticket.created_at - timedelta(days=s.duplicate_window_days)
    area_id = area_id or ticket.area_id
    place = _street_path(session, area_id)
    same_caller = (
        Ticket.citizen_phone_hash == ticket.citizen_phone_hash if ticket.citizen_phone_hash else None
    )
    scope: ColumnElement[bool] | None
    if place is not None:
        scope = Ticket.area_id.in_(select(Area.id).where(Area.path.like(place + "%")))
    elif ticket.category_id is not None:
        scope = Ticket.category_id == ticket.category_id
    else:
        scope = None
    where = [
        Ticket.created_at >= since,
        # earlier tickets only (the master is the first of a kind)
        or_(
            Ticket.created_at < ticket.created_at,
            and_(Ticket.created_at == ticket.created_at, Ticket.id < (ticket.id or 0)),
        ),
        Ticket.master_id.is_(None),
        Ticket.status != Status.merged.value,
    ]
    place_clauses = [c for c in (scope, same_caller) if c is not None]
    if place_clauses:
        where.append(or_(*place_clauses))
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.content,
            Ticket.status,
            Ticket.citizen_phone_hash,
            Ticket.area_id,
            Ticket.created_at,
            Ticket.category_id,
            TicketWords.words,
            TicketVector.vector,
        )
        .outerjoin(TicketWords, TicketWords.ticket_id == Ticket.id)
        .outerjoin(
            TicketVector,
            (TicketVector.ticket_id == Ticket.id) & (TicketVector.model == embedding.MODEL_NAME),
        )
        .where(*where)
        .order_by(Ticket.created_at.desc())
        .limit(MAX_CANDIDATES)
    ).all()
    mine = (
        words_of(session, ticket.id, ticket.title, ticket.content)
        if ticket.id is not None
        else textsim.words(ticket.title, ticket.content)  # a draft being typed: nothing stored
    )
    theirs = [r.words if r.words is not None else words_of(session, r.id, r.title, r.content) for r in rows]
    vector = _vector(session, ticket) if rows else None
    kinds = category_service.paths(session, [ticket.category_id, *(r.category_id for r in rows)])
    out = []
    for r, words_score in zip(rows, textsim.cosines(mine, theirs), strict=True):
        if words_score < s.duplicate_threshold:
            continue  # the gate only lowers a score: no need to read the meaning
        if ticket.category_id is not None and category_service.part(
            kinds.get(ticket.category_id), kinds.get(r.category_id)
        ):
            continue  # filed under categories that part: another problem
        meaning = _meaning(vector, r) if vector is not None else None
        score = combined(words_score, meaning)
        if score < s.duplicate_threshold:
            continue
        reasons: dict[str, Any] = {
            "similarity": round(score, 3),
            "words": round(words_score, 3),
            "days_apart": round((ticket.created_at - r.created_at).total_seconds() / 86400, 1),
        }
        if ticket.citizen_phone_hash and r.citizen_phone_hash == ticket.citizen_phone_hash:
            reasons["same_caller"] = True
        if meaning is not None:
            reasons["meaning"] = round(meaning, 3)
        if place is not None and r.area_id is not None:
            reasons["same_place"] = True
        out.append(Match(r.id, r.number, r.title, r.status, round(score, 4), reasons))
    out.sort(key=lambda m: (-m.score, m.ticket_id))
    return out


def _vector(session: Session, ticket: Ticket) -> np.ndarray | None:
    """The ticket's kept sentence vector, or (a draft, or not yet routed) one made now; None without
    the embedding."""
    if ticket.id is not None:
        kept = session.execute(
            select(TicketVector.vector).where(
                TicketVector.ticket_id == ticket.id, TicketVector.model == embedding.MODEL_NAME
            )
        ).scalar()
        if kept is not None:
            return np.frombuffer(kept, dtype=np.float16).astype(np.float32)
    try:
        return embedding.request_vector(ticket.title, ticket.content)
    except embedding.EmbeddingUnavailable:
        return None


def _meaning(vector: np.ndarray, row: Any) -> float | None:
    """Cosine of the ticket's vector and a candidate's (kept, or made now for one that has none yet)."""
    if row.vector is not None:
        theirs = np.frombuffer(row.vector, dtype=np.float16).astype(np.float32)
    else:
        try:
            theirs = embedding.request_vector(row.title, row.content)
        except embedding.EmbeddingUnavailable:
            return None
    return float(theirs @ vector)


def words_of(session: Session, ticket_id: int, title: str, content: str) -> str:
    """A ticket's words: stored ones, else segmented now and stored (once; a race is harmless)."""
    stored = session.get(TicketWords, ticket_id)
    if stored is not None:
        return stored.words
    text = textsim.words(title, content)
    try:
        with session.begin_nested():
            session.add(TicketWords(ticket_id=ticket_id, words=text))
            session.flush()
    except IntegrityError:
        pass
    return text


def detect(
    session: Session, ticket: Ticket, *, area_id: int | None = None, now: datetime | None = None
) -> list[DuplicateCandidate]:
    """Find and store the best candidates for a new ticket. Never fails the intake."""
    now = now or utcnow()
    try:
        with session.begin_nested():
            rows = []
            for m in find(session, ticket, area_id=area_id, now=now)[:KEEP]:
                row = DuplicateCandidate(
                    ticket_id=ticket.id,
                    candidate_id=m.ticket_id,
                    score=m.score,
                    reasons=m.reasons,
                    created_at=now,
                )
                session.add(row)
                rows.append(row)
            session.flush()
            return rows
    except Exception:
        log.exception("duplicate detection failed for ticket %s", ticket.number)
        return []


def holds_dispatch(candidates: list[DuplicateCandidate]) -> bool:
    """Whether a candidate is strong enough to keep the ticket from being dispatched by the system."""
    hold = get_settings().duplicate_hold_threshold
    return any(c.score >= hold for c in candidates)


def for_ticket(session: Session, *, ticket_id: int, principal: Principal) -> list[DuplicateOut]:
    """The merge suggestions of a ticket the principal may see, the strongest first."""
    ticket_service.get_ticket(session, ticket_id=ticket_id, principal=principal)  # scoping
    rows = session.execute(
        select(DuplicateCandidate, Ticket)
        .join(Ticket, Ticket.id == DuplicateCandidate.candidate_id)
        .where(DuplicateCandidate.ticket_id == ticket_id)
        .order_by(DuplicateCandidate.score.desc())
    ).all()
    return [_out(c, t) for c, t in rows]


def queue(session: Session, *, limit: int = 50, offset: int = 0) -> list[DuplicateOut]:
    """Open suggestions whose ticket can still be merged, strongest first (the dispatcher's queue)."""
    dup = Ticket.__table__.alias("dup")
    rows = session.execute(
        select(DuplicateCandidate, Ticket, dup.c.number, dup.c.title, dup.c.status)
        .join(Ticket, Ticket.id == DuplicateCandidate.candidate_id)
        .join(dup, dup.c.id == DuplicateCandidate.ticket_id)
        .where(
            DuplicateCandidate.status == DuplicateStatus.open,
            dup.c.status != Status.merged.value,
            dup.c.master_id.is_(None),
        )
        .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        _out(c, t, ticket_number=number, ticket_title=title, ticket_status=status)
        for c, t, number, title, status in rows
    ]


def _out(c: DuplicateCandidate, master: Ticket, **ticket: Any) -> DuplicateOut:
    return DuplicateOut(
        id=c.id,
        ticket_id=c.ticket_id,
        candidate_id=c.candidate_id,
        candidate_number=master.number,
        candidate_title=master.title,
        candidate_status=master.status,
        score=c.score,
        reasons=c.reasons,
        status=DuplicateStatus(c.status),
        created_at=c.created_at,
        **ticket,
    )


def decide(
    session: Session,
    *,
    suggestion_id: int,
    merge: bool,
    principal: Principal,
    comment: str | None = None,
    now: datetime | None = None,
) -> DuplicateCandidate:
    """Merge the ticket into the suggested master (并单), or dismiss the suggestion."""
    now = now or utcnow()
    c = session.get(DuplicateCandidate, suggestion_id)
    if c is None:
        raise NotFound("duplicate_not_found", id=suggestion_id)
    if c.status != DuplicateStatus.open:
        raise Conflict("duplicate_decided", id=suggestion_id, status=c.status)
    if merge:
        wf.merge(
            session,
            ticket_id=c.ticket_id,
            master_id=c.candidate_id,
            principal=principal,
            comment=comment,
            now=now,
        )
        c.status = DuplicateStatus.merged
        for other in session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.ticket_id == c.ticket_id, DuplicateCandidate.id != c.id
            )
        ):
            if other.status == DuplicateStatus.open:
                other.status = DuplicateStatus.dismissed
    else:
        ticket_service.get_ticket(session, ticket_id=c.ticket_id, principal=principal)
        c.status = DuplicateStatus.dismissed
    c.decided_at, c.decided_by_id = now, principal.user_id
    return c
