"""Reply-quality scores on the real department replies (../shared/data/messages_replies.csv).

    python bench/reply_quality.py

Prints the distribution of the overall score, verdicts and flags over every reply; the agreement with
30 replies labelled by hand before the scorer was run on them (bench/data/reply_labels.csv: a random
sample, seed 7, each read in full and labelled good / fair / poor by whether it answers the request,
says what was done, and gives a basis); and the best and worst replies with their notes.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from hotline.review import quality  # noqa: E402


def main() -> None:
    with (DATA / "messages_replies.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["答复意见"].strip()]
    t = time.perf_counter()
    reviews = {r["留言编号"]: quality.score(r["留言主题"], r["留言详情"], r["答复意见"]) for r in rows}
    elapsed = time.perf_counter() - t
    overall = np.array([v.overall for v in reviews.values()])
    print(f"{len(rows)} replies scored in {elapsed:.1f} s ({elapsed / len(rows) * 1000:.1f} ms each)")
    print(
        "overall score: " + "  ".join(f"p{p} {np.percentile(overall, p):.2f}" for p in (10, 25, 50, 75, 90))
    )
    hist = np.histogram(overall, bins=[0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01])[0]
    print("histogram 0-.2/.2-.4/.4-.5/.5-.6/.6-.7/.7-.8/.8-.9/.9-1: " + " ".join(str(int(h)) for h in hist))
    print(
        "verdicts: "
        + ", ".join(f"{k} {v}" for k, v in Counter(v.verdict for v in reviews.values()).most_common())
    )
    print(
        "flags: "
        + ", ".join(
            f"{k} {v}" for k, v in Counter(f for v in reviews.values() for f in v.flags).most_common()
        )
    )
    for name in quality.WEIGHTS:
        print(f"  {name:<13} mean {statistics.mean(v.scores[name] for v in reviews.values()):.2f}")

    with (ROOT / "bench" / "data" / "reply_labels.csv").open(encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    order = {"poor": 0, "fair": 1, "good": 2}
    pairs = [(order[lab["label"]], reviews[lab["留言编号"]]) for lab in labels if lab["留言编号"] in reviews]
    human = np.array([h for h, _ in pairs])
    machine = np.array([order[r.verdict] for _, r in pairs])
    scores = np.array([r.overall for _, r in pairs])
    from scipy.stats import spearmanr

    rho = spearmanr(human, scores).statistic
    exact = float(np.mean(human == machine))
    poor_h, poor_m = human == 0, machine == 0
    precision = float(np.sum(poor_h & poor_m) / max(1, np.sum(poor_m)))
    recall = float(np.sum(poor_h & poor_m) / max(1, np.sum(poor_h)))
    print(
        f"\nhand labels: {len(pairs)} replies ({int(np.sum(human == 2))} good, {int(np.sum(human == 1))} fair, "
        f"{int(np.sum(human == 0))} poor)"
    )
    print(f"Spearman rank correlation of the overall score with the labels: {rho:.2f}")
    print(
        f"same verdict: {exact:.0%}; 'poor' flagged by the scorer: precision {precision:.0%}, recall {recall:.0%}"
    )
    for (h, r), lab in zip(pairs, labels, strict=False):
        mark = "" if order[r.verdict] == h else "   <- disagree"
        print(
            f"  {lab['留言编号']:>7} human {lab['label']:<5} scorer {r.verdict:<5} {r.overall:.2f} {','.join(r.flags)}{mark}"
        )

    ranked = sorted(rows, key=lambda r: reviews[r["留言编号"]].overall)
    for title, picks in (("worst", ranked[:3]), ("best", ranked[-3:])):
        print(f"\n{title} replies:")
        for r in picks:
            v = reviews[r["留言编号"]]
            print(f"  [{v.overall:.2f} {v.verdict} {','.join(v.flags)}] {r['留言主题'][:30]}")
            print(f"     reply: {r['答复意见'][:110]}")
            print(f"     notes: {'；'.join(v.notes) or '-'}")


if __name__ == "__main__":
    main()
