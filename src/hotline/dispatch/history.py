"""The centre's own history as a teacher of routing.

Every ticket settled by its lead unit (closed or in follow-up, not answered directly) is an example of
that unit for its text; a ticket that was returned (退单) on the way and settled elsewhere is a lesson
and counts double, and the return itself stays a counter-example in the matter list's review
(matters.review). From these examples a **department model** is trained (the category model's method:
word and character TF-IDF, a linear SVM, probabilities) and registered as a model version of kind
`department`, retrained as the history grows (`retrain_if_grown`, a timed sweep).

How much the model counts is decided by the history itself: the newest fifth of the settled tickets
is held out, a model trained on the rest, and the blend weight with the matter list's suggestion (as
it was recorded for each ticket) chosen where the held-out tickets were best routed — zero when the
model does no better than the list. A centre whose list already says everything its history says keeps
routing by the list; where the list falls short (a matter missing, a local arrangement), the history
takes over for those requests (bench/dispatch_history.py measures both).

Each ticket's sentence vector is also computed once, when it is routed, and kept (TicketVector): the
knowledge base and duplicates reuse it, and a model of meaning can be trained on it later without
re-embedding. (A nearest-neighbour vote over those vectors was measured first and added nothing:
bench/dispatch_history.py.)"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from hotline.db import upsert_insert, utcnow
from hotline.dispatch import classifier, registry, training
from hotline.dispatch.datasets import Examples
from hotline.dispatch.models import DispatchSuggestion
from hotline.nlp import embedding
from hotline.nlp.models import TicketVector
from hotline.org.models import Department
from hotline.tickets.enums import AssignmentRole
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status

log = logging.getLogger(__name__)
K = TypeVar("K")

SETTLED = (Status.follow_up, Status.closed)
MIN_HISTORY = 200  # settled tickets before a department model is trained
GROWTH = 0.2  # retrain when the history has grown by a fifth since the active model
HELD_OUT = 0.2  # the newest share of the history that chooses the blend weight
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
RETURNED_WEIGHT = 2.0


def ticket_vector(vectors: np.ndarray) -> np.ndarray:
    """One vector for a request from its windows' vectors: their mean, made unit again."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def keep(session: Session, *, ticket_id: int, vector: np.ndarray) -> None:
    """Store a ticket's vector (once: a second routing of the same ticket keeps the first)."""
    insert = upsert_insert(session.get_bind().dialect.name)
    session.execute(
        insert(TicketVector)
        .values(
            ticket_id=ticket_id,
            model=embedding.MODEL_NAME,
            vector=np.asarray(vector, dtype=np.float16).tobytes(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )


def stored(session: Session, *, ticket_id: int) -> np.ndarray | None:
    """A ticket's kept vector, if it has one made by the model in use."""
    row = session.execute(
        select(TicketVector.vector).where(
            TicketVector.ticket_id == ticket_id, TicketVector.model == embedding.MODEL_NAME
        )
    ).scalar()
    return None if row is None else np.frombuffer(row, dtype=np.float16).astype(np.float32)


def _settled() -> list[Any]:
    return [
        Ticket.status.in_(SETTLED),
        Ticket.answered_directly.is_(False),
        Ticket.lead_department_id.is_not(None),
    ]


def settled_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Ticket.id)).where(*_settled())) or 0)


def examples(session: Session) -> Examples:
    """The settled history as labeled examples: text → the department that settled it (its code);
    a ticket returned on the way counts RETURNED_WEIGHT times. Oldest first."""
    return _history(session)[0]


def _history(session: Session) -> tuple[Examples, list[dict[str, float]]]:
    """The examples, and for each the departments its latest suggestion gave (codes → probability)."""
    returned = aliased(Assignment)
    was_returned = exists().where(
        returned.ticket_id == Ticket.id,
        returned.role == AssignmentRole.lead,
        returned.returned_at.is_not(None),
    )
    latest = (
        select(DispatchSuggestion.ticket_id, func.max(DispatchSuggestion.id).label("id"))
        .group_by(DispatchSuggestion.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(Ticket.title, Ticket.content, Department.code, was_returned, DispatchSuggestion.payload)
        .join(Department, Department.id == Ticket.lead_department_id)
        .outerjoin(latest, latest.c.ticket_id == Ticket.id)
        .outerjoin(DispatchSuggestion, DispatchSuggestion.id == latest.c.id)
        .where(*_settled())
        .order_by(Ticket.id)
    ).all()
    out = Examples(source="settled tickets (department that settled each)")
    suggested: list[dict[str, float]] = []
    for title, content, code, lesson, payload in rows:
        out.texts.append(f"{title}。{content}" if title else content)
        out.labels.append(code)
        out.weights.append(RETURNED_WEIGHT if lesson else 1.0)
        suggested.append({d["code"]: float(d["confidence"]) for d in (payload or {}).get("departments", [])})
    return out, suggested


def choose_weight(
    suggested: list[dict[str, float]], model: list[dict[str, float]], truth: list[str]
) -> tuple[float, dict[str, float]]:
    """The blend weight under which the held-out tickets were best routed (the smallest of equals),
    and the share right at each weight."""
    right = {}
    for w in WEIGHTS:
        hits = 0
        for s, m, t in zip(suggested, model, truth, strict=True):
            mixed = mix(s, m, w)
            hits += bool(mixed) and max(mixed, key=mixed.__getitem__) == t
        right[str(w)] = round(hits / len(truth), 4) if truth else 0.0
    best = max(WEIGHTS, key=lambda w: (right[str(w)], -w))
    return best, right


def mix(a: dict[K, float], b: dict[K, float], w: float) -> dict[K, float]:
    """(1 − w)·a + w·b over the union of their keys."""
    out = {k: (1 - w) * p for k, p in a.items()}
    for k, p in b.items():
        out[k] = out.get(k, 0.0) + w * p
    return out


def retrain_if_grown(session: Session, *, force: bool = False) -> training.TrainResult | None:
    """Train the department model when there is enough settled history and it has grown by GROWTH
    since the active model (or `force`); None when nothing was due. The blend weight is chosen on the
    newest HELD_OUT of the history by a model trained on the rest, then the model is trained on all."""
    n = settled_count(session)
    if n < MIN_HISTORY:
        return None
    active = registry.active_model(session, kind=registry.DEPARTMENT)
    if not force and active is not None and n < active[0].n_samples * (1 + GROWTH):
        return None
    ex, suggested = _history(session)
    if len(set(ex.labels)) < 2:
        return None
    cut = int(len(ex) * (1 - HELD_OUT))
    older = Examples(texts=ex.texts[:cut], labels=ex.labels[:cut], weights=ex.weights[:cut])
    weight, right = 0.0, dict[str, float]()
    if len(set(older.labels)) >= 2:
        trial = classifier.train(classifier.prepare(older.texts), older.labels, sample_weight=older.weights)
        proba = trial.predict_proba(classifier.prepare(ex.texts[cut:]))
        said = [dict(zip(trial.labels, map(float, p), strict=True)) for p in proba]
        weight, right = choose_weight(suggested[cut:], said, ex.labels[cut:])
    result = training.train_and_register(
        session, ex, folds=0, created_by="history", kind=registry.DEPARTMENT, level=0
    )
    result.version.metrics = {
        **result.version.metrics,
        "blend_weight": weight,
        "held_out": len(ex) - cut,
        "right_by_weight": right,
    }
    log.info(
        "department model v%d trained on %d settled tickets; blend weight %.1f (held out %d: %s)",
        result.version.version, len(ex), weight, len(ex) - cut, right,
    )  # fmt: skip
    return result


@dataclass
class Said:
    """What the history says about a request: each department's probability, and how much it counts."""

    shares: dict[int, float]
    weight: float
    trained_on: int


def read(session: Session, title: str, content: str) -> Said | None:
    """The department model's reading of a request (None: no model yet, or one that does not count)."""
    active = registry.active_model(session, kind=registry.DEPARTMENT)
    if active is None:
        return None
    row, model = active
    weight = float((row.metrics or {}).get("blend_weight", 0.0))
    if weight <= 0:
        return None
    proba = model.predict_proba(classifier.prepare([f"{title}。{content}" if title else content]))[0]
    ids = dict(
        session.execute(select(Department.code, Department.id).where(Department.code.in_(model.labels))).all()
    )
    shares = {ids[c]: float(p) for c, p in zip(model.labels, proba, strict=True) if c in ids}
    return Said(shares, weight, row.n_samples)


def blend(matter: dict[int, float], said: Said | None) -> dict[int, float]:
    """The departments' probabilities from the matter list and from history together."""
    if said is None or not said.shares:
        return matter
    return mix(matter, said.shares, said.weight)
