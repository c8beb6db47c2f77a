"""Reading the citizen: follow-up answers and request types, the reader by meaning side by side with the
word rules it replaced, on development sets written before any tuning by someone who did not write
the training examples.

    python bench/reading.py [followup|types|rates|all]

- followup: bench/data/followup_answers_dev.csv — satisfaction, resolved, about (work/policy): per-class
  precision/recall, agreement, an unsatisfied answer read as satisfied, and with the person: the share
  left for a person to confirm and the agreement of what the machine counted alone.
- types: bench/data/request_types_dev.csv — request type and urgency (normal/urgent; emergency is
  screening's and counted as urgent here).
- rates: what each reader does to 满意率 and 解决率 of a month whose answers are the development set's
  (the demo month's follow-ups, 满意率 weights from the settings): the old rules, the new reader
  alone, the new reader with its doubtful readings confirmed by a person (counted as the truth), and
  the true labels.

The old rules are kept here (`old_followup`, `old_request_type`) as they were before the reader, so
the comparison can be run again."""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DATA = ROOT / "bench" / "data"

# --- the follow-up word rules as they were (hotline/followup/classify.py before the reader) ---
_UNSATISFIED = re.compile(
    r"不满意|很不满|非常不满|敷衍|应付|太差|很差|失望|没用|不认可|不接受|糊弄|踢皮球|推诿|不负责"
)
_BASIC = re.compile(r"基本满意|还行|还可以|一般|凑合|马马虎虎|勉强")
_SATISFIED = re.compile(r"满意|很好|不错|感谢|谢谢|点赞|及时|辛苦了|认可")
_UNRESOLVED = re.compile(
    r"没(有)?解决|未解决|不解决|还没|依旧|依然|仍然|还是(老样子|没|不)|没人来|没有人来|没(有)?处理|不了了之|又(坏|出现|开始)|问题还在|照样"
)
_RESOLVED = re.compile(r"(已经|已)?解决了|已解决|处理好了|修好了|已经修|恢复了|搞定|没问题了|处理了")
_POLICY = re.compile(r"政策|规定|不符合条件|不符合|法律|法规|无法办理|上级|国家|标准太|门槛")


def old_followup(text: str) -> tuple[str, str, str]:
    """(satisfaction, resolved yes/no/unknown, about work/policy/'') by the old rules."""
    from hotline.nlp.text import normalize

    t = normalize(text)
    if _UNSATISFIED.search(t):
        sat = "unsatisfied"
    elif _BASIC.search(t):
        sat = "basically_satisfied"
    elif _SATISFIED.search(t):
        sat = "satisfied"
    else:
        sat = "basically_satisfied"
    resolved = "unknown"
    if _UNRESOLVED.search(t):
        resolved = "no"
        if sat == "satisfied":
            sat = "basically_satisfied"
    elif _RESOLVED.search(t):
        resolved = "yes"
    if resolved == "no" and sat != "unsatisfied" and not _SATISFIED.search(t):
        sat = "unsatisfied"
    about = ("policy" if _POLICY.search(t) else "work") if sat == "unsatisfied" else ""
    return sat, resolved, about


def old_request_type(title: str, content: str) -> tuple[str, str]:
    from hotline.dispatch import signals

    rtype = signals.words_request_type(title, content).value
    urgent = signals.urgency(title, content, meaning=False)  # the word cues, screening's words for 特急
    return rtype, "urgent" if urgent.value != "normal" else "normal"


def load(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def per_class(truth: list[str], got: list[str], labels: list[str]) -> str:
    lines = [f"  {'label':<22}{'n':>5}{'precision':>11}{'recall':>8}"]
    for lab in labels:
        tp = sum(1 for t, g in zip(truth, got, strict=True) if t == lab and g == lab)
        n_read = sum(1 for g in got if g == lab)
        n = sum(1 for t in truth if t == lab)
        p = f"{tp / n_read:.3f}" if n_read else "—"
        r = f"{tp / n:.3f}" if n else "—"
        lines.append(f"  {lab:<22}{n:>5}{p:>11}{r:>8}")
    return "\n".join(lines)


def agreement(truth: list[str], got: list[str]) -> float:
    return sum(t == g for t, g in zip(truth, got, strict=True)) / max(1, len(truth))


def new_followup(rows: list[dict[str, str]]) -> list[Any]:
    from hotline.followup import reading

    return [reading.read(r["text"]) for r in rows]


def followup() -> None:
    rows = load("followup_answers_dev.csv")
    print(f"follow-up answers: {len(rows)} (bench/data/followup_answers_dev.csv)")
    old = [old_followup(r["text"]) for r in rows]
    new = new_followup(rows)
    res_of = {True: "yes", False: "no", None: "unknown"}
    for head, labels, t_of, o_of, n_of in (
        (
            "satisfaction",
            ["satisfied", "basically_satisfied", "unsatisfied"],
            lambda r: r["satisfaction"],
            lambda o: o[0],
            lambda n: n.satisfaction.value,
        ),
        (
            "resolved",
            ["yes", "no", "unknown"],
            lambda r: r["resolved"],
            lambda o: o[1],
            lambda n: res_of[n.resolved],
        ),
    ):
        truth = [t_of(r) for r in rows]
        got_old, got_new = [o_of(o) for o in old], [n_of(n) for n in new]
        print(
            f"\n{head}: agreement old rules {agreement(truth, got_old):.3f} · reader {agreement(truth, got_new):.3f}"
        )
        print(" old rules\n" + per_class(truth, got_old, labels))
        print(" reader\n" + per_class(truth, got_new, labels))
        if head == "resolved":
            known = [i for i, t in enumerate(truth) if t != "unknown"]
            print(
                f"  where the answer says (yes/no, {len(known)}): old "
                f"{agreement([truth[i] for i in known], [got_old[i] for i in known]):.3f} · reader "
                f"{agreement([truth[i] for i in known], [got_new[i] for i in known]):.3f}"
            )
    truth_sat = [r["satisfaction"] for r in rows]
    for name, got in (("old rules", [o[0] for o in old]), ("reader", [n.satisfaction.value for n in new])):
        inflated = sum(
            1 for t, g in zip(truth_sat, got, strict=True) if t == "unsatisfied" and g == "satisfied"
        )
        lost = sum(
            1 for t, g in zip(truth_sat, got, strict=True) if t == "unsatisfied" and g != "unsatisfied"
        )
        print(
            f"\n{name}: unsatisfied read as satisfied {inflated}/{len(rows)} ({inflated / len(rows):.1%}); "
            f"unsatisfied read as satisfied or basically {lost}/{truth_sat.count('unsatisfied')}"
        )
    unsat = [i for i, r in enumerate(rows) if r["satisfaction"] == "unsatisfied" and r.get("about")]
    if unsat:
        truth_about = [rows[i]["about"] for i in unsat]
        print(
            f"about (work/policy) of the {len(unsat)} unsatisfied: old {agreement(truth_about, [old[i][2] or 'work' for i in unsat]):.3f}"
            f" · reader {agreement(truth_about, ['work' if new[i].within_power or new[i].satisfaction.value != 'unsatisfied' else 'policy' for i in unsat]):.3f}"
        )
    # with a person confirming the doubtful readings
    auto = [i for i, n in enumerate(new) if not n.needs_person]
    print(
        f"\nwith a person: {len(rows) - len(auto)}/{len(rows)} ({1 - len(auto) / len(rows):.1%}) left to confirm; "
        f"of the {len(auto)} counted by machine alone:"
    )
    sat_auto = agreement([truth_sat[i] for i in auto], [new[i].satisfaction.value for i in auto])
    res_auto = agreement([rows[i]["resolved"] for i in auto], [res_of[new[i].resolved] for i in auto])
    inflated = sum(
        1 for i in auto if truth_sat[i] == "unsatisfied" and new[i].satisfaction.value == "satisfied"
    )
    print(
        f"  satisfaction agreement {sat_auto:.3f}, resolved agreement {res_auto:.3f}, "
        f"unsatisfied read as satisfied {inflated} ({inflated / max(1, len(auto)):.1%})"
    )
    # what reaches the figures: the answer's weight in 满意率, and the resolution counted (unsaid →
    # resolved unless unsatisfied)
    from hotline.config import get_settings

    w = get_settings().satisfaction_weights

    def counted(res: str, sat: str) -> bool:
        return res == "yes" or (res == "unknown" and sat != "unsatisfied")

    fig_sat = [w.get(truth_sat[i], 0) == w.get(new[i].satisfaction.value, 0) for i in range(len(rows))]
    fig_res = [
        counted(rows[i]["resolved"], truth_sat[i])
        == counted(res_of[new[i].resolved], new[i].satisfaction.value)
        for i in range(len(rows))
    ]
    old_sat = [w.get(truth_sat[i], 0) == w.get(old[i][0], 0) for i in range(len(rows))]
    old_res = [
        counted(rows[i]["resolved"], truth_sat[i]) == counted(old[i][1], old[i][0]) for i in range(len(rows))
    ]
    print(
        "what reaches the figures (the answer's weight in 满意率 right; the resolution counted right):\n"
        f"  old rules, all answers         {sum(old_sat) / len(rows):.3f}  {sum(old_res) / len(rows):.3f}\n"
        f"  reader, all answers            {sum(fig_sat) / len(rows):.3f}  {sum(fig_res) / len(rows):.3f}\n"
        f"  reader, what it counts alone   {sum(fig_sat[i] for i in auto) / max(1, len(auto)):.3f}  "
        f"{sum(fig_res[i] for i in auto) / max(1, len(auto)):.3f}"
    )
    by_phen: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_phen.setdefault(r.get("phenomenon") or "plain", []).append(i)
    print("\nby phenomenon (satisfaction agreement old → reader; resolved old → reader; to confirm):")
    for phen, idx in sorted(by_phen.items()):
        print(
            f"  {phen:<10}{len(idx):>4}  sat {agreement([truth_sat[i] for i in idx], [old[i][0] for i in idx]):.2f} → "
            f"{agreement([truth_sat[i] for i in idx], [new[i].satisfaction.value for i in idx]):.2f}   "
            f"res {agreement([rows[i]['resolved'] for i in idx], [old[i][1] for i in idx]):.2f} → "
            f"{agreement([rows[i]['resolved'] for i in idx], [res_of[new[i].resolved] for i in idx]):.2f}   "
            f"{sum(new[i].needs_person for i in idx)}"
        )
    if "-v" in sys.argv:
        print("\nmisread by the reader (truth → read, confidence, to confirm):")
        for r, n in zip(rows, new, strict=True):
            if r["satisfaction"] != n.satisfaction.value or r["resolved"] != res_of[n.resolved]:
                print(
                    f"  {r['text']}  [{r['satisfaction']}/{r['resolved']} → {n.satisfaction.value}/"
                    f"{res_of[n.resolved]}, {n.confidence:.2f}, {'person' if n.needs_person else 'machine'}]"
                )


def types() -> None:
    from hotline.dispatch import signals

    rows = load("request_types_dev.csv")
    print(f"requests: {len(rows)} (bench/data/request_types_dev.csv)")
    old = [old_request_type(r["title"], r["content"]) for r in rows]
    new_type = [signals.request_type(r["title"], r["content"]) for r in rows]
    new_urg = [signals.urgency(r["title"], r["content"]) for r in rows]
    truth = [r["request_type"] for r in rows]
    labels = ["consult", "help", "complaint", "report", "suggestion", "praise"]
    got_old, got_new = [o[0] for o in old], [n.value for n in new_type]
    print(
        f"\nrequest type: agreement old cues {agreement(truth, got_old):.3f} · reader {agreement(truth, got_new):.3f}"
    )
    print(" old cues\n" + per_class(truth, got_old, labels))
    print(" reader\n" + per_class(truth, got_new, labels))
    confusions = Counter((t, g) for t, g in zip(truth, got_new, strict=True) if t != g)
    print(
        " reader's confusions (truth → read): "
        + ", ".join(f"{t}→{g} {n}" for (t, g), n in confusions.most_common(8))
    )
    t_urg = ["urgent" if r["urgency"] != "normal" else "normal" for r in rows]
    got_old_u = [o[1] for o in old]
    got_new_u = ["urgent" if n.value != "normal" else "normal" for n in new_urg]
    print(
        f"\nurgency (urgent or emergency vs normal): agreement old {agreement(t_urg, got_old_u):.3f} · "
        f"reader {agreement(t_urg, got_new_u):.3f}"
    )
    print(" old\n" + per_class(t_urg, got_old_u, ["normal", "urgent"]))
    print(" reader (with screening's emergencies)\n" + per_class(t_urg, got_new_u, ["normal", "urgent"]))
    if "-v" in sys.argv:
        for r, n in zip(rows, new_type, strict=True):
            if r["request_type"] != n.value:
                print(f"  {r['title']}｜{r['content']}  [{r['request_type']} → {n.value} {n.confidence:.2f}]")


def rates() -> None:
    from hotline.config import get_settings

    rows = load("followup_answers_dev.csv")
    weights = get_settings().satisfaction_weights
    old = [old_followup(r["text"]) for r in rows]
    new = new_followup(rows)

    def figures(sats: list[str], res: list[bool]) -> str:
        sat_rate = sum(weights.get(s, 0.0) for s in sats) / len(sats)
        return f"满意率 {sat_rate:.1%}  解决率 {sum(res) / len(res):.1%}"

    def resolved_of(value: str, sat: str) -> bool:
        # as followup.service records it: an answer silent on resolution counts as resolved unless unsatisfied
        return value == "yes" if value != "unknown" else sat != "unsatisfied"

    true_sat = [r["satisfaction"] for r in rows]
    true_res = [resolved_of(r["resolved"], r["satisfaction"]) for r in rows]
    old_sat = [o[0] for o in old]
    old_res = [resolved_of(o[1], o[0]) for o in old]
    res_of = {True: "yes", False: "no", None: "unknown"}
    new_sat = [n.satisfaction.value for n in new]
    new_res = [resolved_of(res_of[n.resolved], n.satisfaction.value) for n in new]
    held = [n.needs_person for n in new]
    conf_sat = [t if h else g for t, g, h in zip(true_sat, new_sat, held, strict=True)]
    conf_res = [t if h else g for t, g, h in zip(true_res, new_res, held, strict=True)]
    print(f"a month of {len(rows)} follow-up answers (the development set's):")
    print(f"  true labels                         {figures(true_sat, true_res)}")
    print(f"  old word rules                      {figures(old_sat, old_res)}")
    print(f"  reader alone (every reading counted) {figures(new_sat, new_res)}")
    print(
        f"  reader + a person confirming {sum(held)} doubtful ({sum(held) / len(rows):.0%}) "
        f"{figures(conf_sat, conf_res)}"
    )


def main() -> None:
    what = next((a for a in sys.argv[1:] if not a.startswith("-")), "all")
    if what in ("followup", "all"):
        followup()
    if what in ("types", "all"):
        print()
        types()
    if what in ("rates", "all"):
        print()
        rates()


if __name__ == "__main__":
    main()
