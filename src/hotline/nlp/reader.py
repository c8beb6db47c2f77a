"""A reader: what a short text says along a few heads — a follow-up answer's satisfaction and
resolution, a request's type and urgency — with a probability, a confidence threshold and the word
cues behind it.

Each head is a logistic regression over three kinds of features of the text:
- the shared sentence embedding (`hotline.nlp.embedding`): what it means, also without any cue word
  ("钱已经退给我了", "照样…");
- its characters (TF-IDF of 1–3 character n-grams, vocabulary learnt when trained): short and
  colloquial answers ("行", "还那样", "冇解决") the small embedding model reads poorly;
- readable word cues (a YAML lexicon of cue groups, a centre's to read and replace), where a cue
  right after a negator counts as its negation ("不是很满意" is `not:satisfied`, not `satisfied`).

The cues are features, not rules: what "满意" under a negation means is learnt from labelled examples
— the written ones a package ships with and a centre's own confirmed readings. Each head's threshold
is chosen when it is trained, from out-of-fold probabilities: the lowest probability at which the
readings above it reach the head's target accuracy; a reading below it goes to a person.

A reader is stored as plain arrays (numpy .npz, no pickle) with the embedding model's name, its
lexicon and a fingerprint of what it was trained on."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hotline.nlp import embedding
from hotline.nlp.cues import Cue, matches, parse_cue
from hotline.nlp.text import normalize

NEGATION_SPAN = 4  # characters before a cue in which a negator makes it a negation
NGRAMS = (1, 3)


@dataclass(frozen=True)
class Lexicon:
    """Cue groups (name → cues) and the negators that turn a cue into its negation."""

    groups: dict[str, list[Cue]]
    negators: re.Pattern[str] | None = None
    source: str = ""  # the YAML it was read from, kept with a trained reader

    @classmethod
    def from_yaml(cls, text: str) -> Lexicon:
        import yaml

        raw = yaml.safe_load(text) or {}
        groups = {
            str(name): [parse_cue(c) if isinstance(c, dict) else parse_cue({"pattern": c}) for c in cues]
            for name, cues in (raw.get("groups") or {}).items()
        }
        negators = re.compile(raw["negators"]) if raw.get("negators") else None
        return cls(groups=groups, negators=negators, source=text)

    @property
    def names(self) -> list[str]:
        return [n for g in self.groups for n in (g, f"not:{g}")]

    def read(self, text: str) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """The cue features of normalised text (each group's matches, plain and negated, at most 2
        each) and the cues found, as (feature name, the words) in the order of the text."""
        out = np.zeros(2 * len(self.groups), dtype=np.float32)
        found: list[tuple[int, str, str]] = []
        for gi, (group, cues) in enumerate(self.groups.items()):
            for cue in cues:
                for m in matches(cue, text):
                    before = text[max(0, m.start() - NEGATION_SPAN) : m.start()]
                    negated = bool(self.negators and self.negators.search(before))
                    out[2 * gi + negated] += 1
                    name = f"not:{group}" if negated else group
                    words = self._negated_words(text, m) if negated else m.group(0)
                    found.append((m.start(), name, words))
        found.sort()
        return np.minimum(out, 2.0), [(name, words) for _, name, words in dict.fromkeys(found)]

    def _negated_words(self, text: str, m: re.Match[str]) -> str:
        before = text[max(0, m.start() - NEGATION_SPAN) : m.start()]
        neg = self.negators.search(before) if self.negators else None
        return (neg.group(0) if neg else "") + m.group(0)


@dataclass
class Head:
    """One question a reader answers: its labels, a logistic regression (a sigmoid when two labels),
    and the probability below which a person confirms the reading."""

    name: str
    labels: tuple[str, ...]
    coef: np.ndarray  # (labels, features); one row for two labels
    intercept: np.ndarray
    threshold: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n, labels) probabilities."""
        z = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.labels) == 2:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class Verdict:
    label: str
    probability: float
    probabilities: dict[str, float]
    confident: bool  # at or above the head's threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "probability": round(self.probability, 3),
            "confident": self.confident,
            "probabilities": {k: round(v, 3) for k, v in self.probabilities.items()},
        }


@dataclass
class Reading:
    verdicts: dict[str, Verdict]
    cues: list[tuple[str, str]]  # (feature name, words), in the order of the text
    meaning: bool = True  # False: read without the embedding (its features were zero)


@dataclass
class Reader:
    kind: str
    heads: dict[str, Head]
    lexicon: Lexicon
    vocabulary: dict[str, int]
    idf: np.ndarray
    fingerprint: str
    embedding_model: str = embedding.MODEL_NAME
    metrics: dict[str, Any] = field(default_factory=dict)
    cue_scale: float = 1.0
    # out-of-fold probabilities of the examples each head was trained on, with their true label
    # indices (kept after training, for a caller's own policy; not stored)
    oof: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    # --- features ---
    def features(self, texts: Sequence[str], vectors: np.ndarray | None) -> Any:
        """The feature rows of texts (a sparse matrix); `vectors` are their sentence vectors (None:
        without meaning)."""
        from scipy import sparse

        norm = [normalize(t) for t in texts]
        chars = _tfidf(norm, self.vocabulary, self.idf)
        cues = np.stack([self.lexicon.read(t)[0] for t in norm]) if norm else np.zeros((0, 0))
        meaning = vectors if vectors is not None else np.zeros((len(norm), embedding.DIM), np.float32)
        return sparse.hstack(
            [sparse.csr_matrix(meaning), chars, sparse.csr_matrix(cues * self.cue_scale)], format="csr"
        ).astype(np.float32)

    def read(self, text: str, vector: np.ndarray | None) -> Reading:
        """Read one text (`vector`: its sentence vector, None when the embedding cannot be had: every
        verdict is then below its threshold, for a person to confirm)."""
        x = self.features([text], None if vector is None else vector[None, :])
        verdicts = {}
        for name, head in self.heads.items():
            p = head.probabilities(x)[0]
            best = int(p.argmax())
            verdicts[name] = Verdict(
                label=head.labels[best],
                probability=float(p[best]),
                probabilities={lab: float(q) for lab, q in zip(head.labels, p, strict=True)},
                confident=vector is not None and float(p[best]) >= head.threshold,
            )
        return Reading(verdicts, self.lexicon.read(normalize(text))[1], meaning=vector is not None)

    # --- storage ---
    def to_bytes(self) -> bytes:
        meta = {
            "kind": self.kind,
            "heads": {n: {"labels": list(h.labels), "threshold": h.threshold} for n, h in self.heads.items()},
            "lexicon": self.lexicon.source,
            "vocabulary": self.vocabulary,
            "fingerprint": self.fingerprint,
            "embedding_model": self.embedding_model,
            "metrics": self.metrics,
            "cue_scale": self.cue_scale,
        }
        arrays: dict[str, Any] = {f"coef_{n}": h.coef.astype(np.float32) for n, h in self.heads.items()}
        arrays |= {f"intercept_{n}": h.intercept.astype(np.float32) for n, h in self.heads.items()}
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            idf=self.idf.astype(np.float32),
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
            **arrays,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Reader:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            heads = {
                n: Head(n, tuple(h["labels"]), z[f"coef_{n}"], z[f"intercept_{n}"], float(h["threshold"]))
                for n, h in meta["heads"].items()
            }
            return cls(
                kind=meta["kind"],
                heads=heads,
                lexicon=Lexicon.from_yaml(meta["lexicon"]),
                vocabulary={k: int(v) for k, v in meta["vocabulary"].items()},
                idf=z["idf"],
                fingerprint=meta["fingerprint"],
                embedding_model=meta["embedding_model"],
                metrics=meta.get("metrics", {}),
                cue_scale=float(meta.get("cue_scale", 1.0)),
            )


def _ngrams(text: str) -> list[str]:
    lo, hi = NGRAMS
    return [text[i : i + n] for n in range(lo, hi + 1) for i in range(len(text) - n + 1)]


def _tfidf(texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray) -> Any:
    """Sublinear TF-IDF of character n-grams, L2-normalised rows (as scikit-learn's), sparse."""
    from scipy import sparse

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        counts: dict[int, int] = {}
        for g in _ngrams(text):
            j = vocabulary.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        weights = {j: (1.0 + np.log(c)) * float(idf[j]) for j, c in counts.items()}
        norm = float(np.sqrt(sum(w * w for w in weights.values()))) or 1.0
        for j, w in weights.items():
            rows.append(i)
            cols.append(j)
            vals.append(w / norm)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocabulary)), dtype=np.float32)


def fingerprint(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


@dataclass
class HeadSpec:
    """How a head is trained: its labels (in order) and the accuracy its confident readings must reach
    on held-out folds; `costly` pairs (truth, read) count as that many errors when the threshold is
    chosen (an unsatisfied answer read as satisfied inflates a department's 满意率)."""

    labels: tuple[str, ...]
    target: float = 0.95
    costly: dict[tuple[str, str], float] = field(default_factory=dict)


def train(
    kind: str,
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str | None]],
    specs: dict[str, HeadSpec],
    lexicon: Lexicon,
    vectors: np.ndarray,
    *,
    weights: Sequence[float] | None = None,
    fingerprint: str,
    c: float = 16.0,
    folds: int = 5,
    seed: int = 0,
    min_df: int = 2,
) -> Reader:
    """Fit each head on the examples that carry its label (None: not labelled for that head); each
    head's threshold from out-of-fold probabilities (see HeadSpec). Within each fold the character
    vocabulary is learnt from the fold's training examples only, so the held-out figures are not
    flattered by n-grams of the examples they are measured on."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    norm = [normalize(t) for t in texts]

    def reader_on(rows: Sequence[int]) -> Reader:
        tv = TfidfVectorizer(
            analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df, dtype=np.float32
        ).fit([norm[i] for i in rows])
        return Reader(
            kind=kind,
            heads={},
            lexicon=lexicon,
            vocabulary={str(k): int(v) for k, v in tv.vocabulary_.items()},
            idf=tv.idf_.astype(np.float32),
            fingerprint=fingerprint,
        )

    reader = reader_on(range(len(texts)))
    x = reader.features(texts, vectors)
    w = np.asarray(weights if weights is not None else np.ones(len(texts)), dtype=np.float64)
    metrics: dict[str, Any] = {"n_examples": len(texts), "heads": {}}
    for name, spec in specs.items():
        y_all = labels[name]
        rows = np.array([i for i, v in enumerate(y_all) if v is not None and v in spec.labels])
        y = np.array([spec.labels.index(str(y_all[i])) for i in rows])

        def fold_features(train: np.ndarray, rows: np.ndarray = rows) -> Any:
            """The head's rows as features with a vocabulary learnt from its `train` rows only."""
            return reader_on(rows[train].tolist()).features([texts[i] for i in rows], vectors[rows])

        head, head_metrics, oof = _fit_head(
            name, spec, x[rows], y, w[rows], fold_features, c=c, folds=folds, seed=seed
        )
        reader.heads[name] = head
        reader.oof[name] = (oof, y, rows)
        metrics["heads"][name] = head_metrics
    reader.metrics = metrics
    return reader


def _fit_head(
    name: str,
    spec: HeadSpec,
    x: Any,
    y: np.ndarray,
    w: np.ndarray,
    fold_features: Any,
    *,
    c: float,
    folds: int,
    seed: int,
) -> tuple[Head, dict[str, Any], np.ndarray]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    def fit(idx: np.ndarray, x: Any = x) -> Any:
        return LogisticRegression(C=c, max_iter=5000).fit(x[idx], y[idx], sample_weight=w[idx])

    present = sorted(set(y.tolist()))
    oof = np.zeros((len(y), len(spec.labels)))
    n_folds = min(folds, min(int((y == k).sum()) for k in present))
    if n_folds >= 2:
        for tr, te in StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(x, y):
            fx = fold_features(tr)
            model = fit(tr, fx)
            oof[np.ix_(te, model.classes_)] = model.predict_proba(fx[te])
    full = fit(np.arange(len(y)))
    coef = np.zeros((len(spec.labels), x.shape[1]), dtype=np.float32)
    intercept = np.full(len(spec.labels), -30.0, dtype=np.float32)
    if len(full.classes_) == 2 and len(spec.labels) == 2:
        coef, intercept = full.coef_.astype(np.float32), full.intercept_.astype(np.float32)
    elif len(full.classes_) == 2:  # two of more labels seen: a softmax of one logit against the other
        coef[full.classes_[1]], intercept[full.classes_[1]] = full.coef_[0], full.intercept_[0]
        intercept[full.classes_[0]] = 0.0
    else:
        coef[full.classes_], intercept[full.classes_] = full.coef_, full.intercept_
    threshold, metrics = _threshold(spec, oof, y) if n_folds >= 2 else (1.0, {})
    metrics |= {
        "examples": len(y),
        "per_label": {lab: int((y == i).sum()) for i, lab in enumerate(spec.labels)},
    }
    return Head(name, spec.labels, coef, intercept, threshold), metrics, oof


def _threshold(spec: HeadSpec, oof: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The lowest probability at which held-out readings at or above it reach the target accuracy,
    costly errors weighing their cost."""
    read = oof.argmax(axis=1)
    conf = oof.max(axis=1)
    cost = np.where(read == y, 0.0, 1.0)
    for (truth, got), weight in spec.costly.items():
        ti, gi = spec.labels.index(truth), spec.labels.index(got)
        cost[(y == ti) & (read == gi)] = weight
    threshold = 1.0
    for t in sorted(set(np.round(conf, 4).tolist())):
        kept = conf >= t
        if kept.any() and 1.0 - cost[kept].sum() / kept.sum() >= spec.target:
            threshold = t
            break
    kept = conf >= threshold
    return float(threshold), {
        "threshold": round(float(threshold), 4),
        "cv_accuracy": round(float((read == y).mean()), 4),
        "cv_share_confident": round(float(kept.mean()), 4),
        "cv_accuracy_confident": round(float((read[kept] == y[kept]).mean()), 4) if kept.any() else None,
    }
