"""Fit the matter matcher's few numbers and write src/hotline/dispatch/data/matcher.json.

    .venv/bin/python scripts/fit_matcher.py          # about 3 minutes on 2 cores

1. The feature weights (dispatch.matching.FEATURES: closest example by meaning, name and description by
   meaning, keywords, the category model's prior) by a conditional logit over the matters, on the demo
   matter list's own example phrasings, each left out of the list while it is the request: no
   request of the development set is used.
2. The calibration (Platt scaling) of the top department's probability on whether the department was
   right, on the department development set (bench/data/dispatch_dev.csv, written before any tuning),
   routed end to end through service.suggest with the full category model. bench/dispatch_matters.py
   reports what this gives on folds the calibration did not see.

The category model is trained on ../shared/data/messages_labeled.csv, as a centre with history has it.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import dispatchlab
from hotline.dispatch import classifier, matching, registry

OUT = dispatchlab.ROOT / "src" / "hotline" / "dispatch" / "data" / "matcher.json"
L2 = 1e-5  # a touch of shrinkage on the few weights (the similarities differ by hundredths: their weights are large)


def example_features(session) -> tuple[np.ndarray, np.ndarray, list[str]]:  # type: ignore[no-untyped-def]
    """(examples × matters × features), the matter each example belongs to, and its unit."""
    cat = matching.catalog(session)
    assert cat is not None
    _, model = registry.active_model(session)  # type: ignore[misc]
    rows: list[tuple[int, int, str]] = []  # (text index, matter index, text)
    for t, owner in enumerate(cat.owner):
        if t == cat.heads[owner]:
            continue  # the name and description is the matter itself, not a phrasing of it
        e = cat.entries[owner]
        rows.append((t, int(owner), e.texts[t - int(cat.heads[owner])]))
    proba = model.predict_proba(classifier.prepare([text for _, _, text in rows]))
    xs, ys, units = [], [], []
    for (t, owner, text), p in zip(rows, proba, strict=True):
        prior = {label.split("/")[0]: float(q) for label, q in zip(model.labels, p, strict=True)}
        x, _, _ = matching.features(cat, cat.vectors[t][None, :], text, prior=prior, exclude_text=t)
        xs.append(x)
        ys.append(owner)
        e = cat.entries[owner]
        units.append(str(e.department_id) if e.department_id else f"local:{e.local_kind}")
    return np.stack(xs), np.asarray(ys), units


def fit_coef(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w  # (examples, matters)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        n = len(y)
        nll = -np.log(p[np.arange(n), y] + 1e-12).sum() / n + L2 * w @ w
        # gradient: E_p[x] − x_y
        expected = np.einsum("nm,nmf->nf", p, x)
        grad = (expected - x[np.arange(n), y]).sum(axis=0) / n + 2 * L2 * w
        return float(nll), grad

    res = minimize(loss, np.ones(x.shape[2]), jac=True, method="L-BFGS-B")
    return np.asarray(res.x)


def platt(confidences: list[float], correct: list[bool]) -> tuple[float, float]:
    z = np.asarray([[math.log(max(p, 1e-6) / max(1 - p, 1e-6))] for p in confidences])
    lr = LogisticRegression(C=100.0).fit(z, np.asarray(correct, dtype=int))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def main() -> None:
    session = dispatchlab.lab("full")
    x, y, units = example_features(session)
    coef = fit_coef(x, y)
    z = x @ coef
    top = z.argmax(axis=1)
    cat = matching.catalog(session)
    assert cat is not None
    unit_of = [str(e.department_id) if e.department_id else f"local:{e.local_kind}" for e in cat.entries]
    print(f"{len(y)} example phrasings of {len(cat.entries)} matters, each left out in turn")
    print("weights:", dict(zip(matching.FEATURES, np.round(coef, 3).tolist(), strict=True)))
    print(
        f"  matter top-1 {np.mean(top == y):.3f}; unit top-1 {np.mean([unit_of[t] == u for t, u in zip(top, units, strict=True)]):.3f}"
    )

    matching.use_weights(matching.Weights(coef=tuple(float(c) for c in coef)))
    routed = dispatchlab.route(session, dispatchlab.dev_rows())
    a, b = platt([r.confidence for r in routed], [r.top1 for r in routed])
    print(
        f"calibration on {len(routed)} development requests: a={a:.3f} b={b:.3f} (raw top-1 {np.mean([r.top1 for r in routed]):.3f})"
    )
    OUT.write_text(
        json.dumps(
            {
                "features": list(matching.FEATURES),
                "coef": [round(float(c), 4) for c in coef],
                "calibration": [round(a, 4), round(b, 4)],
                "fitted_on": f"{date.today()}: demo matters.csv example phrasings (leave-one-out); "
                "calibration on bench/data/dispatch_dev.csv (department correctness)",
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(dispatchlab.ROOT)}")


if __name__ == "__main__":
    main()
