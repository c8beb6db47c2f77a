"""Request type and urgency of a request, with the cues that decided them.

By meaning first (dispatch.type_reading: a reader over the sentence embedding, the request's
characters and the cues of lexicon.yaml, trained on written requests); by the cues alone when the
embedding cannot be had, or when asked for words only (ordering a job queue). 特急 (an emergency) is
screening's reading either way. The cues are data (lexicon.yaml, replaceable per centre)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.dispatch import type_reading
from hotline.nlp import embedding
from hotline.nlp.cues import Cue, hits, parse_cue, read_lexicon
from hotline.nlp.reader import Reading
from hotline.nlp.text import normalize
from hotline.tickets.enums import RequestType, Urgency

log = logging.getLogger(__name__)


@dataclass
class Lexicon:
    title_weight: float
    request_types: dict[RequestType, list[Cue]]
    urgency: dict[Urgency, list[Cue]]


@dataclass
class Signal:
    value: str
    confidence: float
    cues: list[str]
    service: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "cues": self.cues,
        }
        if self.service:
            out["service"] = self.service
        return out


@lru_cache
def load_lexicon(path: str | None = None) -> Lexicon:
    """Read the lexicon (the packaged one, or HOTLINE_DISPATCH_LEXICON)."""
    raw = read_lexicon("dispatch/lexicon.yaml", path or get_settings().dispatch_lexicon)
    return Lexicon(
        title_weight=float(raw.get("title_weight", 1)),
        request_types={RequestType(k): [parse_cue(c) for c in v] for k, v in raw["request_types"].items()},
        urgency={Urgency(k): [parse_cue(c) for c in v] for k, v in raw["urgency"].items()},
    )


def request_type(
    title: str,
    content: str,
    lexicon: Lexicon | None = None,
    *,
    meaning: bool = True,
    vector: np.ndarray | None = None,
    reading: Reading | None = None,
) -> Signal:
    """Return the most likely request type: read by meaning (see the module's note), else by the
    cues, 求助 when nothing points elsewhere. `vector`: the request's vector, when the caller has it;
    `reading`: the request's reading (`read`), when the caller has it."""
    if meaning and lexicon is None:
        found = reading or read(title, content, vector)
        if found is not None:
            v = found.verdicts["request_type"]
            return Signal(value=v.label, confidence=v.probability, cues=_cues_of(found, v.label))
    return words_request_type(title, content, lexicon)


def read(title: str, content: str, vector: np.ndarray | None = None) -> Reading | None:
    """The request's type and urgency by meaning (dispatch.type_reading); None without the embedding."""
    try:
        return type_reading.read(title, content, vector=vector)
    except embedding.EmbeddingUnavailable:
        log.warning("sentence embedding unavailable: request type and urgency read by the cues")
        return None


def _cues_of(found: Reading, group: str) -> list[str]:
    return list(dict.fromkeys(words for name, words in found.cues if name == group))[:6]


def words_request_type(title: str, content: str, lexicon: Lexicon | None = None) -> Signal:
    """The request type by the cues alone; 求助 when nothing points elsewhere."""
    lex = lexicon or load_lexicon()
    title_n, body_n = normalize(title), normalize(content)
    scores: dict[RequestType, float] = {}
    cues: dict[RequestType, list[str]] = {}
    for kind, kind_cues in lex.request_types.items():
        for cue in kind_cues:
            t_hits, b_hits = hits(cue, title_n), hits(cue, body_n)
            if t_hits or b_hits:
                scores[kind] = scores.get(kind, 0) + cue.weight * (
                    lex.title_weight * len(t_hits) + min(len(b_hits), 3)
                )
                cues.setdefault(kind, []).extend(dict.fromkeys(t_hits + b_hits))
    if not scores:
        return Signal(value=RequestType.help.value, confidence=0.3, cues=[])
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = min(0.95, 0.5 + 0.5 * (score - runner) / score)
    return Signal(value=best.value, confidence=confidence, cues=cues[best][:6])


def urgency(
    title: str,
    content: str,
    lexicon: Lexicon | None = None,
    *,
    session: Session | None = None,
    meaning: bool = True,
    vector: np.ndarray | None = None,
    reading: Reading | None = None,
) -> Signal:
    """Return emergency (with the service it belongs to), urgent, or normal, and the cues. Emergencies
    are screening's reading (words, meaning and context; the centre's model when a session is given);
    `meaning=False` reads the words only (a fraction of a millisecond, for ordering a job queue).
    Urgent or normal is type_reading's (by the cues without the embedding)."""
    from hotline.screening import model as screening_model
    from hotline.screening import rules as screening_rules

    found = screening_rules.detect_emergency(
        title, content, model=screening_model.current(session) if meaning else None
    )
    if found.found:
        return Signal(
            value=Urgency.emergency.value,
            confidence=max(0.9, found.probability or 0.0),
            cues=found.cues or ([found.nearest] if found.nearest else []),
            service=found.service,
        )
    if meaning and lexicon is None:
        found_meaning = reading or read(title, content, vector)
        if found_meaning is not None:
            v = found_meaning.verdicts["urgency"]
            if v.label == Urgency.urgent:
                return Signal(
                    value=Urgency.urgent.value,
                    confidence=v.probability,
                    cues=_cues_of(found_meaning, "urgent"),
                )
            return Signal(value=Urgency.normal.value, confidence=v.probability, cues=[])
    lex = lexicon or load_lexicon()
    text = normalize(title) + "。" + normalize(content)
    for cue in lex.urgency.get(Urgency.urgent, []):
        matched = hits(cue, text)
        if matched:
            return Signal(value=Urgency.urgent.value, confidence=0.9, cues=list(dict.fromkeys(matched))[:6])
    return Signal(value=Urgency.normal.value, confidence=0.7, cues=[])
