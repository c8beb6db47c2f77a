"""Which matter (事项) of the matter list a request is about, and so which unit handles it.

Each active matter is scored on what a person would look at:
- **meaning**: the request's sentences (sentence vectors, nlp.embedding) against the matter's name
  and description and each example phrasing — the closest one (`sem`), and the name and description
  alone (`head`);
- **words**: the matter's keywords found in the request (`kw`; the characters shared with the matter's
  texts, TF-IDF of character pairs, were tried as a fifth feature: a negative weight and no gain, so left out);
- **the category model**: the first-level classifier's probability of the matter's first-level
  category (`prior`, a log);
- **place**: a matter of one area only counts there; when the place is not known it is held back.
A linear score over these features, softmaxed over the matters (a conditional logit whose few
weights are fitted on the matters' own example phrasings, each left out in turn:
`scripts/fit_matcher.py`), gives each matter a probability; a department's is the sum of its
matters', local matters (属地) going to the unit of their kind serving the place. The centre's own
history (dispatch.history: a department model trained on settled tickets) is blended in by how much
history it was trained on. The department's
confidence is then calibrated on whether the department was right (`calibrate`), and that is what
auto-dispatch is decided on."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from hotline.categories.models import Category
from hotline.dispatch import matters as matter_list
from hotline.dispatch.models import Matter
from hotline.nlp import embedding
from hotline.nlp.text import normalize

log = logging.getLogger(__name__)

FEATURES = ("sem", "head", "kw", "prior")
UNKNOWN_PLACE_PENALTY = 1.0  # a matter of one area when the place is not known (a logit)


@dataclass(frozen=True)
class Entry:
    """One active matter as the matcher needs it."""

    id: int
    code: str
    name: str
    basis: str
    demo: bool
    category_id: int | None
    first_level: str | None  # the first-level category's name: what the category model predicts
    department_id: int | None
    local_kind: str | None
    co_department_ids: tuple[int, ...]
    area_id: int | None
    keywords: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass
class Catalog:
    """The matter list of one version, with its texts' vectors, ready to score requests against."""

    version: int
    entries: list[Entry]
    vectors: np.ndarray  # (texts, 384) float32
    owner: np.ndarray  # (texts,) the entry each text belongs to
    heads: np.ndarray  # (entries,) the index of each entry's first text (name and description)
    keyword_patterns: list[re.Pattern[str] | None] = field(default_factory=list)


_lock = threading.Lock()
_catalogs: dict[tuple[int, str, str], Catalog] = {}


def catalog(session: Session) -> Catalog | None:
    """The matter list in force, loaded once per version and process (None: no matters yet)."""
    version, digest = matter_list.current(session)
    if version == 0:
        return None
    key = (version, digest, embedding.MODEL_NAME)
    with _lock:
        cached = _catalogs.get(key)
    if cached is not None:
        return cached
    built = _build(session, version)
    with _lock:
        _catalogs.clear()  # older versions are not used again
        _catalogs[key] = built
    return built


def _first_levels(session: Session) -> dict[int, str]:
    """Each category's first-level name (the head of its full path)."""
    return {i: full.split("/")[0] for i, full in session.execute(select(Category.id, Category.full_name))}


def _build(session: Session, version: int) -> Catalog:
    rows = list(
        session.scalars(
            select(Matter).where(Matter.active.is_(True)).order_by(Matter.id).options(undefer(Matter.vectors))
        )
    )
    missing = [m for m in rows if m.vectors is None or m.vector_model != embedding.MODEL_NAME]
    if missing:  # made by another model, or never: made now (and kept, when the caller commits)
        matter_list.embed(session, missing)
    levels = _first_levels(session)
    entries: list[Entry] = []
    blocks: list[np.ndarray] = []
    owner: list[int] = []
    heads: list[int] = []
    for i, m in enumerate(rows):
        texts = tuple(matter_list.texts_of(m))
        vec = np.frombuffer(m.vectors or b"", dtype=np.float16).reshape(-1, embedding.DIM).astype(np.float32)
        if len(vec) != len(texts):  # the texts changed without new vectors: make them
            vec = embedding.encode(list(texts), query=True)
        heads.append(len(owner))
        blocks.append(vec)
        owner += [i] * len(vec)
        entries.append(
            Entry(
                id=m.id,
                code=m.code,
                name=m.name,
                basis=m.basis,
                demo=m.demo,
                category_id=m.category_id,
                first_level=levels.get(m.category_id) if m.category_id else None,
                department_id=m.department_id,
                local_kind=m.local_kind,
                co_department_ids=tuple(m.co_department_ids or ()),
                area_id=m.area_id,
                keywords=tuple(normalize(k) for k in m.keywords or () if k.strip()),
                texts=texts,
            )
        )
    patterns = [
        re.compile("|".join(re.escape(k) for k in sorted(e.keywords, key=len, reverse=True)))
        if e.keywords
        else None
        for e in entries
    ]
    return Catalog(
        version=version,
        entries=entries,
        vectors=np.vstack(blocks) if blocks else np.zeros((0, embedding.DIM), dtype=np.float32),
        owner=np.asarray(owner, dtype=np.int64),
        heads=np.asarray(heads, dtype=np.int64),
        keyword_patterns=patterns,
    )


def clear_cache() -> None:
    with _lock:
        _catalogs.clear()


# -- scoring ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Weights:
    """The matcher's few numbers: a weight per feature, fitted by scripts/fit_matcher.py."""

    coef: tuple[float, ...]
    calibration: tuple[float, float] = (1.0, 0.0)  # Platt: p' = σ(a·logit(p) + b), department correctness
    fitted_on: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "coef": list(self.coef),
            "calibration": list(self.calibration),
            "fitted_on": self.fitted_on,
        }


_override: Weights | None = None


def weights() -> Weights:
    """The weights in use: the packaged ones, unless a fitting run has set others (`use_weights`)."""
    return _override if _override is not None else packaged_weights()


def use_weights(w: Weights | None) -> None:
    """Score with these weights from now on (None: the packaged ones again): scripts/fit_matcher.py."""
    global _override
    _override = w


@lru_cache
def packaged_weights() -> Weights:
    """The weights shipped with the platform (dispatch/data/matcher.json)."""
    raw = json.loads(
        (resources.files("hotline.dispatch") / "data" / "matcher.json").read_text(encoding="utf-8")
    )
    if raw.get("features") != list(FEATURES):
        raise ValueError(f"matcher.json was fitted on {raw.get('features')}, not {list(FEATURES)}")
    return Weights(
        coef=tuple(float(x) for x in raw["coef"]),
        calibration=tuple(float(x) for x in raw.get("calibration", (1.0, 0.0))),  # type: ignore[arg-type]
        fitted_on=str(raw.get("fitted_on", "")),
    )


@dataclass
class Reading:
    """What a request was read as: each matter's probability and what led there."""

    probabilities: np.ndarray  # (entries,)
    features: np.ndarray  # (entries, features)
    best_text: np.ndarray  # (entries,) the index in the catalog of each matter's closest text
    keywords: list[list[str]]  # (entries,) the keywords found


def text_vectors(title: str, content: str) -> np.ndarray:
    """The request's windows as sentence vectors (title and content read together)."""
    text = embedding.request_text(title, content)
    wins = embedding.windows(text) or [text]
    return embedding.encode(wins, query=True)


def features(
    cat: Catalog,
    vectors: np.ndarray,
    text: str,
    *,
    prior: dict[str, float] | None = None,
    exclude_text: int | None = None,
) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    """The feature matrix (entries × FEATURES), each matter's closest text, and the keywords found.
    `exclude_text` leaves one catalog text out (fitting on the matters' own examples)."""
    n = len(cat.entries)
    sims = vectors @ cat.vectors.T if len(cat.vectors) else np.zeros((len(vectors), 0))
    if exclude_text is not None:
        sims[:, exclude_text] = -1.0
    best_per_text = sims.max(axis=0) if len(sims) else np.zeros(len(cat.owner))
    sem = np.full(n, -1.0)
    best_text = np.zeros(n, dtype=np.int64)
    for t, owner in enumerate(cat.owner):
        if best_per_text[t] > sem[owner]:
            sem[owner], best_text[owner] = best_per_text[t], t
    head = best_per_text[cat.heads] if n else np.zeros(0)
    norm = normalize(text)
    found: list[list[str]] = []
    kw = np.zeros(n)
    for i, pattern in enumerate(cat.keyword_patterns):
        hits = list(dict.fromkeys(pattern.findall(norm))) if pattern is not None else []
        found.append(hits)
        kw[i] = min(len(hits), 2) / 2
    pri = np.zeros(n)
    if prior:
        for i, e in enumerate(cat.entries):
            pri[i] = math.log(prior.get(e.first_level or "", 0.0) + 1e-3) if e.first_level else math.log(1e-3)
    return np.column_stack([sem, head, kw, pri]), best_text, found


def softmax(z: np.ndarray) -> np.ndarray:
    """Probabilities from scores; all zeros when no matter may be chosen (every score −inf)."""
    if not len(z) or not np.isfinite(z.max()):
        return np.zeros(len(z))
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def read(
    cat: Catalog,
    vectors: np.ndarray,
    text: str,
    *,
    weights: Weights,
    prior: dict[str, float] | None = None,
    area_path: str | None = None,
    area_paths: dict[int, str] | None = None,
) -> Reading:
    """Each matter's probability for this request (a matter of another area than the request's has none)."""
    x, best_text, found = features(cat, vectors, text, prior=prior)
    z = x @ np.asarray(weights.coef) + place_offsets(cat, area_path, area_paths or {})
    return Reading(probabilities=softmax(z), features=x, best_text=best_text, keywords=found)


def place_offsets(cat: Catalog, area_path: str | None, area_paths: dict[int, str]) -> np.ndarray:
    """What the place does to each matter's score: nothing for a matter of everywhere; a matter of one
    area is out elsewhere, and held back when the place is not known."""
    out = np.zeros(len(cat.entries))
    for i, e in enumerate(cat.entries):
        if e.area_id is None:
            continue
        matter_path = area_paths.get(e.area_id)
        if area_path is None or matter_path is None:
            out[i] = -UNKNOWN_PLACE_PENALTY
        elif not area_path.startswith(matter_path):
            out[i] = -np.inf
    return out


def calibrate(p: float, calibration: tuple[float, float]) -> float:
    """The probability that the department is right, from the matcher's own (Platt scaling)."""
    a, b = calibration
    p = min(max(p, 1e-6), 1 - 1e-6)
    return 1 / (1 + math.exp(-(a * math.log(p / (1 - p)) + b)))
