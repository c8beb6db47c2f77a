"""Screening flags: precision and recall per flag on an evaluation set built from the real messages
and written examples of the rare classes.

    python bench/screening.py

- Negatives: every real message in ../shared/data (labelled, hotspot, replies, raw sample — 14,876
  posts to a government message board). They are counted as requests a hotline must serve: any flag
  on them is reported as a false flag, with examples to read (a few may be true private matters).
- Positives: bench/data/screening_examples.csv — 58 short texts (12 each for abusive, private_domain,
  out_of_remit, emergency; 10 for threat), written for this benchmark as a caller would say them,
  before the cues were run on them; they were not changed afterwards.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from hotline.nlp.text import normalize  # noqa: E402
from hotline.screening.rules import screen_text  # noqa: E402

KINDS = ("abusive", "threat", "private_domain", "out_of_remit", "emergency")


def main() -> None:
    negatives: list[tuple[str, str]] = []
    with (DATA / "messages_labeled.csv").open(encoding="utf-8-sig") as fh:
        negatives += [("", r["text"]) for r in csv.DictReader(fh)]
    for name in ("messages_hotspot.csv", "messages_replies.csv", "messages_raw_sample.csv"):
        with (DATA / name).open(encoding="utf-8-sig") as fh:
            negatives += [(r["留言主题"], r["留言详情"]) for r in csv.DictReader(fh)]
    with (ROOT / "bench" / "data" / "screening_examples.csv").open(encoding="utf-8") as fh:
        positives = [(r["kind"], r["text"]) for r in csv.DictReader(fh)]

    false_flags: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for title, content in negatives:
        for f in screen_text(title, content):
            if f.kind in KINDS:
                false_flags[f.kind].append((normalize(title + "。" + content)[:70], f.cues))
    tp: Counter[str] = Counter()
    fp_written: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    for kind, text in positives:
        found = {f.kind for f in screen_text("", text)} & set(KINDS)
        if kind in found:
            tp[kind] += 1
        else:
            misses[kind].append(text)
        for other in found - {kind}:
            fp_written[other] += 1
    per_class = Counter(k for k, _ in positives)
    print(f"negatives: {len(negatives)} real messages; positives: {len(positives)} written examples")
    print(f"{'flag':<16}{'recall':>8}{'precision':>11}{'false flags on real':>22}")
    for kind in KINDS:
        fp = len(false_flags[kind]) + fp_written[kind]
        precision = tp[kind] / (tp[kind] + fp) if tp[kind] + fp else 0.0
        rate = len(false_flags[kind]) / len(negatives)
        print(
            f"{kind:<16}{tp[kind] / per_class[kind]:>8.2f}{precision:>11.2f}{len(false_flags[kind]):>10} ({rate:.2%})"
        )
    print("\nfalse flags on real messages (the costly error), examples:")
    for kind in KINDS:
        for text, cues in false_flags[kind][:4]:
            print(f"  {kind:<15} {cues} {text}")
    print("\nmissed written examples:")
    for kind in KINDS:
        for text in misses[kind]:
            print(f"  {kind:<15} {text}")


if __name__ == "__main__":
    main()
