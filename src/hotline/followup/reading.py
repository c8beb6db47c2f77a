"""What a citizen's free-text follow-up answer says — satisfied, basically satisfied or unsatisfied;
resolved, not resolved or not said; and, when unsatisfied, whether about the department's own work
(within its power: a reopen can help) or about policy — read by meaning, with a confidence and the
cues behind it (hotline.nlp.reader: the shared sentence embedding, the answer's characters and the
cue lexicon followup/lexicon.yaml).

Every answer goes through `read`: a survey's comment, an SMS reply, the notes of a call, a call's
transcript. A reading below a head's threshold, one made without the embedding, or one whose
satisfaction and resolution disagree (satisfied, not resolved) is for a person to confirm: it is not
counted in the rates until confirmed (followup.service.confirm), and each confirmation is a label the
centre's own reader learns from (`train`).

The packaged reader (data/reader.npz) is trained on the written answers in data/answers.csv
(`python scripts/train_readers.py` writes it; a test checks it matches them)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.nlp import embedding, registry
from hotline.nlp import reader as nlp_reader
from hotline.nlp.reader import HeadSpec, Lexicon, Reader
from hotline.tickets.enums import Satisfaction

log = logging.getLogger(__name__)

KIND = "follow_up_reader"
CONFIRMED_WEIGHT = 2.0  # a centre's confirmed reading counts twice a written example

# satisfaction: an unsatisfied answer read as satisfied inflates a department's 满意率 and hides a
# reopen; it costs five errors when the threshold is chosen
SPECS = {
    "satisfaction": HeadSpec(
        labels=(Satisfaction.satisfied, Satisfaction.basically_satisfied, Satisfaction.unsatisfied),
        target=0.96,
        costly={(Satisfaction.unsatisfied, Satisfaction.satisfied): 5.0},
    ),
    "resolved": HeadSpec(labels=("yes", "no", "unknown"), target=0.93, costly={("no", "yes"): 3.0}),
    "about": HeadSpec(labels=("work", "policy"), target=0.90),
}
RESOLVED = {"yes": True, "no": False, "unknown": None}


@dataclass
class FollowUpReading:
    satisfaction: Satisfaction
    resolved: bool | None
    within_power: bool  # unsatisfied about the department's own work (not about policy)
    confidence: float  # the least of the heads' probabilities that decide the reading
    cues: list[str]  # "满意", "不是很满意", … as found, in the order of the text
    needs_person: bool
    why: list[str] = field(default_factory=list)  # why a person confirms it (Chinese)
    probabilities: dict[str, dict[str, float]] = field(default_factory=dict)
    reader: str = "packaged"

    def as_dict(self) -> dict[str, Any]:
        return {
            "satisfaction": self.satisfaction.value,
            "resolved": self.resolved,
            "within_power": self.within_power,
            "confidence": round(self.confidence, 3),
            "cues": self.cues,
            "needs_person": self.needs_person,
            "why": self.why,
            "probabilities": self.probabilities,
            "reader": self.reader,
        }


def package_file(name: str) -> Any:
    return resources.files("hotline.followup").joinpath(name)


def lexicon_text() -> str:
    path = get_settings().follow_up_lexicon
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read()
    return str(package_file("lexicon.yaml").read_text("utf-8"))


def written_examples() -> list[dict[str, str]]:
    """The written answers the packaged reader is trained on."""
    import csv
    import io

    text = package_file("data/answers.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def data_fingerprint(lexicon: str, examples: list[dict[str, str]]) -> str:
    rows = "\n".join(
        f"{r['text']}|{r['satisfaction']}|{r['resolved']}|{r.get('about', '')}" for r in examples
    )
    return nlp_reader.fingerprint(lexicon, rows)


@lru_cache
def packaged() -> Reader:
    return Reader.from_bytes(package_file("data/reader.npz").read_bytes())


_lock = threading.Lock()
_loaded: dict[str, Reader] = {}


def current(session: Session | None) -> tuple[Reader, str]:
    """The centre's active reader and its name ("v3"), or the packaged one — also when the stored
    version cannot serve (corrupt, or trained on another embedding model)."""
    if session is None:
        return packaged(), "packaged"
    row = registry.active_version(session, kind=KIND)
    if row is None:
        return packaged(), "packaged"
    with _lock:
        hit = _loaded.get(row.sha256)
    if hit is not None:
        return hit, f"v{row.version}"
    try:
        model = Reader.from_bytes(registry.artifact(session, row))
        if model.embedding_model != embedding.MODEL_NAME:
            raise ValueError(f"trained on {model.embedding_model}, not {embedding.MODEL_NAME}")
        name = f"v{row.version}"
    except Exception:
        log.exception("follow-up reader v%s cannot serve; the packaged reader serves instead", row.version)
        model, name = packaged(), "packaged"
    with _lock:
        _loaded.clear()
        _loaded[row.sha256] = model
    return model, name


def vector(text: str) -> np.ndarray | None:
    """An answer's sentence vector, or None when the embedding cannot be had."""
    try:
        return embedding.text_vector(text)
    except embedding.EmbeddingUnavailable:
        log.warning("sentence embedding unavailable: the follow-up answer is left for a person")
        return None


def read(text: str, *, session: Session | None = None, reader: Reader | None = None) -> FollowUpReading:
    """Read one answer (see the module's note)."""
    name = "given"
    if reader is None:
        reader, name = current(session)
    return judge(reader.read(text, vector(text)), reader_name=name)


def judge(r: nlp_reader.Reading, *, reader_name: str = "given") -> FollowUpReading:
    """The follow-up reading of a reader's verdicts: what the answer says, its confidence, and why a
    person should confirm it (a verdict below its threshold, no embedding, or satisfied yet not
    resolved)."""
    sat_v, res_v, about_v = r.verdicts["satisfaction"], r.verdicts["resolved"], r.verdicts["about"]
    sat = Satisfaction(sat_v.label)
    resolved = RESOLVED[res_v.label]
    within = sat == Satisfaction.unsatisfied and about_v.label == "work"
    why = []
    if not r.meaning:
        why.append("语义模型不可用")
    else:
        if not sat_v.confident:
            why.append(f"满意度判断置信度 {sat_v.probability:.2f} 偏低")
        if not res_v.confident:
            why.append(f"是否解决判断置信度 {res_v.probability:.2f} 偏低")
        if sat == Satisfaction.unsatisfied and not about_v.confident:
            why.append(f"不满意原因（工作/政策）置信度 {about_v.probability:.2f} 偏低")
        if sat == Satisfaction.satisfied and resolved is False:
            why.append("答复满意但问题未解决，两者矛盾")
    deciding = [sat_v.probability, res_v.probability] + (
        [about_v.probability] if sat == Satisfaction.unsatisfied else []
    )
    return FollowUpReading(
        satisfaction=sat,
        resolved=resolved,
        within_power=within,
        confidence=float(min(deciding)),
        cues=[words for _, words in r.cues],
        needs_person=bool(why),
        why=why,
        probabilities={k: v.as_dict()["probabilities"] for k, v in r.verdicts.items()},
        reader=reader_name,
    )


def fit(
    examples: list[dict[str, Any]],
    *,
    lexicon: str,
    fingerprint: str,
    vectors: np.ndarray | None = None,
) -> Reader:
    """Train a reader on examples (text, satisfaction, resolved, about, and an optional weight)."""
    texts = [e["text"] for e in examples]
    if vectors is None:
        vectors = embedding.mean_vectors(texts)
    labels = {
        "satisfaction": [e["satisfaction"] for e in examples],
        "resolved": [e.get("resolved") or None for e in examples],
        "about": [
            (e.get("about") or None) if e["satisfaction"] == Satisfaction.unsatisfied else None
            for e in examples
        ],
    }
    return nlp_reader.train(
        KIND,
        texts,
        labels,
        SPECS,
        Lexicon.from_yaml(lexicon),
        vectors,
        weights=[float(e.get("weight", 1.0)) for e in examples],
        fingerprint=fingerprint,
    )


def fit_packaged() -> Reader:
    examples = written_examples()
    lex = lexicon_text()
    return fit(examples, lexicon=lex, fingerprint=data_fingerprint(lex, examples))


def confirmed_examples(session: Session) -> list[dict[str, Any]]:
    """The centre's confirmed readings: each a label (what a person decided the answer says)."""
    from hotline.followup.enums import ReadBy
    from hotline.followup.models import FollowUpTask

    rows = session.execute(
        select(
            FollowUpTask.comment, FollowUpTask.satisfaction, FollowUpTask.resolved, FollowUpTask.within_power
        )
        .where(FollowUpTask.read_by == ReadBy.person, FollowUpTask.comment.is_not(None))
        .order_by(FollowUpTask.id)
    ).all()
    out = []
    for comment, sat, resolved, within in rows:
        if not (comment or "").strip() or sat is None:
            continue
        out.append(
            {
                "text": comment,
                "satisfaction": sat,
                "resolved": {True: "yes", False: "no", None: "unknown"}[resolved],
                "about": ("work" if within else "policy") if sat == Satisfaction.unsatisfied else "",
                "weight": CONFIRMED_WEIGHT,
            }
        )
    return out


def train(session: Session, *, created_by: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Train the centre's reader on the written answers and every confirmed reading, and store it as
    the next version (activated). Returns what was trained and its held-out figures."""
    own = confirmed_examples(session)
    examples = [*written_examples(), *own]
    lex = lexicon_text()
    model = fit(examples, lexicon=lex, fingerprint=data_fingerprint(lex, examples))
    row = registry.save_artifact(
        session,
        kind=KIND,
        method="reader",
        blob=model.to_bytes(),
        source=f"{len(examples) - len(own)} written answers + {len(own)} confirmed readings",
        n_samples=len(examples),
        metrics=model.metrics,
        created_by=created_by,
        now=now,
    )
    return {
        "version": row.version,
        "confirmed": len(own),
        "examples": len(examples),
        "metrics": model.metrics,
    }
