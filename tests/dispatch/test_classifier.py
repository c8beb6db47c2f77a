"""The category classifier on real messages: it learns, its probabilities are sane, it says why."""

from __future__ import annotations

import numpy as np

from hotline.dispatch import classifier, datasets
from hotline.dispatch.classifier import CategoryModel
from hotline.nlp.text import tokenize


def test_cross_validated_figures_beat_chance_by_far(sample: datasets.Examples) -> None:
    prepared = classifier.prepare(sample.texts)
    ev, proba = classifier.cross_validate(prepared, sample.labels, folds=3)
    majority = max(sample.labels.count(label) for label in set(sample.labels)) / len(sample.labels)
    assert ev.n == len(sample.labels) == proba.shape[0]
    assert ev.accuracy > majority + 0.3
    assert 0.0 < ev.macro_f1 <= 1.0
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert sum(b["n"] for b in ev.calibration) == ev.n
    assert {row["label"] for row in ev.per_class} == set(sample.labels)
    # a higher threshold auto-dispatches fewer tickets
    shares = [t["auto_share"] for t in ev.thresholds]
    assert shares == sorted(shares, reverse=True)


def test_predicts_with_reasons(trained: CategoryModel) -> None:
    prepared = tokenize("学校乱收补课费，老师强制学生参加校外培训")
    (label, p), *_ = trained.top(prepared, k=3)
    assert label == "教育文体"
    assert 0.0 < p <= 1.0
    words = [r.feature for r in trained.reasons(prepared, label)]
    assert any(w in {"学校", "老师", "学生", "补课", "培训", "补课费", "校外培训"} for w in words), words


def test_methods_are_interchangeable(sample: datasets.Examples) -> None:
    prepared = classifier.prepare(sample.texts[:200])
    for method in classifier.METHODS:
        model = classifier.train(prepared, sample.labels[:200], method=method)
        proba = model.predict_proba(prepared[:5])
        assert proba.shape == (5, len(model.labels))


def test_evaluate_predictions_counts_errors() -> None:
    labels = ["a", "b"]
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    ev = classifier.evaluate_predictions(["a", "b", "b", "b"], labels, proba)
    assert ev.accuracy == 0.75
    assert ev.confusion == {"a": {}, "b": {"a": 1}}
    at_07 = next(t for t in ev.thresholds if t["threshold"] == 0.7)
    assert at_07["auto_share"] == 0.75 and at_07["auto_accuracy"] == 1.0 and at_07["triage_accuracy"] == 0.0


def test_temperature_sharpens_an_underconfident_model_and_keeps_the_ranking() -> None:
    rng = np.random.default_rng(1)
    labels = ["a", "b", "c"]
    truth = list(rng.choice(labels, size=600))
    # right 95% of the time but only ever 0.6 sure: underconfident
    proba = np.full((600, 3), 0.2)
    for i, t in enumerate(truth):
        guess = labels.index(t) if rng.random() < 0.95 else (labels.index(t) + 1) % 3
        proba[i, guess] = 0.6
    t = classifier.fit_temperature(truth, labels, proba)
    assert t < 1.0
    scaled = classifier.scale(proba, t)
    assert np.allclose(scaled.sum(axis=1), 1.0)
    assert (scaled.argmax(axis=1) == proba.argmax(axis=1)).all()
    assert abs(scaled.max(axis=1).mean() - 0.95) < 0.05
