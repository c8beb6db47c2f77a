"""Department-level dispatch on the development set (bench/data/dispatch_dev.csv: 165 everyday requests
for the demo city in callers' words, each with the units a centre would accept, written before any
tuning), and what a suggestion costs.

    .venv/bin/python bench/dispatch_matters.py        # about 5 minutes on 2 cores

1. Top-1 / top-3 department, side by side on the same requests: the category routing table alone (what
   dispatch was before the matter list), the matter list with the full category model (trained on
   ../shared/data/messages_labeled.csv), and the matter list with the demo's small model.
2. Confidence that means the department is right: 5-fold cross-validation over the development set —
   the calibration (Platt) and the auto-dispatch threshold (the lowest with ≥ 98% precision on the
   training folds) fitted on four folds, the auto share and its precision counted on the fifth. Then
   the shipped calibration and the configured threshold on all of it (in-sample: fitted there).
3. Cost: one suggestion on the workstation path (warm; p50/p95), the embedding of one new request alone,
   the memory of the process.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

import dispatchlab
from hotline.config import get_settings
from hotline.dispatch import matching
from hotline.nlp import embedding

TARGET_PRECISION = 0.98


def summary(name: str, routed: list[dispatchlab.Routed]) -> None:
    top1 = np.mean([r.top1 for r in routed])
    top3 = np.mean([r.top3 for r in routed])
    shown = np.mean([len(r.departments) for r in routed])
    print(f"  {name:<44} top-1 {top1:.3f}  top-3 {top3:.3f}  departments shown {shown:.2f}")


def platt(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    z = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1)).reshape(-1, 1)
    lr = LogisticRegression(C=100.0).fit(z, y.astype(int))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def calibrated(p: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    return np.asarray([matching.calibrate(float(x), ab) for x in p])


def threshold_for(conf: np.ndarray, y: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest threshold whose auto-dispatched share is at least `target` precise (1.01: none)."""
    for t in np.arange(0.50, 1.0, 0.005):
        chosen = conf >= t
        if chosen.sum() >= 5 and y[chosen].mean() >= target:
            return float(t)
    return 1.01


def cross_validated(routed: list[dispatchlab.Routed]) -> None:
    p = np.asarray([r.confidence for r in routed])
    y = np.asarray([r.top1 for r in routed])
    auto = np.zeros(len(p), dtype=bool)
    conf = np.zeros(len(p))
    for train, test in KFold(5, shuffle=True, random_state=0).split(p):
        ab = platt(p[train], y[train])
        t = threshold_for(calibrated(p[train], ab), y[train])
        conf[test] = calibrated(p[test], ab)
        auto[test] = conf[test] >= t
    print(
        f"  5-fold, threshold chosen on the training folds: auto-dispatched {auto.mean():.3f} of requests, "
        f"precision {y[auto].mean() if auto.any() else float('nan'):.3f} ({int(y[auto].sum())}/{int(auto.sum())}); "
        "the rest to the triage queue"
    )
    for t in (0.9, 0.95, 0.97):
        fixed = conf >= t
        print(
            f"  5-fold, threshold {t:.2f}: auto-dispatched {fixed.mean():.3f}, precision "
            f"{y[fixed].mean() if fixed.any() else float('nan'):.3f} ({int(y[fixed].sum())}/{int(fixed.sum())})"
        )
    print("  reliability (held-out calibrated confidence → share right):")
    for lo, hi in ((0.0, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)):
        m = (conf >= lo) & (conf < hi)
        if m.any():
            print(
                f"    {lo:.2f}–{min(hi, 1):.2f}: {int(m.sum()):3d} requests, mean confidence {conf[m].mean():.3f}, right {y[m].mean():.3f}"
            )


def shipped(routed: list[dispatchlab.Routed]) -> None:
    w = matching.packaged_weights()
    threshold = get_settings().dispatch_auto_threshold
    p = np.asarray([r.confidence for r in routed])
    y = np.asarray([r.top1 for r in routed])
    conf = calibrated(p, w.calibration)
    for t in sorted({threshold, 0.9, 0.95, 0.97}):
        auto = conf >= t
        mark = " (configured)" if t == threshold else ""
        print(
            f"  threshold {t:.2f}{mark}: auto {auto.mean():.3f}, precision {y[auto].mean() if auto.any() else float('nan'):.3f} ({int(y[auto].sum())}/{int(auto.sum())})"
        )


SERVE = """
import sys
from sqlalchemy.orm import Session
from hotline.db import make_engine
from hotline.dispatch import service
s = Session(make_engine(sys.argv[1]))
for i in range(20):
    service.suggest(s, title="", content=f"第{i}次：小区门口的路灯坏了好几天了，晚上很黑")
# VmHWM, not ru_maxrss: Linux keeps the parent's high-water mark in ru_maxrss across fork and exec
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hwm.split()[1]) / 1024)
"""


def serving_memory(session) -> float:  # type: ignore[no-untyped-def]
    session.commit()  # no transaction of ours holds the SQLite file
    url = session.get_bind().url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", SERVE, url],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(dispatchlab.ROOT / "src")},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = dispatchlab.dev_rows()
    print(f"1. Department, {len(rows)} development requests")
    s = dispatchlab.lab("full", matters=False)
    summary("category model + routing table (before)", dispatchlab.route(s, rows))
    s.close()
    w = matching.packaged_weights()
    matching.use_weights(matching.Weights(coef=w.coef))  # uncalibrated
    s = dispatchlab.lab("full")
    routed = dispatchlab.route(s, rows)  # warm: every text embedded before the timing run below
    summary("matter list + full category model", routed)
    names = dispatchlab.department_names(s)
    print("  wrong first choices (request → suggested; acceptable):")
    for r in routed:
        if not r.top1:
            got = "、".join(names.get(c, c) for c in r.departments) or "—"
            want = "、".join(names.get(c, c) for c in r.row.acceptable[:2])
            print(f"    [{r.row.note}] {r.row.text[:30]} → {got}; {want}")

    print("\n2. Confidence on department correctness (matter list + full model)")
    cross_validated(routed)
    print("  shipped calibration and thresholds, all 165 (in-sample):")
    shipped(routed)

    print("\n3. Cost (matter list + full model, 2 cores)")
    matching.use_weights(None)
    timed = dispatchlab.route(s, rows)
    ms = sorted(r.seconds * 1000 for r in timed)
    print(
        f"  suggestion, text embedded before (the live panel re-asking): p50 {statistics.median(ms):.0f} ms, p95 {ms[int(0.95 * len(ms))]:.0f} ms"
    )
    fresh = []
    for r in rows[:60]:
        text = f"新来电：{r.text}"  # a text the embedding has not seen
        started = time.perf_counter()
        matching.text_vectors("", text)
        fresh.append((time.perf_counter() - started) * 1000)
    fresh.sort()
    print(
        f"  embedding of a new request (once per ticket, kept): p50 {statistics.median(fresh):.0f} ms, p95 {fresh[int(0.95 * len(fresh))]:.0f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this benchmark process (it also trained the category models): {rss:.0f} MB")
    print(
        f"  peak memory of a serving process (loads the models and the list, suggests 20 times): {serving_memory(s):.0f} MB"
    )
    print(f"  embedding model: {embedding.MODEL_NAME}; matter texts: {len(matching.catalog(s).owner)}")  # type: ignore[union-attr]
    s.close()


if __name__ == "__main__":
    main()
