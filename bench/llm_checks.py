"""The checks on large-model text (hotline.llm.checks), measured on sentences labelled by hand.

    python bench/llm_checks.py            # test sets (never used to fit or tune anything)
    python bench/llm_checks.py --dev      # the development sets (the model and rules were fitted
                                          # and tuned on these: optimistic)

1. Answers (bench/data/llm_answers_*.csv): sentences a generated answer might hold, each labelled
   supported or not (and how not: a number, a unit, a date, a place, a phone, an added claim, a
   contradiction, off topic) by the demo KB article it must rest on. Of the unsupported, the share
   the checks catch; of the supported, the share they withhold anyway. Side by side: the check the
   platform had (the cited passage numbers are in range: catches nothing a passage number does not
   show), words alone (the rule without the embedding), and the checks as shipped.
2. Drafts (bench/data/llm_drafts_*.csv): sentences of a draft reply, labelled by what the ticket's
   record holds: grounded, invented, placeholder, courtesy, echo. Each sentence is checked as
   check_draft checks a draft; right is: grounded, placeholder and courtesy kept as written,
   invented replaced by 【待填写】, echo removed. Beside: the platform before (every sentence kept).
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_support import article_text  # noqa: E402

from hotline import texts  # noqa: E402
from hotline.llm import checks  # noqa: E402
from hotline.nlp import entities  # noqa: E402

DATA = ROOT / "bench" / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def answers(split: str) -> None:
    data = rows(f"llm_answers_{split}.csv")
    bases: dict[str, checks.Basis] = {}
    outcomes: dict[str, list[tuple[bool, bool, str]]] = defaultdict(list)  # method -> (label, passed, error)
    started = time.perf_counter()
    model = checks.support_model()
    for r in data:
        basis = bases.setdefault(r["article"], checks.Basis([article_text(r["article"])]))
        supported = r["label"] == "supported"
        outcomes["before (passage numbers only)"].append((supported, True, r["error"]))
        ev = basis.evidence(r["sentence"])
        polite = checks.courtesy(r["sentence"])
        words_ok = polite or (not ev.missing_facts and checks.words_alone(ev))
        outcomes["words alone (no embedding)"].append((supported, bool(words_ok), r["error"]))
        outcomes["checks as shipped"].append(
            (supported, checks.support(r["sentence"], basis).supported, r["error"])
        )
    elapsed = time.perf_counter() - started
    n_sup = sum(r["label"] == "supported" for r in data)
    print(f"\n1. Answers: {len(data)} sentences ({n_sup} supported, {len(data) - n_sup} not), {split} set")
    print(
        f"   support model: {'threshold ' + str(model.threshold) if model else 'none'}; {1000 * elapsed / len(data) / 3:.0f} ms a sentence"
    )
    kinds = sorted({r["error"] for r in data if r["error"]})
    print(f"   {'method':<32}{'caught':>8}{'withheld':>10}   " + " ".join(f"{k:>8}" for k in kinds))
    for method, out in outcomes.items():
        bad = [o for o in out if not o[0]]
        good = [o for o in out if o[0]]
        caught = sum(not o[1] for o in bad) / len(bad)
        withheld = sum(not o[1] for o in good) / len(good)
        by = []
        for k in kinds:
            of = [o for o in bad if o[2] == k]
            by.append(f"{sum(not o[1] for o in of) / len(of):>8.0%}" if of else f"{'—':>8}")
        print(f"   {method:<32}{caught:>8.1%}{withheld:>10.1%}   " + " ".join(by))
    print("   caught: unsupported sentences not shown; withheld: supported sentences not shown (the answer")
    print("   then gives way to the KB's own words)")


def drafts(split: str) -> None:
    data = rows(f"llm_drafts_{split}.csv")
    prompt = texts.prompt("reply_draft")

    def persons(text: str) -> list[str]:
        return [e.text for e in entities.persons(text)]

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    before: Counter[str] = Counter()
    wrong: list[tuple[str, str, str]] = []
    for r in data:
        record = [line for line in r["record"].replace("；", "\n").splitlines() if line.strip()]
        checked = checks.check_draft(
            r["sentence"],
            record=record,
            sources=[],
            request=r["request"],
            prompt=prompt,
            find_persons=persons,
        )
        kept = checked.text.strip() == r["sentence"].strip()
        dropped = not checked.text.strip()
        label = r["label"]
        ok = (
            (label in ("grounded", "placeholder", "courtesy") and kept)
            or (label == "invented" and not kept and r["sentence"].strip() not in checked.text)
            or (label == "echo" and dropped)
        )
        total[label] += 1
        right[label] += ok
        before[label] += label in ("grounded", "placeholder", "courtesy")
        if not ok:
            wrong.append((label, r["sentence"], checked.text))
    print(
        f"\n2. Drafts: {sum(total.values())} sentences of {len({r['case'] for r in data})} drafts, {split} set"
    )
    print(f"   {'label':<13}{'n':>5}{'before':>9}{'checks':>9}   right is")
    says = {
        "grounded": "kept (the record holds it)",
        "invented": "replaced by 【待填写】",
        "placeholder": "kept",
        "courtesy": "kept",
        "echo": "removed",
    }
    for label in ("grounded", "invented", "placeholder", "courtesy", "echo"):
        if total[label]:
            print(
                f"   {label:<13}{total[label]:>5}{before[label] / total[label]:>9.0%}{right[label] / total[label]:>9.0%}   {says[label]}"
            )
    if "-v" in sys.argv:
        for label, sentence, shown in wrong:
            print(f"   ✗ {label}: {sentence} → {shown}")


def main() -> None:
    split = "dev" if "--dev" in sys.argv else "test"
    if "--drafts" not in sys.argv:
        answers(split)
    if "--answers" not in sys.argv:
        drafts(split)


if __name__ == "__main__":
    main()
