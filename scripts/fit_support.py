"""Fit the support model of the large-model checks and write src/hotline/llm/data/support.json.

    .venv/bin/python scripts/fit_support.py      # about 30 seconds

On the development sentences only (bench/data/llm_answers_dev.csv: sentences an answer might hold,
each labelled supported or not by the demo KB article it must rest on; the test file
llm_answers_test.csv is never read here):
1. each sentence's evidence against its article (hotline.llm.checks.Basis.evidence): the meaning of
   its closest sentence, the share of its words and character pairs the article holds, a negation one
   side has and the other not; polite sentences are left to the courtesy rule and facts to theirs;
2. a logistic model of "supported" over those four figures;
3. the threshold, on predictions for each article made by a model fitted without it (leave one
   article out): the lowest at which the fact rule and the model together catch CAUGHT (90 %) of the
   unsupported sentences. A withheld answer gives way to the KB's own words, so withholding costs
   fluency; an unsupported one shown costs a citizen a wrong fact — the threshold leans to
   withholding, and the figures say what it costs.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hotline.llm import checks  # noqa: E402
from hotline.nlp import embedding  # noqa: E402

OUT = ROOT / "src" / "hotline" / "llm" / "data" / "support.json"
DEV = ROOT / "bench" / "data" / "llm_answers_dev.csv"
KB = ROOT / "src" / "hotline" / "demo" / "kb"
CAUGHT = 0.90
C = 1.0


def article_text(name: str) -> str:
    """An article as the KB serves it: title, headings and body, without the note (disclaimer)."""
    lines = []
    for line in (KB / name).read_text(encoding="utf-8").splitlines():
        if line.startswith(">") or not line.strip():
            continue
        lines.append(re.sub(r"^#+\s*", "", line))
    return "\n".join(lines)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evidence(data: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features, labels, whether the fact rule already refuses, whether courtesy passes, and articles."""
    bases: dict[str, checks.Basis] = {}
    x, y, facts, polite, groups = [], [], [], [], []
    for r in data:
        basis = bases.setdefault(r["article"], checks.Basis([article_text(r["article"])]))
        ev = basis.evidence(r["sentence"])
        x.append(ev.features())
        y.append(r["label"] == "supported")
        facts.append(bool(ev.missing_facts))
        polite.append(checks.courtesy(r["sentence"]))
        groups.append(r["article"])
    return np.array(x), np.array(y), np.array(facts), np.array(polite), groups


def oof(x: np.ndarray, y: np.ndarray, groups: list[str]) -> np.ndarray:
    """Each article's sentences predicted by a model fitted on the other articles."""
    out = np.zeros(len(y))
    g = np.array(groups)
    for held in sorted(set(groups)):
        train, test = g != held, g == held
        w, b = fitted(x[train], y[train])
        out[test] = 1.0 / (1.0 + np.exp(-(x[test] @ w + b)))
    return out


def choose(p: np.ndarray, y: np.ndarray, facts: np.ndarray, polite: np.ndarray) -> float:
    """The lowest threshold at which the checks (the fact rule and the model) catch CAUGHT of the
    unsupported sentences."""
    for t in np.arange(0.20, 0.96, 0.01):
        passed = (p >= t) & ~facts | polite
        if float(np.mean(~passed[~y])) >= CAUGHT:
            return round(float(t), 2)
    return 0.95


def fitted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias on the raw features (standardised for the fit, the scaling folded back in)."""
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C).fit(scaler.transform(x), y)
    w = model.coef_[0] / scaler.scale_
    return w, float(model.intercept_[0] - np.sum(w * scaler.mean_))


def main() -> None:
    data = rows(DEV)
    x, y, facts, polite, groups = evidence(data)
    fit = ~polite
    p = oof(x[fit], y[fit], [g for g, keep in zip(groups, fit, strict=True) if keep])
    full = np.zeros(len(y))
    full[fit] = p
    full[polite] = 1.0
    threshold = choose(full, y, facts, polite)
    passed = (full >= threshold) & ~facts | polite
    caught = float(np.mean(~passed[~y]))
    withheld = float(np.mean(~passed[y & ~polite]))
    weights, bias = fitted(x[fit], y[fit])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "model": embedding.MODEL_NAME,
                "features": ["meaning", "word_coverage", "pair_coverage", "negation_mismatch"],
                "weights": [round(float(w), 4) for w in weights],
                "bias": round(bias, 4),
                "threshold": threshold,
                "fitted_on": DEV.name,
                "sentences": len(data),
                "leave_one_article_out": {
                    "unsupported_caught": round(caught, 3),
                    "supported_withheld": round(withheld, 3),
                },
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(ROOT)}: threshold {threshold}, weights {weights.round(3)}")
    print(f"leave one article out: unsupported caught {caught:.1%}, supported withheld {withheld:.1%}")


if __name__ == "__main__":
    main()
