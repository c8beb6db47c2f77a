"""Learning from the centre's own history: department routing as settled tickets pile up.

    .venv/bin/python bench/dispatch_history.py      # about 10 minutes once the embedding cache is filled
                                                   # (the messages' first windows; ~25 minutes the first time)

The history is made from the real messages in ../shared/data: 500, 2,000 and 10,000 tickets (the
labeled and the hotspot messages, shuffled with a fixed seed), each routed by the matter list (the matter matcher with
the full category model). Where the matter's first-level category is not the message's own label
(labeled messages only), the unit returns it (退单) and the ticket is settled at the unit of the best
matter of the right first level — a lesson, counted double; other tickets settle where they were routed.
Each ticket's vector is the sentence vector of its first window (a centre keeps the mean of up to four;
the first bounds the benchmark's embedding cost).

At each size the department model is trained as the centre's sweep would (dispatch.history): the
newest fifth of the history chooses the blend weight with the matter list (0 when the model does no
better), then the model is trained on all. Two centres:
- **complete list**: the centre's matter list is the one the history was routed by;
- **list falls short**: every eighth matter is missing from the centre's list (the history was settled
  by units that knew better), so the list alone routes those requests elsewhere.

Measured on 1,000 held-out labeled messages (in no history): the share whose top unit is where such a
ticket settles — the list alone, with the department model, and with the vote of similar settled
tickets on top (each weight chosen as the sweep chooses it, on the newest fifth of the history). And,
for the complete list, top-1 on the department development set (bench/data/dispatch_dev.csv) through
service.suggest with the trained model registered.
"""

from __future__ import annotations

import csv
import sys
import time
import zlib

import numpy as np

import dispatchlab
import embedcache
from hotline.dispatch import classifier, history, matching, registry, training
from hotline.dispatch.datasets import Examples, drop_rare
from hotline.nlp.embedding import windows
from hotline.nlp.text import normalize
from hotline.org.models import Department

SIZES = (500, 2000, 10000)
HELD_OUT = 1000


def messages() -> tuple[list[str], list[str | None]]:
    texts: list[str] = []
    labels: list[str | None] = []
    with (dispatchlab.DATA / "messages_labeled.csv").open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            texts.append(r["text"].replace(" ", ""))
            labels.append(r["一级分类"])
    with (dispatchlab.DATA / "messages_hotspot.csv").open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            texts.append(f"{r['留言主题']}。{r['留言详情']}")
            labels.append(None)
    return texts, labels


def top(d: dict[str, float]) -> str:
    return max(d, key=d.__getitem__)


def main() -> None:
    session = dispatchlab.lab("full")
    cat = matching.catalog(session)
    assert cat is not None
    weights = matching.packaged_weights()
    _, model = registry.active_model(session)  # type: ignore[misc]
    code_of = {d.id: d.code for d in session.query(Department)}
    streets = sorted(d.code for d in session.query(Department).filter(Department.kind == "street_office"))

    texts, labels = messages()
    n_labeled = sum(1 for x in labels if x is not None)
    # the labeled file is sorted by category: shuffle (fixed seed) so every slice is a mix
    rng = np.random.default_rng(0)
    labeled = [int(i) for i in rng.permutation(n_labeled)]
    held = labeled[:HELD_OUT]
    pool = [int(i) for i in rng.permutation(labeled[HELD_OUT:] + list(range(n_labeled, len(texts))))]
    pool = pool[: max(SIZES)]
    used = pool + held
    started = time.perf_counter()
    firsts = [(windows(normalize(texts[i])) or [normalize(texts[i])])[0] for i in used]
    vec_of = dict(zip(used, embedcache.vectors(firsts, progress=True), strict=True))
    proba = model.predict_proba(classifier.prepare([texts[i] for i in used]))
    prior_of = {
        i: {label.split("/")[0]: float(q) for label, q in zip(model.labels, p, strict=True)}
        for i, p in zip(used, proba, strict=True)
    }
    print(f"{len(used)} messages read in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    def unit(e: matching.Entry, i: int) -> str:
        if e.department_id is not None:
            return code_of[e.department_id]
        return streets[zlib.crc32(str(i).encode()) % len(streets)]  # a local matter: the message's street

    def reading(i: int) -> np.ndarray:
        return matching.read(
            cat, vec_of[i][None, :], texts[i], weights=weights, prior=prior_of[i]
        ).probabilities

    def units_of(i: int, p: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for k in np.argsort(-p)[:20]:
            d = unit(cat.entries[int(k)], i)
            out[d] = out.get(d, 0.0) + float(p[k])
        return out

    def settle(i: int) -> tuple[str, str | None]:
        """(the unit that settled it, the unit that returned it first or None)."""
        p = reading(i)
        best = cat.entries[int(p.argmax())]
        first = unit(best, i)
        if labels[i] is None or best.first_level == labels[i]:
            return first, None
        right = [k for k in np.argsort(-p) if cat.entries[int(k)].first_level == labels[i]]
        return (unit(cat.entries[int(right[0])], i), first) if right else (first, None)

    missing = np.asarray([k % 8 == 3 for k in range(len(cat.entries))])

    def short(p: np.ndarray) -> np.ndarray:
        q = np.where(missing, 0.0, p)
        return q / q.sum()

    settled = {i: settle(i) for i in used}
    truth = {i: settled[i][0] for i in held}

    def index_of(tickets: list[int]) -> history.Index:
        vectors, codes, signs = [], [], []
        for i in tickets:
            vectors.append(vec_of[i])
            codes.append(settled[i][0])
            signs.append(1.0)
            if settled[i][1]:
                vectors.append(vec_of[i])
                codes.append(settled[i][1])
                signs.append(-1.0)
        return history.Index(np.vstack(vectors), codes, np.asarray(signs))

    readings = {i: reading(i) for i in used}
    rows = dispatchlab.dev_rows()
    dev0 = np.mean([r.top1 for r in dispatchlab.route(session, rows)])
    share = np.mean([settled[i][1] is not None for i in pool if labels[i] is not None])
    print(f"History from real messages: {share:.1%} of the labeled ones returned once and settled elsewhere.")
    print(f"{len(held)} held-out messages; development set top-1 with the list alone {dev0:.3f}\n")
    for scenario, view in (
        ("complete list", lambda p: p),
        ("list falls short (1 matter in 8 missing)", short),
    ):
        base = {i: units_of(i, view(readings[i])) for i in used}
        plain = np.mean([top(base[i]) == truth[i] for i in held])
        print(f"{scenario}: the list alone {plain:.3f}")
        print(
            f"  {'history':>8} {'+ dept model':>13} {'weight':>7} {'+ similar vote':>14} {'weight':>7} {'dev top-1':>10}"
        )
        for size in SIZES:
            chosen = pool[:size]
            ex = Examples(source=f"simulated history of {size}")
            for i in chosen:
                ex.texts.append(texts[i])
                ex.labels.append(settled[i][0])
                ex.weights.append(history.RETURNED_WEIGHT if settled[i][1] else 1.0)
            cut = int(size * (1 - history.HELD_OUT))
            older, _ = drop_rare(
                Examples(texts=ex.texts[:cut], labels=ex.labels[:cut], weights=ex.weights[:cut]),
                minimum=training.MIN_PER_CLASS,
            )
            trial = classifier.train(
                classifier.prepare(older.texts), older.labels, sample_weight=older.weights
            )
            newest = chosen[cut:]
            said = trial.predict_proba(classifier.prepare([texts[i] for i in newest]))
            truth_new = ex.labels[cut:]
            listed = [base[i] for i in newest]
            model_new = [dict(zip(trial.labels, map(float, p), strict=True)) for p in said]
            weight, _ = history.choose_weight(listed, model_new, truth_new)
            listed = [history.mix(a, b, weight) for a, b in zip(listed, model_new, strict=True)]
            older_ix = index_of(chosen[:cut])
            votes_new = [history.vote(older_ix, vec_of[i]) or a for i, a in zip(newest, listed, strict=True)]
            vote_weight, _ = history.choose_weight(listed, votes_new, truth_new)
            full, _ = drop_rare(ex, minimum=training.MIN_PER_CLASS)
            dept = classifier.train(classifier.prepare(full.texts), full.labels, sample_weight=full.weights)
            proba = dept.predict_proba(classifier.prepare([texts[i] for i in held]))
            model_p = {
                i: dict(zip(dept.labels, map(float, p), strict=True))
                for i, p in zip(held, proba, strict=True)
            }
            ix = index_of(chosen)
            with_model = {i: history.mix(base[i], model_p[i], weight) for i in held}
            alone = np.mean([top(history.mix(base[i], model_p[i], weight)) == truth[i] for i in held])
            both = np.mean(
                [
                    top(history.mix(with_model[i], history.vote(ix, vec_of[i]) or with_model[i], vote_weight))
                    == truth[i]
                    for i in held
                ]
            )
            dev = ""
            if scenario == "complete list":
                result = training.train_and_register(
                    session, ex, folds=0, created_by="bench", kind=registry.DEPARTMENT, level=0
                )
                result.version.metrics = {
                    **result.version.metrics,
                    "blend_weight": weight,
                    "vote_weight": vote_weight,
                }
                session.commit()
                dev = f"{np.mean([r.top1 for r in dispatchlab.route(session, rows)]):.3f}"
            print(
                f"  {size:>8} {alone:>13.3f} {weight:>7.1f} {both:>14.3f} {vote_weight:>7.1f} {dev:>10}",
                flush=True,
            )
        print()


if __name__ == "__main__":
    main()
