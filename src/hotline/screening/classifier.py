"""The screening classifier: for each rare kind, a logistic regression over the shared sentence
embedding, trained on the described situations (situations.yaml), the centre's own reviewed flags
(a confirmed flag is a positive, a dismissed one a hard negative) and ordinary requests.

A request is read window by window (`hotline.nlp.embedding.windows`); a kind's probability is that of
its most telling window. Each kind has its own threshold, chosen when the model is trained from
out-of-fold probabilities: the score that reaches the recall target (emergencies: 0.98), raised only
as far as needed to keep the false flags on ordinary requests and on look-alikes under their caps
(so the recall reached can be lower; the metrics say what it is).

The model is stored as plain arrays (numpy .npz, no pickle) with the embedding model's name and a
fingerprint of what it was trained on."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hotline.nlp import embedding

KINDS = ("emergency", "threat", "abusive", "private_domain", "out_of_remit")
# recall wanted on held-out folds, and the cap on false flags among ordinary requests
RECALL_TARGET = {"emergency": 0.98}
DEFAULT_RECALL_TARGET = 0.92
FALSE_FLAG_CAP = {"emergency": 0.004}
DEFAULT_FALSE_FLAG_CAP = 0.002
# … and on the hard ordinary examples (look-alikes), each kind's share of false flags
HARD_CAP = {"emergency": 0.15, "threat": 0.05}
DEFAULT_HARD_CAP = 0.03
HARD_WEIGHT = 4.0


@dataclass(frozen=True)
class Example:
    text: str
    kinds: frozenset[str]  # empty: an ordinary request
    situation: int | None = None  # index into the model's situations
    weight: float = 1.0
    hard: bool = False  # sounds like a rare kind but is not (a written look-alike, a dismissed flag)
    not_kinds: frozenset[str] = frozenset()  # kinds a person dismissed on it (hard negatives of those)


@dataclass
class Situation:
    kind: str
    text: str
    service: str | None = None
    referral: str | None = None
    also: list[str] = field(default_factory=list)  # kinds a request like this is as well


@dataclass
class Reading:
    """What the model read in a request: each kind's probability, its most telling window, and the
    nearest described situation of that kind."""

    probability: dict[str, float]
    window: dict[str, int]
    nearest: dict[str, tuple[int, float]]  # kind -> (situation index, cosine)


@dataclass
class ScreeningModel:
    kinds: tuple[str, ...]
    coef: np.ndarray  # (kinds, dim)
    intercept: np.ndarray  # (kinds,)
    thresholds: np.ndarray  # (kinds,)
    situations: list[Situation]
    centroids: np.ndarray  # (situations, dim): mean example vector, normalised
    fingerprint: str
    embedding_model: str = embedding.MODEL_NAME
    metrics: dict[str, Any] = field(default_factory=dict)
    method: str = "ovr"  # a sigmoid per kind

    def threshold(self, kind: str, overrides: dict[str, float] | None = None) -> float:
        if overrides and kind in overrides:
            return float(overrides[kind])
        return float(self.thresholds[self.kinds.index(kind)])

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(windows, kinds) probabilities."""
        z = vectors @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def read(self, vectors: np.ndarray) -> Reading:
        if len(vectors) == 0:
            return Reading({k: 0.0 for k in self.kinds}, {}, {})
        probs = self.probabilities(vectors)
        best = probs.argmax(axis=0)
        sims = vectors @ self.centroids.T  # (windows, situations)
        prob, window, nearest = {}, {}, {}
        for j, kind in enumerate(self.kinds):
            w = int(best[j])
            prob[kind], window[kind] = float(probs[w, j]), w
            of_kind = [i for i, s in enumerate(self.situations) if s.kind == kind]
            if of_kind:
                i = max(of_kind, key=lambda i: sims[w, i])
                nearest[kind] = (i, float(sims[w, i]))
        return Reading(prob, window, nearest)

    # --- storage ---
    def to_bytes(self) -> bytes:
        meta = {
            "kinds": list(self.kinds),
            "situations": [s.__dict__ for s in self.situations],
            "fingerprint": self.fingerprint,
            "embedding_model": self.embedding_model,
            "metrics": self.metrics,
            "method": self.method,
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            centroids=self.centroids.astype(np.float32),
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> ScreeningModel:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            return cls(
                kinds=tuple(meta["kinds"]),
                coef=z["coef"],
                intercept=z["intercept"],
                thresholds=z["thresholds"],
                situations=[Situation(**s) for s in meta["situations"]],
                centroids=z["centroids"],
                fingerprint=meta["fingerprint"],
                embedding_model=meta["embedding_model"],
                metrics=meta.get("metrics", {}),
                method=meta.get("method", "ovr"),
            )


def _choose_threshold(
    pos: np.ndarray,
    neg: np.ndarray,
    recall_target: float,
    cap: float,
    hard: np.ndarray | None = None,
    hard_cap: float = 1.0,
) -> float:
    """The threshold reaching the recall target on held-out positives, raised only as far as needed
    to keep held-out ordinary requests' false flags within the cap (and the look-alikes' within theirs)."""
    if len(pos) == 0:
        return 0.5
    at_recall = float(np.quantile(pos, 1.0 - recall_target, method="lower"))
    at_cap = float(np.quantile(neg, 1.0 - cap, method="higher")) if len(neg) else 0.0
    at_hard = (
        float(np.quantile(hard, 1.0 - hard_cap, method="higher")) if hard is not None and len(hard) else 0.0
    )
    return float(min(max(at_recall, at_cap, at_hard, 0.05), 0.95))


def train(
    examples: list[Example],
    vectors: np.ndarray,
    situations: list[Situation],
    *,
    fingerprint: str,
    c: float = 16.0,
    folds: int = 5,
    seed: int = 0,
) -> ScreeningModel:
    """Fit one logistic regression per kind on example vectors, where the look-alikes and the examples
    of the other kinds are hard negatives (weighted HARD_WEIGHT: a family quarrel must not read as a
    threat); each kind's threshold from out-of-fold probabilities. (A multinomial model in which the
    kinds compete was tried: more precise on the development set, but it lost emergencies.)"""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    hard_any = np.array([e.hard for e in examples])
    ordinary = np.array([not e.kinds for e in examples])
    base = np.array([e.weight for e in examples])
    coef = np.zeros((len(KINDS), vectors.shape[1]), dtype=np.float32)
    intercept = np.full(len(KINDS), -30.0, dtype=np.float32)
    thresholds = np.ones(len(KINDS), dtype=np.float32)
    metrics: dict[str, Any] = {"n_examples": len(examples), "method": "ovr", "kinds": {}}
    for j, kind in enumerate(KINDS):
        y = np.array([kind in e.kinds for e in examples])
        # a look-alike, or an example a person dismissed for this kind (not one dismissed for another)
        hard = hard_any & np.array([not e.not_kinds or kind in e.not_kinds or not e.kinds for e in examples])
        n_pos = int(y.sum())
        if n_pos < folds:
            metrics["kinds"][kind] = {"positives": n_pos}
            continue
        other = ~y & ~ordinary
        w = base * np.where(hard | other, HARD_WEIGHT, 1.0)
        w = w * np.where(
            y, (~y).sum() / max(1, n_pos) / 4.0, 1.0
        )  # positives: a quarter of the negatives' mass

        def fit(idx: np.ndarray, y: np.ndarray = y, w: np.ndarray = w) -> Any:
            return LogisticRegression(C=c, max_iter=5000).fit(vectors[idx], y[idx], sample_weight=w[idx])

        oof = np.zeros(len(examples))
        for tr, te in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(vectors, y):
            oof[te] = fit(tr).predict_proba(vectors[te])[:, 1]
        t = _choose_threshold(
            oof[y],
            oof[ordinary & ~hard],
            RECALL_TARGET.get(kind, DEFAULT_RECALL_TARGET),
            FALSE_FLAG_CAP.get(kind, DEFAULT_FALSE_FLAG_CAP),
            oof[hard & ~y],
            HARD_CAP.get(kind, DEFAULT_HARD_CAP),
        )
        full = fit(np.arange(len(examples)))
        coef[j], intercept[j], thresholds[j] = full.coef_[0], full.intercept_[0], t
        flagged = oof >= t
        metrics["kinds"][kind] = {
            "positives": n_pos,
            "threshold": round(t, 4),
            "cv_recall": round(float(flagged[y].mean()), 4),
            "cv_precision": round(float(flagged[y].sum() / max(1, flagged.sum())), 4),
            "cv_false_flag_rate": round(float(flagged[ordinary & ~hard].mean()), 5),
            "cv_false_flag_rate_lookalikes": round(float(flagged[hard & ~y].mean()), 4)
            if hard.any()
            else None,
            "cv_false_flag_rate_other_kinds": round(float(flagged[other].mean()), 4),
        }
    return ScreeningModel(
        kinds=KINDS,
        coef=coef,
        intercept=intercept,
        thresholds=thresholds,
        situations=situations,
        centroids=_centroids(examples, vectors, len(situations)),
        fingerprint=fingerprint,
        metrics=metrics,
        method="ovr",
    )


def _centroids(examples: list[Example], vectors: np.ndarray, n: int) -> np.ndarray:
    centroids = np.zeros((n, vectors.shape[1]), dtype=np.float32)
    for i in range(n):
        rows = [k for k, e in enumerate(examples) if e.situation == i]
        if rows:
            v = vectors[rows].mean(axis=0)
            centroids[i] = v / (np.linalg.norm(v) or 1.0)
    return centroids
