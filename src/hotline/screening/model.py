"""Which screening model serves, and how a centre's model is trained from its own review decisions.

- The packaged model (data/model.npz) is trained on the described situations and the ordinary real
  windows (`python scripts/train_screening.py` writes it; a test checks it matches them).
- `train(session)` adds what the centre has learnt: every reviewed flag is a label (confirmed: a
  positive of its kind; dismissed: a hard negative), its own described situations, and its recent
  ordinary requests. The new version is stored in the model registry and activated — unless it would
  lose emergencies: a model whose reading by meaning catches fewer of the guard's emergencies
  (guard.yaml, never trained on) than the packaged model's is kept inactive, with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.nlp import embedding, registry
from hotline.nlp.text import normalize
from hotline.screening import classifier
from hotline.screening.classifier import Example, ScreeningModel
from hotline.screening.enums import FlagStatus
from hotline.screening.examples import fingerprint, ordinary_vectors, package_file, situations_and_examples
from hotline.screening.models import ScreeningFlag
from hotline.screening.schemas import ModelInfoOut, TrainOut, VersionBrief
from hotline.screening.text import screening_windows
from hotline.tickets.models import Ticket

log = logging.getLogger(__name__)

KIND = "screening"
REVIEW_WEIGHT = 2.0  # a centre's own decision counts twice a written example


@lru_cache
def packaged() -> ScreeningModel:
    return ScreeningModel.from_bytes(package_file("data/model.npz").read_bytes())


_served = registry.Served(
    KIND, load=ScreeningModel.from_bytes, packaged=lambda: packaged(), embedding_model=embedding.MODEL_NAME
)


def current(session: Session | None) -> ScreeningModel:
    """The centre's active screening model, or the packaged one — also when the stored version cannot
    be used (corrupt, or trained on another embedding model): screening never stops for a bad model."""
    return _served.get(session)[0]


def _fit(examples: list[Example], extra_vectors: np.ndarray, extra_tag: str) -> ScreeningModel:
    """Train on examples (embedded here) plus vectors of ordinary windows given as they are."""
    situations, _ = situations_and_examples()
    vectors = embedding.encode([e.text for e in examples])
    ordinary = [Example(text="", kinds=frozenset()) for _ in range(len(extra_vectors))]
    return classifier.train(
        examples + ordinary,
        np.vstack([vectors, extra_vectors]) if len(extra_vectors) else vectors,
        list(situations),
        fingerprint=fingerprint(examples, extra_tag),
    )


def train_packaged() -> ScreeningModel:
    """The packaged model: described situations and the shipped ordinary windows."""
    _, examples = situations_and_examples(extra="")
    negatives, tag = ordinary_vectors()
    return _fit(list(examples), negatives, tag)


def packaged_fingerprint() -> str:
    _, examples = situations_and_examples(extra="")
    return fingerprint(list(examples), ordinary_vectors()[1])


@dataclass
class Learnt:
    examples: list[Example]
    confirmed: int
    dismissed: int
    ordinary_tickets: int


def centre_examples(session: Session) -> Learnt:
    """The packaged and the centre's described situations, the reviewed tickets (one example each:
    positive for every kind confirmed on it, a hard negative for every kind dismissed), and recent
    ordinary requests (no flag, or every flag dismissed)."""
    _, examples = situations_and_examples()
    out = list(examples)
    rows = session.execute(
        select(
            ScreeningFlag.ticket_id,
            ScreeningFlag.kind,
            ScreeningFlag.status,
            ScreeningFlag.details,
            Ticket.title,
            Ticket.content,
        )
        .join(Ticket, Ticket.id == ScreeningFlag.ticket_id)
        .where(
            ScreeningFlag.status.in_((FlagStatus.confirmed, FlagStatus.dismissed)),
            ScreeningFlag.kind.in_(classifier.KINDS),
        )
        .order_by(ScreeningFlag.ticket_id, ScreeningFlag.id)
    ).all()
    reviewed: dict[int, dict[str, Any]] = {}
    for ticket_id, kind, status, details, title, content in rows:
        entry = reviewed.setdefault(
            ticket_id, {"confirmed": set(), "dismissed": set(), "window": None, "text": (title, content)}
        )
        entry[status].add(kind)
        entry["window"] = entry["window"] or (details or {}).get("window")
    confirmed = sum(len(e["confirmed"]) for e in reviewed.values())
    dismissed = sum(len(e["dismissed"]) for e in reviewed.values())
    for entry in reviewed.values():
        text = entry["window"] or next(iter(screening_windows(*entry["text"])), "")
        if text:
            out.append(
                Example(
                    text=text,
                    kinds=frozenset(entry["confirmed"]),
                    not_kinds=frozenset(entry["dismissed"]),
                    weight=REVIEW_WEIGHT,
                    hard=bool(entry["dismissed"]),
                )
            )
    flagged = select(ScreeningFlag.ticket_id).where(ScreeningFlag.status != FlagStatus.dismissed)
    limit = get_settings().screening_train_tickets
    tickets = session.execute(
        select(Ticket.title, Ticket.content)
        .where(Ticket.id.not_in(flagged))
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    ).all()
    for title, content in tickets:
        for w in screening_windows(title, content)[:2]:
            out.append(Example(text=w, kinds=frozenset()))
    return Learnt(out, confirmed, dismissed, len(tickets))


def guard_texts() -> list[str]:
    """Emergencies no model is trained on (guard.yaml, and the centre's HOTLINE_SCREENING_GUARD)."""
    files = [package_file("guard.yaml")]
    extra = get_settings().screening_guard
    if extra:
        files.append(Path(extra))
    out: list[str] = []
    for path in files:
        out += [
            normalize(t)
            for t in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("emergency", [])
        ]
    return out


def _emergency_recall(model: ScreeningModel) -> float:
    """Share of the guard's emergencies the model's reading by meaning catches (patterns aside)."""
    texts = guard_texts()
    p = model.probabilities(embedding.encode(texts))[:, model.kinds.index("emergency")]
    return float((p >= model.threshold("emergency")).mean()) if texts else 1.0


def safe(model: ScreeningModel) -> tuple[bool, float, float]:
    """May this model serve? Its guard recall, and the packaged model's (the floor)."""
    recall, floor = _emergency_recall(model), _emergency_recall(packaged())
    return recall >= floor - 1e-9, recall, floor


def train(session: Session, *, created_by: str | None, now: datetime | None = None) -> TrainOut:
    """Train the centre's screening model and store it as the next version; activated unless its
    reading by meaning would catch fewer of the guard's emergencies (never trained on) than the
    packaged model's does."""
    learnt = centre_examples(session)
    negatives, tag = ordinary_vectors()
    model = _fit(learnt.examples, negatives, tag)
    ok, recall, floor = safe(model)
    model.metrics.update(
        {
            "reviewed_confirmed": learnt.confirmed,
            "reviewed_dismissed": learnt.dismissed,
            "ordinary_tickets": learnt.ordinary_tickets,
            "emergency_recall_on_guard": round(recall, 4),
            "packaged_emergency_recall_on_guard": round(floor, 4),
        }
    )
    blob = model.to_bytes()
    row = registry.save_artifact(
        session,
        kind=KIND,
        method="e5-logreg",
        blob=blob,
        source=(
            f"described situations + {learnt.confirmed} confirmed and {learnt.dismissed} dismissed flags"
            f" + {learnt.ordinary_tickets} ordinary tickets"
        ),
        n_samples=len(learnt.examples) + len(negatives),
        metrics=model.metrics,
        created_by=created_by,
        activate_now=ok,
        now=now,
    )
    return TrainOut(
        version=row.version,
        active=row.active,
        reason=None if ok else "emergency_recall_below_packaged",
        metrics=model.metrics,
    )


def info(session: Session) -> ModelInfoOut:
    """The model that serves (the centre's active version, or the packaged one), its thresholds and
    measured figures, and every stored version."""
    active = registry.active_version(session, kind=KIND)
    served = current(session)
    return ModelInfoOut(
        serving=f"v{active.version}" if active else "packaged",
        embedding_model=served.embedding_model,
        thresholds={k: served.threshold(k) for k in served.kinds},
        metrics=served.metrics,
        versions=[VersionBrief.model_validate(v) for v in registry.list_versions(session, kind=KIND)],
    )


def clear_cache() -> None:
    _served.clear()
    packaged.cache_clear()
