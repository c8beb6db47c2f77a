"""What a citizen's free-text follow-up answer says — satisfied, basically satisfied or unsatisfied;
resolved, not resolved or not said; and, when unsatisfied, whether about the department's own work
(within its power: a reopen can help) or about policy — read by meaning, with a confidence and the
cues behind it (hotline.nlp.reader: the shared sentence embedding, the answer's characters and the
cue lexicon followup/lexicon.yaml).

Every answer goes through `read`: a survey's comment, an SMS reply, the notes of a call, a call's
transcript. A reading the reader is unsure of where it matters to the figures (`judge`), one made
without the embedding, or one whose satisfaction and resolution disagree (satisfied, not resolved) is
for a person to confirm: it is not
counted in the rates until confirmed (followup.service.confirm), and each confirmation is a label the
centre's own reader learns from (`train`).

The packaged reader (data/reader.npz) is trained on the written answers in data/answers.csv
(`python scripts/train_readers.py` writes it; a test checks it matches them)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.nlp import embedding, registry
from hotline.nlp import reader as nlp_reader
from hotline.nlp.reader import HeadSpec, Lexicon, Reader
from hotline.nlp.text import normalize
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
# what the answers the machine counts alone must reach on held-out folds (choose_review)
# (three-level satisfaction and the resolution counted agree with the labels; at most this share of
# them an unsatisfied answer read as satisfied)
REVIEW_TARGETS = {"satisfaction": 0.97, "resolved": 0.96, "unsatisfied_as_satisfied": 0.005}


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


_served = registry.Served(
    KIND, load=Reader.from_bytes, packaged=lambda: packaged(), embedding_model=embedding.MODEL_NAME
)


def current(session: Session | None) -> tuple[Reader, str]:
    """The centre's active reader and its name ("v3"), or the packaged one — also when the stored
    version cannot serve (corrupt, or trained on another embedding model)."""
    return _served.get(session)


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
    found = judge(reader.read(text, vector(text)), reader_name=name, review=reader.metrics.get("review"))
    if not_an_answer(text):
        found.needs_person = True
        found.why.append("可能不是对回访的答复")
    return found


def not_an_answer(text: str) -> bool:
    """A reply that may not answer the survey (the lexicon's `not_an_answer`), or nothing but signs."""
    t = normalize(text)
    if not re.search(r"[\w\u4e00-\u9fff]", t):
        return True
    pattern = _not_an_answer_pattern(lexicon_text())
    return bool(pattern and pattern.search(t))


@lru_cache(maxsize=4)
def _not_an_answer_pattern(lexicon: str) -> re.Pattern[str] | None:
    raw = yaml.safe_load(lexicon) or {}
    return re.compile(raw["not_an_answer"]) if raw.get("not_an_answer") else None


def unread() -> FollowUpReading:
    """The reading of an answer the reader failed on: for a person, counted nowhere until confirmed."""
    return FollowUpReading(
        satisfaction=Satisfaction.basically_satisfied,
        resolved=None,
        within_power=False,
        confidence=0.0,
        cues=[],
        needs_person=True,
        why=["系统判读出错，请人工确认"],
        reader="none",
    )


def judge(
    r: nlp_reader.Reading, *, reader_name: str = "given", review: dict[str, float] | None = None
) -> FollowUpReading:
    """The follow-up reading of a reader's verdicts: what the answer says, how sure the reader is of
    what it would put into the figures, and why a person should confirm it.

    What counts is what the answer does to 满意率 and 解决率: satisfied and basically satisfied weigh
    the same by default (HOTLINE_SATISFACTION_WEIGHTS), and an answer silent on resolution counts as
    resolved unless unsatisfied. So the reader's doubt is measured on the figures: the expected error of
    the answer's weight in 满意率, and the probability that the resolution counted is wrong. Above the
    reader's tolerances (chosen on held-out folds when it was trained: `review`), or where satisfaction
    and resolution disagree, or an unsatisfied answer's cause (work or policy) is unsure, or without the
    embedding, a person confirms."""
    review = review or {}
    sat_v, res_v, about_v = r.verdicts["satisfaction"], r.verdicts["resolved"], r.verdicts["about"]
    sat = Satisfaction(sat_v.label)
    resolved = RESOLVED[res_v.label]
    within = sat == Satisfaction.unsatisfied and about_v.label == "work"
    sat_error, res_error = figure_errors(sat_v.probabilities, res_v.probabilities, sat)
    why = []
    if not r.meaning:
        why.append("语义模型不可用")
    else:
        if sat_error > review.get("satisfaction", 0.0):
            why.append(f"满意度判断把握不足（{1 - sat_error:.2f}）")
        if res_error > review.get("resolved", 0.0):
            why.append(f"是否解决判断把握不足（{1 - res_error:.2f}）")
        if sat == Satisfaction.unsatisfied and not about_v.confident:
            why.append(f"不满意原因（工作/政策）把握不足（{about_v.probability:.2f}）")
        if sat == Satisfaction.satisfied and resolved is False:
            why.append("答复满意但问题未解决，两者矛盾")
    return FollowUpReading(
        satisfaction=sat,
        resolved=resolved,
        within_power=within,
        confidence=float(1.0 - max(sat_error, res_error)),
        cues=[words for _, words in r.cues],
        needs_person=bool(why),
        why=why,
        probabilities={k: v.as_dict()["probabilities"] for k, v in r.verdicts.items()},
        reader=reader_name,
    )


def figure_errors(
    sat_p: dict[str, float],
    res_p: dict[str, float],
    sat: Satisfaction,
    weights: dict[str, float] | None = None,
) -> tuple[float, float]:
    """How wrong the figures may be for this reading: the expected error of the answer's weight in
    满意率, and the probability that the resolution counted (yes; no; unsaid → resolved unless
    unsatisfied) is wrong."""
    w = weights if weights is not None else get_settings().satisfaction_weights
    chosen = w.get(sat.value, 0.0)
    sat_error = sum(p * abs(w.get(k, 0.0) - chosen) for k, p in sat_p.items())
    p_true = res_p.get("yes", 0.0) + res_p.get("unknown", 0.0) * (
        1.0 - sat_p.get(Satisfaction.unsatisfied, 0.0)
    )
    return float(sat_error), float(min(p_true, 1.0 - p_true))


def choose_review(model: Reader, examples: list[dict[str, Any]]) -> dict[str, Any]:
    """The tolerances of `judge`, from the out-of-fold probabilities of the training answers: the
    pair that leaves the most answers to the machine while those it counts alone reach
    REVIEW_TARGETS (three-level satisfaction, the resolution counted, unsatisfied answers read as
    satisfied)."""
    sat_oof, sat_y, sat_rows = model.oof["satisfaction"]
    res_oof, res_y, res_rows = model.oof["resolved"]
    s_labels, r_labels = SPECS["satisfaction"].labels, SPECS["resolved"].labels
    res_at = {int(i): k for k, i in enumerate(res_rows)}
    pairs = [(k, res_at[int(i)]) for k, i in enumerate(sat_rows) if int(i) in res_at]
    weights = {"satisfied": 1.0, "basically_satisfied": 1.0, "unsatisfied": 0.0}
    rows = []
    for k, j in pairs:
        sp = dict(zip(s_labels, map(float, sat_oof[k]), strict=True))
        rp = dict(zip(r_labels, map(float, res_oof[j]), strict=True))
        sat_hat = s_labels[int(sat_oof[k].argmax())]
        se, re_ = figure_errors(sp, rp, Satisfaction(sat_hat), weights)
        p_true = rp["yes"] + rp["unknown"] * (1.0 - sp["unsatisfied"])
        truth_sat = s_labels[int(sat_y[k])]
        truth_res = r_labels[int(res_y[j])]
        counted = truth_res == "yes" or (truth_res == "unknown" and truth_sat != "unsatisfied")
        rows.append(
            (
                se,
                re_,
                sat_hat == truth_sat,
                (p_true >= 0.5) == counted,
                truth_sat == "unsatisfied" and sat_hat == "satisfied",
            )
        )
    arr = np.array(rows, dtype=float)
    best = {"satisfaction": 0.0, "resolved": 0.0, "share_machine": 0.0}
    grid = [round(float(x), 3) for x in np.arange(0.01, 0.31, 0.01)]
    for ts in grid:
        for tr in grid:
            auto = (arr[:, 0] <= ts) & (arr[:, 1] <= tr)
            if not auto.any():
                continue
            ok = (
                arr[auto, 2].mean() >= REVIEW_TARGETS["satisfaction"]
                and arr[auto, 3].mean() >= REVIEW_TARGETS["resolved"]
                and arr[auto, 4].mean() <= REVIEW_TARGETS["unsatisfied_as_satisfied"]
            )
            if ok and auto.mean() > best["share_machine"]:
                best = {
                    "satisfaction": ts,
                    "resolved": tr,
                    "share_machine": round(float(auto.mean()), 4),
                    "cv_satisfaction_agreement": round(float(arr[auto, 2].mean()), 4),
                    "cv_resolved_agreement": round(float(arr[auto, 3].mean()), 4),
                }
    return best


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
    model = nlp_reader.train(
        KIND,
        texts,
        labels,
        SPECS,
        Lexicon.from_yaml(lexicon),
        vectors,
        weights=[float(e.get("weight", 1.0)) for e in examples],
        fingerprint=fingerprint,
    )
    model.metrics["review"] = choose_review(model, examples)
    return model


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
            FollowUpTask.comment,
            FollowUpTask.satisfaction,
            FollowUpTask.resolved,
            FollowUpTask.within_power,
            FollowUpTask.classification,
        )
        .where(FollowUpTask.read_by == ReadBy.person, FollowUpTask.comment.is_not(None))
        .order_by(FollowUpTask.id)
    ).all()
    out = []
    for comment, sat, resolved, within, classification in rows:
        if not (comment or "").strip() or sat is None:
            continue
        said = (classification or {}).get("confirmed", {})  # what the person said, "not said" included
        out.append(
            {
                "text": comment,
                "satisfaction": sat,
                "resolved": said.get("resolved") or {True: "yes", False: "no", None: "unknown"}[resolved],
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
        metrics=model.metrics | {"confirmed": len(own)},
        created_by=created_by,
        now=now,
    )
    return {
        "version": row.version,
        "confirmed": len(own),
        "examples": len(examples),
        "metrics": model.metrics,
    }


MIN_CONFIRMED = 20  # confirmed readings before a centre's own reader is trained
GROWTH = 0.2  # … and again once they have grown by a fifth


def learn_if_grown(session: Session, *, now: datetime | None = None) -> dict[str, Any] | None:
    """Train the centre's reader when enough readings have been confirmed since the active one (the
    sweep's work); None when nothing was due."""
    confirmed = len(confirmed_examples(session))
    if confirmed < MIN_CONFIRMED:
        return None
    active = registry.active_version(session, kind=KIND)
    if active is not None:
        before = int((active.metrics or {}).get("confirmed", 0))
        if confirmed < before * (1 + GROWTH) or confirmed == before:
            return None
    return train(session, created_by="sweep", now=now)


def check(
    rows: list[dict[str, str]], *, session: Session | None = None, reader: Reader | None = None
) -> dict[str, Any]:
    """How the reader reads a centre's own labelled answers (text, satisfaction, resolved yes/no/unknown,
    optionally about work/policy): agreement per question, per-class precision and recall, the share
    left for a person and the agreement of what the machine would count alone, and every misreading."""
    readings = [read(r["text"], session=session, reader=reader) for r in rows]
    res_of = {True: "yes", False: "no", None: "unknown"}
    out: dict[str, Any] = {"answers": len(rows)}
    for head, labels, got_of in (
        ("satisfaction", SPECS["satisfaction"].labels, lambda x: x.satisfaction.value),
        ("resolved", SPECS["resolved"].labels, lambda x: res_of[x.resolved]),
    ):
        truth = [r[head] for r in rows]
        got = [got_of(x) for x in readings]
        per: dict[str, Any] = {}
        for lab in labels:
            tp = sum(1 for t, g in zip(truth, got, strict=True) if t == lab == g)
            n_read, n = got.count(lab), truth.count(lab)
            per[lab] = {
                "n": n,
                "precision": round(tp / n_read, 3) if n_read else None,
                "recall": round(tp / n, 3) if n else None,
            }
        auto = [i for i, x in enumerate(readings) if not x.needs_person]
        out[head] = {
            "agreement": round(sum(t == g for t, g in zip(truth, got, strict=True)) / max(1, len(rows)), 3),
            "agreement_machine_alone": round(sum(truth[i] == got[i] for i in auto) / len(auto), 3)
            if auto
            else None,
            "per_class": per,
        }
    unsat_as_sat = sum(
        1
        for r, x in zip(rows, readings, strict=True)
        if r["satisfaction"] == Satisfaction.unsatisfied and x.satisfaction == Satisfaction.satisfied
    )
    out["unsatisfied_read_as_satisfied"] = unsat_as_sat
    out["to_confirm"] = sum(x.needs_person for x in readings)
    out["misread"] = [
        {
            "text": r["text"],
            "truth": f"{r['satisfaction']}/{r['resolved']}",
            "read": f"{x.satisfaction.value}/{res_of[x.resolved]}",
            "confidence": round(x.confidence, 3),
            "to_confirm": x.needs_person,
        }
        for r, x in zip(rows, readings, strict=True)
        if r["satisfaction"] != x.satisfaction.value or r["resolved"] != res_of[x.resolved]
    ]
    return out
