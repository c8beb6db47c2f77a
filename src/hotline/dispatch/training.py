"""Train, cross-validate and register category models (and the department model of the centre's
history); evaluate the active one on a labeled file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.categories.models import Category
from hotline.dispatch import classifier, registry
from hotline.dispatch.datasets import Examples, drop_rare
from hotline.errors import InvalidInput
from hotline.nlp.models import ModelVersion

MIN_EXAMPLES = 20
MIN_PER_CLASS = 3


@dataclass
class TrainResult:
    version: ModelVersion
    evaluation: classifier.Evaluation | None
    dropped_labels: list[str]
    unknown_labels: list[str]
    seconds: float


def train_and_register(
    session: Session,
    examples: Examples,
    *,
    method: str = classifier.DEFAULT_METHOD,
    level: int = 1,
    folds: int = 5,
    created_by: str | None = None,
    activate: bool = True,
    n_jobs: int = 1,
    kind: str = registry.CATEGORY,
) -> TrainResult:
    """Cross-validate (when folds > 1), fit on everything, and store the model as the next version."""
    if method not in classifier.METHODS:
        raise InvalidInput("model_method", method=method, known=", ".join(classifier.METHODS))
    started = time.perf_counter()
    examples, dropped = drop_rare(examples, minimum=MIN_PER_CLASS)
    classes = sorted(set(examples.labels))
    if len(examples) < MIN_EXAMPLES or len(classes) < 2:
        raise InvalidInput(
            "dataset_too_small", minimum=MIN_EXAMPLES, classes=2, n=len(examples), found=len(classes)
        )
    unknown: list[str] = []
    if kind == registry.CATEGORY:
        known = set(session.scalars(select(Category.full_name).where(Category.full_name.in_(classes))))
        unknown = [c for c in classes if c not in known]
    prepared = classifier.prepare(examples.texts)
    evaluation = None
    temperature = 1.0
    if folds > 1:
        _, proba = classifier.cross_validate(
            prepared, examples.labels, method=method, folds=folds, n_jobs=n_jobs
        )
        temperature = classifier.fit_temperature(examples.labels, classes, proba)
        evaluation = classifier.evaluate_predictions(
            examples.labels, classes, classifier.scale(proba, temperature)
        )
    model = classifier.train(prepared, examples.labels, method=method, sample_weight=examples.weights)
    model.temperature = temperature
    metrics: dict[str, Any] = {
        "cv_folds": folds if evaluation else 0,
        "classes": classes,
        "temperature": round(temperature, 4),
    }
    if evaluation is not None:
        metrics.update(evaluation.as_dict())
    metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    row = registry.save(
        session,
        model=model,
        label_level=level,
        source=examples.source,
        n_samples=len(examples),
        metrics=metrics,
        created_by=created_by,
        activate_now=activate,
        kind=kind,
    )
    return TrainResult(row, evaluation, dropped, unknown, time.perf_counter() - started)


def evaluate_active(session: Session, examples: Examples) -> tuple[ModelVersion, classifier.Evaluation]:
    """Figures of the active model on labeled examples it may never have seen."""
    active = registry.active_model(session)
    if active is None:
        raise InvalidInput("model_none_active")
    row, model = active
    proba = model.predict_proba(classifier.prepare(examples.texts))
    return row, classifier.evaluate_predictions(examples.labels, model.labels, proba)


def format_evaluation(ev: classifier.Evaluation) -> str:
    """A plain-text report: headline figures, per-class table, reliability and threshold tables."""
    lines = [f"examples {ev.n}   accuracy {ev.accuracy:.4f}   macro-F1 {ev.macro_f1:.4f}", ""]
    lines.append(f"{'class':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for row in ev.per_class:
        lines.append(
            f"{row['label']:<16}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{row['support']:>9}"
        )
    lines += [
        "",
        "reliability (confidence bin → share right)",
        f"{'bin':<14}{'n':>6}{'mean conf':>11}{'accuracy':>10}",
    ]
    for row in ev.calibration:
        lines.append(
            f"{row['from']:.2f}–{row['to']:.2f}    {row['n']:>6}{row['mean_confidence']:>11.4f}{row['accuracy']:>10.4f}"
        )
    lines += [
        "",
        "threshold → auto-dispatched share, accuracy auto / triage",
        f"{'threshold':<10}{'auto':>8}{'acc auto':>10}{'acc triage':>12}",
    ]
    for row in ev.thresholds:
        auto_acc = f"{row['auto_accuracy']:.4f}" if row["auto_accuracy"] is not None else "-"
        tri_acc = f"{row['triage_accuracy']:.4f}" if row["triage_accuracy"] is not None else "-"
        lines.append(f"{row['threshold']:<10}{row['auto_share']:>8.3f}{auto_acc:>10}{tri_acc:>12}")
    return "\n".join(lines)
