"""The centre's own history as a teacher of routing.

Every ticket settled by its lead unit (closed or in follow-up, not answered directly) is an example of
that unit; a ticket that was returned (退单) on the way and settled elsewhere is a lesson and counts
double, and the return is a counter-example of the unit that returned it (and a row of the matter
list's review, matters.review). Two readers learn from them:
- a **department model** (the category model's method: word and character TF-IDF, a linear SVM,
  probabilities; labels are unit codes), registered as a model version of kind `department` and
  retrained as the history grows (`retrain_if_grown`, a timed sweep, or `hotline matters learn`);
- the **vote of similar tickets**: each ticket's sentence vector is computed once, when it is routed,
  and kept (TicketVector); the 20 most similar settled tickets (cosine ≥ 0.92) vote for the unit that
  settled them, and against the unit that returned them.

How much each counts is decided by the history itself when the model is trained: the newest fifth
of the settled tickets is held out and read by a model and a vote made from the rest only; the model's
weight against the suggestion recorded for each ticket is chosen where they were best routed, then the
vote's on top (0, 0.1, … 0.9; 0 when it does no better). The weights are kept with the model version.
A centre with no history is routed by its matter list alone (bench/dispatch_history.py measures it)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import delete, func, literal, select
from sqlalchemy.orm import Session, aliased

from hotline.db import upsert_insert, utcnow
from hotline.dispatch import classifier, matching, registry, training
from hotline.dispatch.datasets import Examples, drop_rare
from hotline.dispatch.models import DispatchSuggestion, latest_suggestions
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
HELD_OUT = 0.2  # the newest share of the history that chooses the blend weights
NEIGHBOURS = 20
MIN_SIMILARITY = 0.92  # real requests sit at 0.90–0.92 from their nearest unrelated neighbour
_REFRESH_SECONDS = 60.0
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
RETURNED_WEIGHT = 2.0


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


EMBED_BATCH = 500  # tickets given a vector per sweep


def embed_missing(session: Session, *, limit: int = EMBED_BATCH) -> int:
    """Keep a vector for tickets that have none (answered on the spot, registered before the
    embedding, made by another model), newest first; how many were embedded (0 without the embedding)."""
    rows = session.execute(
        select(Ticket.id, Ticket.title, Ticket.content)
        .outerjoin(
            TicketVector,
            (TicketVector.ticket_id == Ticket.id) & (TicketVector.model == embedding.MODEL_NAME),
        )
        .where(TicketVector.ticket_id.is_(None), Ticket.status != Status.merged.value)
        .order_by(Ticket.id.desc())
        .limit(limit)
    ).all()
    done = 0
    for r in rows:
        try:
            vectors = matching.text_vectors(r.title, r.content)
        except embedding.EmbeddingUnavailable as exc:
            log.warning("ticket vectors not made: %s", exc)
            break
        session.execute(delete(TicketVector).where(TicketVector.ticket_id == r.id))
        keep(session, ticket_id=r.id, vector=embedding.mean_vector(vectors))
        done += 1
    return done


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
    return _history(session).examples


@dataclass
class Past:
    """The settled history, oldest first: the examples, and per ticket its id, the departments its
    latest suggestion gave (codes → probability) and the unit that returned it on the way (or None)."""

    examples: Examples
    ticket_ids: list[int]
    suggested: list[dict[str, float]]
    returned_by: list[str | None]


def _history(session: Session, *, texts: bool = True) -> Past:
    """The settled history; without `texts`, only who settled and who returned each (the vote's)."""
    first_return = (
        select(Assignment.ticket_id, func.min(Assignment.id).label("id"))
        .where(Assignment.role == AssignmentRole.lead, Assignment.returned_at.is_not(None))
        .group_by(Assignment.ticket_id)
        .subquery()
    )
    returner = aliased(Department)
    returned = aliased(Assignment)
    latest = latest_suggestions()
    stmt = (
        select(
            Ticket.id,
            Ticket.title if texts else literal(""),
            Ticket.content if texts else literal(""),
            Department.code,
            returner.code,
            DispatchSuggestion.payload if texts else literal(None),
        )
        .join(Department, Department.id == Ticket.lead_department_id)
        .outerjoin(first_return, first_return.c.ticket_id == Ticket.id)
        .outerjoin(returned, returned.id == first_return.c.id)
        .outerjoin(returner, returner.id == returned.department_id)
        .where(*_settled())
        .order_by(Ticket.id)
    )
    if texts:
        stmt = stmt.outerjoin(latest, latest.c.ticket_id == Ticket.id).outerjoin(
            DispatchSuggestion, DispatchSuggestion.id == latest.c.id
        )
    rows = session.execute(stmt).all()
    past = Past(Examples(source="settled tickets (department that settled each)"), [], [], [])
    for ticket_id, title, content, code, returned_code, payload in rows:
        if returned_code == code:
            returned_code = None  # the return was overruled: the unit kept it and settled it
        past.examples.texts.append(f"{title}。{content}" if title else content)
        past.examples.labels.append(code)
        past.examples.weights.append(RETURNED_WEIGHT if returned_code else 1.0)
        past.ticket_ids.append(ticket_id)
        past.suggested.append(
            {d["code"]: float(d["confidence"]) for d in (payload or {}).get("departments", [])}
        )
        past.returned_by.append(returned_code)
    return past


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


# -- the vote of similar tickets ----------------------------------------------------------------------
@dataclass
class Index:
    """Kept ticket vectors with the unit each was settled by (+1) or returned by (−1)."""

    vectors: np.ndarray  # (n, 384)
    codes: list[str]
    signs: np.ndarray  # (n,)


def index(session: Session, past: Past, upto: int | None = None) -> Index:
    """The vote's examples from the first `upto` tickets of the history (all when None)."""
    ids = past.ticket_ids[:upto]
    wanted = set(ids)
    kept = {
        ticket_id: blob
        for ticket_id, blob in session.execute(  # joined, not an IN list: a history has no size limit
            select(TicketVector.ticket_id, TicketVector.vector)
            .join(Ticket, Ticket.id == TicketVector.ticket_id)
            .where(TicketVector.model == embedding.MODEL_NAME, *_settled())
        )
        if ticket_id in wanted
    }
    vectors, codes, signs = [], [], []
    for k, ticket_id in enumerate(ids):
        blob = kept.get(ticket_id)
        if blob is None:
            continue
        vec = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        vectors.append(vec)
        codes.append(past.examples.labels[k])
        signs.append(1.0)
        if past.returned_by[k]:
            vectors.append(vec)
            codes.append(past.returned_by[k])  # type: ignore[arg-type]
            signs.append(-1.0)
    if not vectors:
        return Index(np.zeros((0, embedding.DIM), np.float32), [], np.zeros(0))
    return Index(np.vstack(vectors), codes, np.asarray(signs))


def vote(
    ix: Index, vector: np.ndarray, *, k: int = NEIGHBOURS, floor: float = MIN_SIMILARITY
) -> dict[str, float]:
    """The units the k most similar past tickets (at least `floor` similar) were settled by, weighted
    by how far above the floor they are; a return takes away from the unit that returned it."""
    if not len(ix.codes):
        return {}
    sims = ix.vectors @ vector
    top = np.argsort(-sims)[:k]
    top = top[sims[top] >= floor]
    mass: dict[str, float] = {}
    for i in top:
        mass[ix.codes[i]] = mass.get(ix.codes[i], 0.0) + float((sims[i] - floor) * ix.signs[i])
    positive = {c: m for c, m in mass.items() if m > 0}
    total = sum(positive.values())
    return {c: m / total for c, m in positive.items()} if total > 0 else {}


_index_lock = threading.Lock()
_index_cache: tuple[float, tuple[int, int], Index] | None = None


def _current_index(session: Session) -> Index:
    """The whole history's vote index, reloaded when tickets settle (checked at most once a minute)."""
    global _index_cache
    with _index_lock:
        cached = _index_cache
    if cached is not None and time.monotonic() - cached[0] < _REFRESH_SECONDS:
        return cached[2]
    key = (
        settled_count(session),
        int(session.scalar(select(func.max(TicketVector.ticket_id))) or 0),
    )
    fresh = cached is not None and cached[1] == key
    loaded = cached[2] if fresh and cached is not None else index(session, _history(session, texts=False))
    with _index_lock:
        _index_cache = (time.monotonic(), key, loaded)
    return loaded


def clear_cache() -> None:
    global _index_cache
    with _index_lock:
        _index_cache = None


# -- training and reading -----------------------------------------------------------------------------
def retrain_if_grown(session: Session, *, force: bool = False) -> training.TrainResult | None:
    """Train the department model when there is enough settled history and it has grown by GROWTH
    since the active model (or `force`); None when nothing was due. The weights are chosen on the
    newest HELD_OUT of the history, read by a model and a vote made from the rest only: first the
    model's against the recorded suggestions, then the vote's against the two together. Then the
    model is trained on all."""
    n = settled_count(session)
    if n < MIN_HISTORY:
        return None
    active = registry.active_model(session, kind=registry.DEPARTMENT)
    if not force and active is not None and n < active[0].n_samples * (1 + GROWTH):
        return None
    past = _history(session)
    ex = past.examples
    if len(set(ex.labels)) < 2:
        return None
    cut = int(len(ex) * (1 - HELD_OUT))
    truth = ex.labels[cut:]
    older, _ = drop_rare(
        Examples(texts=ex.texts[:cut], labels=ex.labels[:cut], weights=ex.weights[:cut]),
        minimum=training.MIN_PER_CLASS,
    )
    weight, right = 0.0, dict[str, float]()
    listed = past.suggested[cut:]
    if len(set(older.labels)) >= 2:
        trial = classifier.train(classifier.prepare(older.texts), older.labels, sample_weight=older.weights)
        proba = trial.predict_proba(classifier.prepare(ex.texts[cut:]))
        said = [dict(zip(trial.labels, map(float, p), strict=True)) for p in proba]
        weight, right = choose_weight(listed, said, truth)
        listed = [mix(a, b, weight) for a, b in zip(listed, said, strict=True)]
    ix = index(session, past, upto=cut)
    newest = [stored(session, ticket_id=t) for t in past.ticket_ids[cut:]]
    votes = [vote(ix, v) if v is not None else {} for v in newest]
    vote_weight, vote_right = choose_weight(
        listed, [v or a for v, a in zip(votes, listed, strict=True)], truth
    )
    result = training.train_and_register(
        session, ex, folds=0, created_by="history", kind=registry.DEPARTMENT, level=0
    )
    result.version.metrics = {
        **result.version.metrics,
        "blend_weight": weight,
        "vote_weight": vote_weight,
        "held_out": len(ex) - cut,
        "right_by_weight": right,
        "right_by_vote_weight": vote_right,
    }
    clear_cache()
    log.info(
        "department model v%d trained on %d settled tickets; weights: model %.1f, vote %.1f (held out %d)",
        result.version.version, len(ex), weight, vote_weight, len(ex) - cut,
    )  # fmt: skip
    return result


@dataclass
class Said:
    """What the history says about a request: each department's probability, and how much it counts."""

    shares: dict[int, float]
    weight: float
    trained_on: int
    votes: dict[int, float]
    vote_weight: float


def read(session: Session, title: str, content: str, vector: np.ndarray | None = None) -> Said | None:
    """The history's reading of a request (None: no department model yet, or one that does not count):
    the department model's, and the vote of similar settled tickets when the request's vector is given."""
    active = registry.active_model(session, kind=registry.DEPARTMENT)
    if active is None:
        return None
    row, model = active
    metrics = row.metrics or {}
    weight = float(metrics.get("blend_weight", 0.0))
    vote_weight = float(metrics.get("vote_weight", 0.0))
    if weight <= 0 and vote_weight <= 0:
        return None
    ids = dict(session.execute(select(Department.code, Department.id)).all())
    shares: dict[int, float] = {}
    if weight > 0:
        proba = model.predict_proba(classifier.prepare([f"{title}。{content}" if title else content]))[0]
        shares = {ids[c]: float(p) for c, p in zip(model.labels, proba, strict=True) if c in ids}
    votes: dict[int, float] = {}
    if vote_weight > 0 and vector is not None:
        votes = {ids[c]: p for c, p in vote(_current_index(session), vector).items() if c in ids}
    return Said(shares, weight, row.n_samples, votes, vote_weight)


def blend(matter: dict[int, float], said: Said | None) -> dict[int, float]:
    """The departments' probabilities from the matter list and from history together."""
    if said is None:
        return matter
    out = mix(matter, said.shares, said.weight) if said.shares else matter
    return mix(out, said.votes, said.vote_weight) if said.votes else out
