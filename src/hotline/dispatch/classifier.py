"""The category classifier: Chinese text → category with calibrated probabilities and reasons.

Methods are compared in bench/dispatch.py; the default is the one that measured best there
(word and character n-gram TF-IDF into a linear SVM, sigmoid-calibrated)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from hotline.nlp.text import char_part, tokenize, word_part

DEFAULT_METHOD = "tfidf-svm"


def _words() -> Pipeline:
    return Pipeline(
        [
            ("pick", FunctionTransformer(_word_list)),
            (
                "tfidf",
                TfidfVectorizer(
                    token_pattern=r"\S+",  # noqa: S106 - a regex, not a password
                    lowercase=False,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )


def _chars() -> Pipeline:
    return Pipeline(
        [
            ("pick", FunctionTransformer(_char_list)),
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char", lowercase=False, ngram_range=(1, 3), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )


def _word_list(docs: Sequence[str]) -> list[str]:
    return [word_part(d) for d in docs]


def _char_list(docs: Sequence[str]) -> list[str]:
    return [char_part(d) for d in docs]


def _svm(C: float = 0.5) -> ClassifierMixin:
    return CalibratedClassifierCV(LinearSVC(C=C), cv=3, method="sigmoid", ensemble=False)


def _build_svm() -> Pipeline:
    return Pipeline([("features", FeatureUnion([("words", _words()), ("chars", _chars())])), ("clf", _svm())])


def _build_logreg() -> Pipeline:
    return Pipeline(
        [
            ("features", FeatureUnion([("words", _words()), ("chars", _chars())])),
            ("clf", LogisticRegression(C=20, max_iter=2000)),
        ]
    )


def _build_nb() -> Pipeline:
    return Pipeline([("features", FeatureUnion([("words", _words())])), ("clf", ComplementNB(alpha=0.3))])


METHODS: dict[str, Callable[[], Pipeline]] = {
    "tfidf-svm": _build_svm,  # word 1-2 grams + char 1-3 grams, linear SVM, sigmoid calibration
    "tfidf-logreg": _build_logreg,  # same features, multinomial logistic regression
    "tfidf-nb": _build_nb,  # word 1-2 grams, complement naive Bayes
}


def prepare(texts: Sequence[str]) -> list[str]:
    """Tokenize texts once for training or prediction (see text.tokenize)."""
    return [tokenize(t) for t in texts]


@dataclass
class Reason:
    feature: str
    weight: float


@dataclass
class CategoryModel:
    """A trained classifier and what it knows; pickled into a model version's artifact."""

    method: str
    labels: list[str]
    pipeline: Pipeline
    trained_at: float = field(default_factory=time.time)
    temperature: float = 1.0  # fitted on out-of-fold predictions so that confidence matches accuracy
    _names: np.ndarray | None = field(default=None, repr=False)

    def predict_proba(self, prepared: Sequence[str]) -> np.ndarray:
        """Return one row of class probabilities (in `labels` order) per prepared text."""
        proba = self.pipeline.predict_proba(list(prepared))
        order = [list(self.pipeline.classes_).index(label) for label in self.labels]
        return scale(np.asarray(proba)[:, order], self.temperature)

    def analyse(self, prepared: str, k: int = 3) -> tuple[list[tuple[str, float]], list[Reason]]:
        """The k most probable labels and the reasons for the first, from one feature pass."""
        features = self.pipeline.named_steps["features"]
        vector = features.transform([prepared]).tocsr()
        raw = self.pipeline.named_steps["clf"].predict_proba(vector)
        order = [list(self.pipeline.classes_).index(label) for label in self.labels]
        proba = scale(np.asarray(raw)[:, order], self.temperature)[0]
        idx = np.argsort(-proba)[:k]
        top = [(self.labels[i], float(proba[i])) for i in idx]
        return top, self._reasons_from(vector, top[0][0]) if top else []

    def top(self, prepared: str, k: int = 3) -> list[tuple[str, float]]:
        """Return the k most probable labels of one prepared text."""
        proba = self.predict_proba([prepared])[0]
        idx = np.argsort(-proba)[:k]
        return [(self.labels[i], float(proba[i])) for i in idx]

    def reasons(self, prepared: str, label: str, k: int = 6) -> list[Reason]:
        """Return the features that pushed this text most towards `label` (linear models only)."""
        vector = self.pipeline.named_steps["features"].transform([prepared]).tocsr()
        return self._reasons_from(vector, label, k)

    def _reasons_from(self, vector: Any, label: str, k: int = 6) -> list[Reason]:
        coef = self._coefficients(label)
        if coef is None:
            return []
        features = self.pipeline.named_steps["features"]
        if self._names is None:
            self._names = np.concatenate(
                [step.named_steps["tfidf"].get_feature_names_out() for _, step in features.transformer_list]
            )
        # people read words: the reasons come from the word features (the character n-grams count in
        # the decision but are not shown — "民工工" explains nothing)
        words_end = len(features.transformer_list[0][1].named_steps["tfidf"].vocabulary_)
        contrib = vector.data * coef[vector.indices]
        order = np.argsort(-contrib)
        picked: list[Reason] = []
        for i in order:
            if contrib[i] <= 0 or len(picked) >= k:
                break
            if features.transformer_list[0][0] == "words" and vector.indices[i] >= words_end:
                continue
            name = str(self._names[vector.indices[i]]).replace(" ", "")
            if len(name.strip()) < 2 or any(name in r.feature or r.feature in name for r in picked):
                continue
            picked.append(Reason(feature=name, weight=round(float(contrib[i]), 4)))
        return picked

    def _coefficients(self, label: str) -> np.ndarray | None:
        clf = self.pipeline.named_steps["clf"]
        if isinstance(clf, CalibratedClassifierCV):
            clf = clf.calibrated_classifiers_[0].estimator
        coef = getattr(clf, "coef_", None)
        classes = list(getattr(clf, "classes_", []))
        if coef is None or label not in classes:
            return None
        row = coef[classes.index(label)] if coef.shape[0] > 1 else coef[0]
        return np.asarray(row).ravel()


def scale(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling: sharpen (T < 1) or soften (T > 1) probability rows, keeping their order."""
    if temperature == 1.0:
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def fit_temperature(truth: Sequence[str], labels: Sequence[str], proba: np.ndarray) -> float:
    """The temperature that minimises the log-loss of out-of-fold probabilities (one parameter)."""
    index = {label: i for i, label in enumerate(labels)}
    rows = np.arange(len(truth))
    cols = np.array([index[t] for t in truth])
    best, best_loss = 1.0, np.inf
    for t in np.geomspace(0.2, 5.0, 81):
        loss = -np.log(np.clip(scale(proba, float(t))[rows, cols], 1e-12, 1.0)).mean()
        if loss < best_loss:
            best, best_loss = float(t), float(loss)
    return best


def train(
    prepared: Sequence[str],
    labels: Sequence[str],
    *,
    method: str = DEFAULT_METHOD,
    sample_weight: Sequence[float] | None = None,
) -> CategoryModel:
    """Fit a model on prepared texts."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    pipeline = METHODS[method]()
    fit_params: dict[str, Any] = {}
    if sample_weight is not None:
        fit_params["clf__sample_weight"] = np.asarray(sample_weight, dtype=float)
    pipeline.fit(list(prepared), list(labels), **fit_params)
    return CategoryModel(method=method, labels=sorted(set(labels)), pipeline=pipeline)


@dataclass
class Evaluation:
    """Figures of a classifier on labeled texts (cross-validated or held out)."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: list[dict[str, Any]]
    calibration: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    confusion: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": self.per_class,
            "calibration": self.calibration,
            "thresholds": self.thresholds,
            "confusion": self.confusion,
        }


def evaluate_predictions(truth: Sequence[str], labels: Sequence[str], proba: np.ndarray) -> Evaluation:
    """Score probability rows (columns in `labels` order) against the true labels."""
    y = np.asarray(truth)
    best = np.argmax(proba, axis=1)
    pred = np.asarray(labels)[best]
    conf = proba[np.arange(len(best)), best]
    correct = pred == y
    names = sorted(set(y) | set(pred))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=names, zero_division=0)
    per_class = [
        {
            "label": n,
            "precision": round(float(pi), 4),
            "recall": round(float(ri), 4),
            "f1": round(float(fi), 4),
            "support": int(si),
        }
        for n, pi, ri, fi, si in zip(names, p, r, f, s, strict=True)
    ]
    calibration = []
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        mask = (conf >= lo) & (conf < hi)
        if mask.any():
            calibration.append(
                {
                    "from": lo,
                    "to": min(hi, 1.0),
                    "n": int(mask.sum()),
                    "mean_confidence": round(float(conf[mask].mean()), 4),
                    "accuracy": round(float(correct[mask].mean()), 4),
                }
            )
    thresholds = []
    for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        auto = conf >= t
        thresholds.append(
            {
                "threshold": t,
                "auto_share": round(float(auto.mean()), 4),
                "auto_accuracy": round(float(correct[auto].mean()), 4) if auto.any() else None,
                "triage_accuracy": round(float(correct[~auto].mean()), 4) if (~auto).any() else None,
            }
        )
    confusion: dict[str, dict[str, int]] = {n: {} for n in names}
    for t, pr in zip(y, pred, strict=True):
        if t != pr:
            confusion[str(t)][str(pr)] = confusion[str(t)].get(str(pr), 0) + 1
    return Evaluation(
        n=len(y),
        accuracy=float(accuracy_score(y, pred)),
        macro_f1=float(f1_score(y, pred, average="macro", labels=names, zero_division=0)),
        per_class=per_class,
        calibration=calibration,
        thresholds=thresholds,
        confusion=confusion,
    )


def cross_validate(
    prepared: Sequence[str],
    labels: Sequence[str],
    *,
    method: str = DEFAULT_METHOD,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
) -> tuple[Evaluation, np.ndarray]:
    """Stratified k-fold figures of a method; also returns the out-of-fold probabilities."""
    names = sorted(set(labels))
    counts = min(list(labels).count(n) for n in names)
    folds = max(2, min(folds, counts))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(
        METHODS[method](), list(prepared), list(labels), cv=cv, method="predict_proba", n_jobs=n_jobs
    )
    return evaluate_predictions(labels, names, np.asarray(proba)), np.asarray(proba)
