"""Request type and urgency from the words of a request, with the cues that decided them.

The cues are data (lexicon.yaml, replaceable per centre); the code only scores them. There is no
labeled request-type data in the public sets, so these are rules a centre can read and correct, not a
trained model; the dispatch benchmark reports how they fall on real messages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.nlp.cues import Cue, hits, parse_cue, read_lexicon
from hotline.nlp.text import normalize
from hotline.tickets.enums import RequestType, Urgency


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


def request_type(title: str, content: str, lexicon: Lexicon | None = None) -> Signal:
    """Return the most likely request type; 求助 when nothing points elsewhere."""
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
) -> Signal:
    """Return emergency (with the service it belongs to), urgent, or normal, and the cues. Emergencies
    are screening's reading (words, meaning and context; the centre's model when a session is given);
    `meaning=False` reads the words only (a fraction of a millisecond, for ordering a job queue)."""
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
    lex = lexicon or load_lexicon()
    text = normalize(title) + "。" + normalize(content)
    for cue in lex.urgency.get(Urgency.urgent, []):
        matched = hits(cue, text)
        if matched:
            return Signal(value=Urgency.urgent.value, confidence=0.9, cues=list(dict.fromkeys(matched))[:6])
    return Signal(value=Urgency.normal.value, confidence=0.7, cues=[])
