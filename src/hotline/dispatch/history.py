"""The centre's own history as a teacher of routing.

Every ticket's sentence vector is computed once, when it is routed, and kept (nlp.models.TicketVector).
A settled ticket — answered by its lead department and not returned by it — is an example of that
department (and of the matter it was routed by); every return (退单) is a counter-example of the
department that returned it. A new request is compared with them (the nearest by meaning, k of them):
what those tickets' departments were is a vote, weighed by how similar they are. The more similar
history there is, the more the vote counts (matching.Weights.history_strength); a centre with no
history yet is routed by its matter list alone."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db import upsert_insert, utcnow
from hotline.nlp import embedding
from hotline.nlp.models import TicketVector
from hotline.tickets.enums import AssignmentRole
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status

log = logging.getLogger(__name__)

SETTLED = (Status.follow_up, Status.closed)
NEIGHBOURS = 20
MIN_SIMILARITY = 0.85  # e5 vectors of unrelated requests still sit near 0.75–0.8
_REFRESH_SECONDS = 60.0


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


@dataclass
class Examples:
    """The history in memory: one row per example."""

    vectors: np.ndarray  # (n, 384) float32
    departments: np.ndarray  # (n,) the department
    signs: np.ndarray  # (n,) +1 settled there, −1 returned by it
    key: tuple[int, int]  # what was loaded (count of vectors, newest ticket): a change reloads

    @property
    def size(self) -> int:
        return len(self.signs)


_lock = threading.Lock()
_loaded: tuple[float, Examples] | None = None


def examples(session: Session) -> Examples:
    """The centre's examples, reloaded when new vectors were kept (checked at most once a minute)."""
    global _loaded
    with _lock:
        cached = _loaded
    if cached is not None and time.monotonic() - cached[0] < _REFRESH_SECONDS:
        return cached[1]
    count, newest = session.execute(
        select(func.count(TicketVector.ticket_id), func.max(TicketVector.ticket_id))
    ).one()
    key = (int(count or 0), int(newest or 0))
    if cached is not None and cached[1].key == key:
        with _lock:
            _loaded = (time.monotonic(), cached[1])
        return cached[1]
    loaded = _load(session, key)
    with _lock:
        _loaded = (time.monotonic(), loaded)
    return loaded


def _load(session: Session, key: tuple[int, int]) -> Examples:
    settled = session.execute(
        select(TicketVector.vector, Ticket.lead_department_id)
        .join(Ticket, Ticket.id == TicketVector.ticket_id)
        .where(
            TicketVector.model == embedding.MODEL_NAME,
            Ticket.status.in_(SETTLED),
            Ticket.answered_directly.is_(False),
            Ticket.lead_department_id.is_not(None),
        )
    ).all()
    returned = session.execute(
        select(TicketVector.vector, Assignment.department_id)
        .join(Assignment, Assignment.ticket_id == TicketVector.ticket_id)
        .where(
            TicketVector.model == embedding.MODEL_NAME,
            Assignment.role == AssignmentRole.lead,
            Assignment.returned_at.is_not(None),
        )
    ).all()
    # a settled department that also returned the ticket (sent back to it after arbitration) is an
    # example of neither: it is left to the counter-example
    rows = [(v, d, 1) for v, d in settled] + [(v, d, -1) for v, d in returned]
    if not rows:
        return Examples(np.zeros((0, embedding.DIM), np.float32), np.zeros(0, np.int64), np.zeros(0), key)
    return Examples(
        vectors=np.vstack([np.frombuffer(v, dtype=np.float16) for v, _, _ in rows]).astype(np.float32),
        departments=np.asarray([d for _, d, _ in rows], dtype=np.int64),
        signs=np.asarray([s for _, _, s in rows], dtype=np.float64),
        key=key,
    )


def clear_cache() -> None:
    global _loaded
    with _lock:
        _loaded = None


@dataclass
class Vote:
    """What similar history says: each department's share, and how much history said it."""

    shares: dict[int, float]
    strength: float  # the similarity mass of the neighbours that settled somewhere (0: none)
    neighbours: int


def vote(ex: Examples, vector: np.ndarray, *, k: int = NEIGHBOURS, floor: float = MIN_SIMILARITY) -> Vote:
    """The departments the k most similar examples (at least `floor` similar) went to, by similarity;
    a return takes away from the department that returned it."""
    if ex.size == 0:
        return Vote({}, 0.0, 0)
    sims = ex.vectors @ vector
    top = np.argsort(-sims)[:k]
    top = top[sims[top] >= floor]
    if len(top) == 0:
        return Vote({}, 0.0, 0)
    # how far above the floor a neighbour is: a near-duplicate counts, a loose likeness hardly
    weight = (sims[top] - floor) / (1 - floor)
    mass: dict[int, float] = defaultdict(float)
    for i, w in zip(top, weight, strict=True):
        mass[int(ex.departments[i])] += float(w * ex.signs[i])
    positive = {d: m for d, m in mass.items() if m > 0}
    total = sum(positive.values())
    if total <= 0:
        return Vote({}, 0.0, len(top))
    return Vote({d: m / total for d, m in positive.items()}, total, len(top))


def blend(matter: dict[int, float], said: Vote, strength: float) -> dict[int, float]:
    """The departments' probabilities from the matter list and from history together: history counts
    by how much of it there is (said.strength against `strength`)."""
    if not said.shares:
        return matter
    share = said.strength / (said.strength + strength)
    out = {d: (1 - share) * p for d, p in matter.items()}
    for d, p in said.shares.items():
        out[d] = out.get(d, 0.0) + share * p
    return out
