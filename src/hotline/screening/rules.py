"""What a request's words and meaning say about screening: emergencies, threats, abuse, private-domain
and out-of-remit matters — each with why (the words, the nearest described situation) and what to
tell the caller (the referral, or the emergency service to hand over to).

Three layers, each readable on its own:
- cues (lexicon.yaml): words and patterns a person can read and correct;
- meaning (classifier.py): a small model over the shared sentence embedding, trained on described
  situations and on the centre's own review decisions;
- context (lexicon.yaml `context`): a past event, a what-if, a hazard reported for prevention or a
  question about procedure cancels an emergency in the same sentence, unless the sentence says it is
  happening now.
A flag only flags: a person confirms or dismisses it (service.review)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hotline.config import get_settings
from hotline.nlp import cues, embedding
from hotline.nlp.cues import Cue, hits, parse_cue, read_lexicon
from hotline.screening.classifier import KINDS, Reading, ScreeningModel
from hotline.screening.text import screening_text, screening_windows

log = logging.getLogger(__name__)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+")


@dataclass(frozen=True)
class Rule:
    cue: Cue
    reason: str
    referral: str | None


@dataclass(frozen=True)
class Lexicon:
    rules: dict[str, list[Rule]]
    cancel: re.Pattern[str]
    chronic: re.Pattern[str]
    present: re.Pattern[str]
    consult: re.Pattern[str]
    self_harm: re.Pattern[str]
    danger: re.Pattern[str]
    lawful: re.Pattern[str]
    harm: re.Pattern[str]


@dataclass
class Finding:
    kind: str
    reason: str
    cues: list[str]
    referral: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


SELF_HARM_SERVICE = "110、120"
CONFIDENT = 0.6  # an emergency read by meaning above this needs no danger word
CONTEXT = 60  # characters either side of an emergency cue in which context is read
# kinds whose reading by meaning alone a question about procedure cancels
CONSULT_CANCELS = {"private_domain", "out_of_remit"}
REASONS = {"abusive": "辱骂性语言", "threat": "威胁性语言", "emergency": "疑似紧急警情"}


@lru_cache
def load(path: str | None = None) -> Lexicon:
    source = path or get_settings().screening_lexicon or "the packaged lexicon"
    raw = read_lexicon("screening/lexicon.yaml", path or get_settings().screening_lexicon)
    context = raw.pop("context", {}) or {}
    for needed in ("emergency", "context"):
        if needed not in raw and not (needed == "context" and context):
            log.warning(
                "screening lexicon %s has no %r section: no %s cues are read (see the packaged lexicon.yaml)",
                source,
                needed,
                needed,
            )
    return Lexicon(
        rules={
            kind: [
                Rule(
                    cue=parse_cue(r),
                    reason=r.get("reason") or REASONS.get(kind, kind),
                    referral=r.get("referral"),
                )
                for r in rules
            ]
            for kind, rules in raw.items()
        },
        cancel=re.compile(context.get("cancel") or r"(?!)"),
        chronic=re.compile(context.get("chronic") or r"(?!)"),
        present=re.compile(context.get("present") or r"(?!)"),
        consult=re.compile(context.get("consult") or r"(?!)"),
        self_harm=re.compile(context.get("self_harm") or r"(?!)"),
        danger=re.compile(context.get("danger") or r""),
        lawful=re.compile(context.get("lawful") or r"(?!)"),
        harm=re.compile(context.get("harm") or r""),
    )


def cancelled_by(text: str, lexicon: Lexicon | None = None, *, confident: bool = False) -> str | None:
    """The cue that makes this sentence not an emergency now (a past event, a what-if, prevention;
    unless the reading is confident, also a recurring nuisance or a grievance), or None; a sentence
    that also says it is happening now is not cancelled."""
    lex = lexicon or load()
    if lex.present.search(text):
        return None
    m = lex.cancel.search(text) or (None if confident else lex.chronic.search(text))
    return m.group(0) if m else None


def _sentence_of(text: str, start: int, end: int) -> str:
    """The sentence around a match, at most CONTEXT characters either side (text without punctuation
    is one long sentence: its context stays local)."""
    for m in _SENTENCE.finditer(text):
        if m.start() <= start < m.end():
            return text[max(m.start(), start - CONTEXT) : min(m.end(), end + CONTEXT)]
    return text[max(0, start - CONTEXT) : end + CONTEXT]


@dataclass
class Emergency:
    """An emergency read in a request, or why one was not: the service, the words, the meaning."""

    found: bool
    service: str | None = None
    cues: list[str] = field(default_factory=list)
    probability: float | None = None
    nearest: str | None = None
    similarity: float | None = None
    cancelled_by: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)  # "words", "meaning", "threat_of_self_harm"
    window: str | None = None  # the window the meaning was read in


def _threatens_self(text: str, lex: Lexicon, model: ScreeningModel | None, reading: Reading | None) -> bool:
    """Words of self-harm in a request that threatens (by its words, or by meaning)."""
    if not lex.self_harm.search(text):
        return False
    if any(hits(rule.cue, text) for rule in lex.rules.get("threat", [])):
        return True
    if model is None or reading is None:
        return False
    return reading.probability.get("threat", 0.0) >= model.threshold(
        "threat", get_settings().screening_thresholds
    )


def _pattern_emergency(text: str, lex: Lexicon) -> tuple[list[str], str | None, list[str]]:
    words: list[str] = []
    service: str | None = None
    cancels: list[str] = []
    for rule in lex.rules.get("emergency", []):
        for m in cues.matches(rule.cue, text):
            why = cancelled_by(_sentence_of(text, m.start(), m.end()), lex)
            if why:
                cancels.append(why)
                continue
            words.append(m.group(0))
            service = service or rule.cue.service
    return list(dict.fromkeys(words))[:6], service, cancels


def _read(model: ScreeningModel, windows: list[str]) -> Reading | None:
    """The model's reading of the windows; None when the sentence embedding cannot be had (the words
    still screen: an emergency said in its usual words is still found)."""
    try:
        return model.read(embedding.encode(windows))
    except embedding.EmbeddingUnavailable as exc:
        log.warning("screening by words only: %s", exc)
        return None


def detect_emergency(
    title: str,
    content: str,
    *,
    model: ScreeningModel | None = None,
    reading: Reading | None = None,
    windows: list[str] | None = None,
    lexicon: Lexicon | None = None,
) -> Emergency:
    """Is this an emergency happening now, and for which service? Patterns first; then, where a model
    is given, the meaning of each window against the described emergency situations."""
    lex = lexicon or load()
    text = screening_text(title, content)
    words, service, cancels = _pattern_emergency(text, lex)
    out = Emergency(
        found=bool(words), service=service, cues=words, cancelled_by=cancels, by=["words"] if words else []
    )
    if model is not None and (reading is None or windows is None):
        windows = screening_windows(title, content)
        reading = _read(model, windows)
    if model is not None and reading is not None and windows:
        _meaning_emergency(out, model, reading, windows, lex)
    if not out.found and _threatens_self(text, lex, model, reading):
        # a threat against one's own life: a crisis to hand over now, "if" or not
        out.found, out.service = True, SELF_HARM_SERVICE
        out.cues = list(dict.fromkeys(lex.self_harm.findall(text)))[:5]
        out.by.append("threat_of_self_harm")
    if out.found and out.service is None:
        out.service = "110"
    out.cancelled_by = list(dict.fromkeys(out.cancelled_by))[:5]
    return out


def _meaning_emergency(
    out: Emergency, model: ScreeningModel, reading: Reading, windows: list[str], lex: Lexicon
) -> None:
    p = reading.probability.get("emergency", 0.0)
    out.probability = round(p, 4)
    near = reading.nearest.get("emergency")
    if near is not None:
        out.nearest, out.similarity = model.situations[near[0]].text, round(near[1], 4)
    if p >= model.threshold("emergency", get_settings().screening_thresholds):
        window = windows[reading.window["emergency"]]
        # the sentences of the telling window: one must be about now — and, for a borderline reading,
        # name a danger to life or body
        sure = p >= CONFIDENT
        live = [
            s
            for s in _SENTENCE.findall(window)
            if (sure or lex.danger.search(s)) and not cancelled_by(s, lex, confident=sure)
        ]
        if live:
            out.found = True
            out.by.append("meaning")
            if out.service is None and near is not None:
                out.service = model.situations[near[0]].service
        else:
            out.cancelled_by.extend(
                c for s in _SENTENCE.findall(window) if (c := cancelled_by(s, lex, confident=sure))
            )
        out.window = window[:150]


def screen_text(
    title: str, content: str, *, model: ScreeningModel | None = None, lexicon: Lexicon | None = None
) -> list[Finding]:
    """Every screening finding in a request's text, one per kind. With a model (the service passes the
    centre's active one), meaning is read as well as words."""
    lex = lexicon or load()
    text = screening_text(title, content)
    windows = screening_windows(title, content) if model is not None else []
    reading = _read(model, windows) if model is not None else None
    overrides = get_settings().screening_thresholds
    out: list[Finding] = []
    for kind in KINDS:
        if kind == "emergency":
            continue
        finding: Finding | None = None
        for rule in lex.rules.get(kind, []):
            found = hits(rule.cue, text)
            if found:
                finding = Finding(
                    kind=kind,
                    reason=rule.reason,
                    cues=list(dict.fromkeys(found))[:5],
                    referral=rule.referral,
                    details={"by": ["words"]},
                )
                break
        if model is not None and reading is not None:
            p = reading.probability.get(kind, 0.0)
            near = reading.nearest.get(kind)
            situation = model.situations[near[0]] if near else None
            window = windows[reading.window[kind]] if windows else ""
            asks = kind in CONSULT_CANCELS and lex.consult.search(window)
            lawful = kind == "threat" and lex.lawful.search(window) and not lex.harm.search(window)
            if p >= model.threshold(kind, overrides) and not (finding is None and (asks or lawful)):
                if finding is None:
                    finding = Finding(
                        kind=kind,
                        reason=situation.text if situation else REASONS.get(kind, kind),
                        cues=[],
                        referral=situation.referral if situation else None,
                        details={"by": ["meaning"]},
                    )
                else:
                    finding.details["by"].append("meaning")
                finding.details["window"] = window[:150]
            if finding is not None:
                finding.details["probability"] = round(p, 4)
                finding.details.setdefault("window", window[:150])
                if situation is not None:
                    finding.details["nearest"] = situation.text
                    finding.details["similarity"] = round(near[1], 4) if near else None
                    finding.referral = finding.referral or situation.referral
        if finding is not None:
            out.append(finding)
    emergency = detect_emergency(title, content, model=model, reading=reading, windows=windows, lexicon=lex)
    if emergency.found:
        out.append(
            Finding(
                kind="emergency",
                reason=f"疑似紧急警情，应转 {emergency.service}",
                cues=emergency.cues,
                referral=f"请立即转接 {emergency.service}，并记录转接时间",
                details={
                    "service": emergency.service,
                    "by": emergency.by,
                    "probability": emergency.probability,
                    "nearest": emergency.nearest,
                    "similarity": emergency.similarity,
                    "window": emergency.window,
                },
            )
        )
    return out
