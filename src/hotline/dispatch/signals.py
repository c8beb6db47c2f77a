"""Request type and urgency from the words of a request, with the cues that decided them.

The cues are data (lexicon.yaml, replaceable per centre); the code only scores them. There is no
labeled request-type data in the public sets, so these are rules a centre can read and correct, not a
trained model; the dispatch benchmark reports how they fall on real messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hotline.config import get_settings
from hotline.nlp.text import normalize
from hotline.tickets.enums import RequestType, Urgency

_WINDOW = 12  # characters either side of a match in which an `unless` cue cancels it


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    weight: float = 1.0
    unless: re.Pattern[str] | None = None
    service: str | None = None


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


def parse_cue(raw: dict[str, Any]) -> Cue:
    return Cue(
        pattern=re.compile(raw["pattern"]),
        weight=float(raw.get("weight", 1)),
        unless=re.compile(raw["unless"]) if raw.get("unless") else None,
        service=str(raw["service"]) if raw.get("service") else None,
    )


@lru_cache
def load_lexicon(path: str | None = None) -> Lexicon:
    """Read the lexicon (the packaged one, or HOTLINE_DISPATCH_LEXICON)."""
    source = Path(
        path
        or get_settings().dispatch_lexicon
        or str(resources.files("hotline") / "dispatch" / "lexicon.yaml")
    )
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    return Lexicon(
        title_weight=float(raw.get("title_weight", 1)),
        request_types={RequestType(k): [parse_cue(c) for c in v] for k, v in raw["request_types"].items()},
        urgency={Urgency(k): [parse_cue(c) for c in v] for k, v in raw["urgency"].items()},
    )


def hits(cue: Cue, text: str) -> list[str]:
    found = []
    for m in cue.pattern.finditer(text):
        if cue.unless is not None:
            window = text[max(0, m.start() - _WINDOW) : m.end() + _WINDOW]
            if cue.unless.search(window):
                continue
        found.append(m.group(0))
    return found


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


def urgency(title: str, content: str, lexicon: Lexicon | None = None) -> Signal:
    """Return emergency (with the service it belongs to), urgent, or normal, and the cues."""
    lex = lexicon or load_lexicon()
    text = normalize(title) + "。" + normalize(content)
    for level in (Urgency.emergency, Urgency.urgent):
        for cue in lex.urgency.get(level, []):
            matched = hits(cue, text)
            if matched:
                return Signal(
                    value=level.value,
                    confidence=0.9,
                    cues=list(dict.fromkeys(matched))[:6],
                    service=cue.service,
                )
    return Signal(value=Urgency.normal.value, confidence=0.7, cues=[])
