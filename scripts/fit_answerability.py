"""Fit the KB's answerability model and write src/hotline/kb/data/answerability.json.

    .venv/bin/python scripts/fit_answerability.py      # about 20 seconds

On the development questions only (bench/data/kb_questions.csv and kb_questions_heldout.csv; the
test set kb_questions_test.csv is never read here), against the demo KB:
1. the weight of meaning in the fused ranking (kb.search.MEANING_WEIGHT), by hit@1 of the right article;
2. a logistic model of whether the best passage answers the question — label 1 when the question is
   answerable and the best passage is of the right article, 0 otherwise (a question the KB cannot
   answer, or one that would be answered from the wrong article) — over kb.qa.features: meaning,
   coverage of the question's topic words, lead over the best other article;
3. the threshold: the lowest probability at which, judged by leave-one-out, a wrong answer costs
   WRONG_COST refusals of a question the KB could have answered. A wrong answer reaches a citizen as
   fact; a refusal offers a ticket.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy.orm import Session  # noqa: E402

from hotline import migrate  # noqa: E402
from hotline.accounts.principal import SYSTEM  # noqa: E402
from hotline.bootstrap import bootstrap  # noqa: E402
from hotline.db import make_engine  # noqa: E402
from hotline.kb import qa, service  # noqa: E402
from hotline.nlp import embedding  # noqa: E402

OUT = ROOT / "src" / "hotline" / "kb" / "data" / "answerability.json"
DEV = ("kb_questions.csv", "kb_questions_heldout.csv")
WRONG_COST = 4.0
C = 1.0


def demo_kb(tmp: str) -> Session:
    engine = make_engine(f"sqlite:///{tmp}/kb.db")
    with engine.begin() as conn:
        migrate.upgrade(connection=conn)
    session = Session(engine)
    bootstrap(session)
    for path in sorted((ROOT / "src" / "hotline" / "demo" / "kb").glob("*.md")):
        service.import_file(session, path=path, principal=SYSTEM, publish=True)
    session.commit()
    return session


def questions() -> list[tuple[str, str]]:
    out = []
    for name in DEV:
        with (ROOT / "bench" / "data" / name).open(encoding="utf-8-sig") as fh:
            out += [(r["question"], r["article"]) for r in csv.DictReader(fh)]
    return out


def main() -> None:
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        session = demo_kb(tmp)
        index = qa.kb_index(session)
        vectors = [embedding.text_vector(q) for q, _ in qs]
        best_w, best_hits = 0.0, -1
        for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            index.meaning_weight = w
            hits = sum(
                index.search(q, k=1, vector=v)[0].doc.meta["title"] == a
                for (q, a), v in zip(qs, vectors, strict=True)
                if a
            )
            print(f"meaning weight {w}: hit@1 {hits}/{sum(1 for _, a in qs if a)}")
            if hits > best_hits:
                best_w, best_hits = w, hits
        index.meaning_weight = best_w
        x, y = [], []
        for (q, a), v in zip(qs, vectors, strict=True):
            hits = index.search(q, k=10, vector=v)
            x.append(qa.features(hits))
            y.append(int(bool(a) and hits[0].doc.meta["title"] == a))
        session.close()
    X, Y = np.asarray(x), np.asarray(y)
    # leave-one-out probabilities, to choose the threshold on questions the model did not see
    loo = np.zeros(len(Y))
    for i in range(len(Y)):
        keep = np.arange(len(Y)) != i
        sc = StandardScaler().fit(X[keep])
        m = LogisticRegression(C=C).fit(sc.transform(X[keep]), Y[keep])
        loo[i] = m.predict_proba(sc.transform(X[i : i + 1]))[0, 1]
    answerable = np.asarray([bool(a) for _, a in qs])
    best_t, best_cost = 0.5, float("inf")
    for t in np.arange(0.05, 0.96, 0.01):
        said = loo >= t
        wrong = int((said & (Y == 0)).sum())
        missed = int((~said & (Y == 1)).sum())
        cost = WRONG_COST * wrong + missed
        if cost < best_cost:
            best_t, best_cost = float(t), cost
    said = loo >= best_t
    print(
        f"threshold {best_t:.2f} (leave-one-out): answered right {int((said & (Y == 1)).sum())}/{int(answerable.sum())}, "
        f"wrong answers {int((said & (Y == 0) & answerable).sum())}, unanswerable answered "
        f"{int((said & ~answerable).sum())}/{int((~answerable).sum())}"
    )
    sc = StandardScaler().fit(X)
    m = LogisticRegression(C=C).fit(sc.transform(X), Y)
    weights = m.coef_[0] / sc.scale_  # folded back onto the raw features
    bias = float(m.intercept_[0] - (m.coef_[0] * sc.mean_ / sc.scale_).sum())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "features": ["meaning", "coverage", "lead"],
                "weights": [round(float(w), 4) for w in weights],
                "bias": round(bias, 4),
                "threshold": round(best_t, 2),
                "meaning_weight": best_w,
                "model": embedding.MODEL_NAME,
                "fitted_on": f"{', '.join(DEV)}: {len(Y)} questions, {int(answerable.sum())} answerable",
                "fitted": date.today().isoformat(),
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
