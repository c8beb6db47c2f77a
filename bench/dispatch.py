"""Intelligent dispatch on the real data in ../shared/data: classifier quality, calibration, errors,
raw-text transfer, suggestion latency, training cost, location accuracy, and the urgency cues.

    python bench/dispatch.py                 # everything (about 5 minutes on 2 cores)
    python bench/dispatch.py --methods tfidf-svm --skip-location

Sections:
1. Category (一级分类) on messages_labeled.csv: stratified 5-fold cross-validation of each method,
   accuracy, macro-F1, per-class table; for the default method also the reliability table, the
   auto-dispatch share/accuracy per threshold, the most common confusions with examples.
2. Raw text: train on messages_labeled.csv without the messages that also appear in
   messages_raw_sample.csv (char 3-gram containment > 0.5), evaluate on those raw messages as
   citizens wrote them (title + body), through the same tokenizer.
3. Cost: full training time, model size, single-ticket suggestion latency (service.suggest against a
   SQLite database with the demo city, routing table and model), peak memory.
4. Location: messages that name exactly one county-level unit ("A3区", "A7县") are the labeled
   sample. Half of them teach landmarks (mined place names → unit); on the other half the unit names
   are deleted from the text and the gazetteer must find the unit from the remaining place names.
5. Urgency and request type: emergency flags on all real messages (none of which is an emergency: they
   are posts to an online message board) and on emergency texts written for this benchmark; request
   type distribution on the raw messages.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import joblib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402

from hotline.dispatch import classifier, location, signals  # noqa: E402
from hotline.nlp.text import normalize  # noqa: E402

UNIT = re.compile(r"[A-Z]\d{1,2}[区县市]")
CITY = re.compile(r"(?<![A-Z0-9])[A-Z]市")

# written for this benchmark: what a real 12345 call about an emergency sounds like (6 per service)
EMERGENCY_TEXTS = [
    ("119", "着火了", "我家楼下饭店着火了，火很大，快来人"),
    ("119", "小区起火", "3栋2单元起火了，浓烟从窗户冒出来，楼上还有人"),
    ("119", "紧急", "厨房煤气泄漏了，味道很重，我不敢开灯"),
    ("119", "燃气味", "楼道里闻到很浓的燃气味，好几户都闻到了"),
    ("119", "仓库失火", "工业园一个仓库失火了，火势越来越大"),
    ("119", "电动车着火", "地下车库电动车充电时烧起来了，冒烟了"),
    ("110", "有人打人", "菜市场门口现在有人打人，打得很凶，已经流血了"),
    ("110", "持刀", "小区门口有个男的持刀伤人，大家都在跑"),
    ("110", "入室盗窃", "刚刚有人撬门入室偷东西，人还在楼里"),
    ("110", "轻生", "我朋友发消息说不想活了，要跳河"),
    ("110", "跳楼", "对面楼顶有个人要跳楼，坐在边上"),
    ("110", "绑架", "有人把一个小孩强行拖上车了，像是绑架"),
    ("120", "老人晕倒", "公交站一位老人晕倒了，叫不醒"),
    ("120", "孩子抽搐", "孩子突然抽搐口吐白沫，怎么办"),
    ("120", "中毒", "一家三口吃了野蘑菇，现在好像中毒了，上吐下泻"),
    ("120", "没有呼吸", "我爸突然倒地不起，好像没有呼吸了"),
    ("120", "大出血", "工地有工人被钢筋扎伤，大出血"),
    ("120", "昏迷", "邻居老太太昏迷在家里，门反锁着"),
    ("122", "车祸", "高架桥上刚刚发生车祸，有人被压在车里"),
    ("122", "撞人", "路口有人被撞了，躺在地上不动"),
    ("122", "追尾", "隧道里现在发生追尾，好几辆车"),
    ("122", "交通事故", "学校门口发生交通事故，一个学生被车撞了"),
    ("122", "车祸现场", "国道车祸现场没有人管，车堵了很长"),
    ("122", "撞车", "出了撞车事故，油漏了一地"),
]


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)), flush=True)


# -- 1. category ----------------------------------------------------------------------------------


def bench_category(methods: list[str], folds: int) -> tuple[list[str], list[str]]:
    rows = read_csv("messages_labeled.csv")
    texts, labels = [r["text"] for r in rows], [r["一级分类"] for r in rows]
    t = time.perf_counter()
    prepared = classifier.prepare(texts)
    print(f"{len(texts)} messages, {len(set(labels))} classes; tokenized in {time.perf_counter() - t:.1f} s")
    for method in methods:
        t = time.perf_counter()
        ev, proba = classifier.cross_validate(prepared, labels, method=method, folds=folds, n_jobs=2)
        print(
            f"\n{method}: {folds}-fold accuracy {ev.accuracy:.4f}  macro-F1 {ev.macro_f1:.4f}"
            f"  ({time.perf_counter() - t:.0f} s)"
        )
        print(f"{'class':<14}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}")
        for row in ev.per_class:
            print(
                f"{row['label']:<14}{row['precision']:>10.4f}{row['recall']:>9.4f}{row['f1']:>8.4f}{row['support']:>9}"
            )
        if method == classifier.DEFAULT_METHOD:
            names = sorted(set(labels))
            print_reliability("as the calibrated SVM gives them", ev)
            # temperature scaling (what `hotline model train` does), fitted on one random half of the
            # out-of-fold predictions and judged on the other half
            rng = np.random.default_rng(0)
            half = rng.permutation(len(labels))
            fit, judge = half[: len(half) // 2], half[len(half) // 2 :]
            t_fit = classifier.fit_temperature([labels[i] for i in fit], names, proba[fit])
            judged = classifier.evaluate_predictions(
                [labels[i] for i in judge], names, classifier.scale(proba[judge], t_fit)
            )
            print_reliability(f"after temperature scaling (T={t_fit:.2f}), on the held-out half", judged)
            confusions(texts, labels, proba, names)
    plain_baseline(texts, labels, folds)
    return texts, labels


def plain_baseline(texts: list[str], labels: list[str], folds: int) -> None:
    """The plain baseline on the same folds as the methods above (classifier.cross_validate's): TF-IDF
    of character 1–3-grams of the text and jieba word 1–2-grams (plain jieba, no dictionary of ours,
    no stopwords), sublinear tf, LinearSVC(C=1), no calibration."""
    import jieba
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    t = time.perf_counter()
    joined = [x.replace(" ", "") for x in texts]
    cut = [" ".join(jieba.lcut(x)) for x in joined]
    y = np.asarray(labels)
    pred = np.empty(len(y), dtype=object)
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(joined, y):
        w = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True)  # noqa: S106 - a regex
        c = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        x_train = sparse.hstack(
            [w.fit_transform([cut[i] for i in train]), c.fit_transform([joined[i] for i in train])]
        ).tocsr()
        x_test = sparse.hstack(
            [w.transform([cut[i] for i in test]), c.transform([joined[i] for i in test])]
        ).tocsr()
        pred[test] = LinearSVC(C=1.0).fit(x_train, y[train]).predict(x_test)
    print(
        f"\nplain baseline (chars 1-3 + jieba words 1-2, LinearSVC C=1), same folds: "
        f"accuracy {accuracy_score(y, pred):.4f}  macro-F1 {f1_score(y, pred, average='macro'):.4f}"
        f"  ({time.perf_counter() - t:.0f} s)"
    )


def print_reliability(title: str, ev: classifier.Evaluation) -> None:
    print(f"\nreliability {title}: confidence bin, tickets, mean confidence, share right")
    for b in ev.calibration:
        print(
            f"  {b['from']:.2f}-{b['to']:.2f} {b['n']:>6} {b['mean_confidence']:>8.3f} {b['accuracy']:>8.3f}"
        )
    print("auto-dispatch at threshold: share auto, accuracy auto, accuracy of the rest (triage)")
    for th in ev.thresholds:
        print(
            f"  {th['threshold']:.2f}  {th['auto_share']:.3f}  {th['auto_accuracy'] or 0:.4f}"
            f"  {th['triage_accuracy'] or 0:.4f}"
        )


def confusions(texts: list[str], labels: list[str], proba: np.ndarray, names: list[str]) -> None:
    pred = [names[i] for i in proba.argmax(axis=1)]
    conf = proba.max(axis=1)
    pairs = Counter((t, p) for t, p in zip(labels, pred, strict=True) if t != p)
    print("most common confusions (true → predicted), with the most confident examples:")
    for (true, wrong), n in pairs.most_common(5):
        print(f"  {true} → {wrong}: {n}")
        idx = [i for i in range(len(labels)) if labels[i] == true and pred[i] == wrong]
        for i in sorted(idx, key=lambda i: -conf[i])[:2]:
            print(f"      ({conf[i]:.2f}) {normalize(texts[i])[:70]}")


# -- 2. raw text ----------------------------------------------------------------------------------


def bench_raw(texts: list[str], labels: list[str]) -> None:
    raw = read_csv("messages_raw_sample.csv")
    raw_texts = [f"{r['留言主题']}。{r['留言详情']}" for r in raw]
    raw_labels = [r["一级分类"] for r in raw]
    strip = re.compile(r"[^\w]")
    vec = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True)
    vec.fit([strip.sub("", normalize(t)) for t in raw_texts])
    labeled_m = vec.transform([strip.sub("", normalize(t)) for t in texts])
    raw_m = vec.transform([strip.sub("", normalize(t)) for t in raw_texts])
    overlap = (labeled_m @ raw_m.T).toarray()
    sizes = np.maximum(np.asarray(labeled_m.sum(axis=1)).ravel(), 1)
    containment = overlap.max(axis=1) / sizes
    keep = containment <= 0.5
    print(
        f"{len(raw)} raw messages; {int((~keep).sum())} of the labeled messages are the same messages "
        f"(char 3-gram containment > 0.5) and are left out of training"
    )
    model = classifier.train(
        classifier.prepare([t for t, k in zip(texts, keep, strict=True) if k]),
        [label for label, k in zip(labels, keep, strict=True) if k],
    )
    proba = model.predict_proba(classifier.prepare(raw_texts))
    ev = classifier.evaluate_predictions(raw_labels, model.labels, proba)
    print(
        f"trained on segmented text, tested on raw text: accuracy {ev.accuracy:.4f}  macro-F1 {ev.macro_f1:.4f}"
    )
    held = [i for i, k in enumerate(keep) if not k]
    proba = model.predict_proba(classifier.prepare([texts[i] for i in held]))
    ev = classifier.evaluate_predictions([labels[i] for i in held], model.labels, proba)
    print(
        f"the same left-out messages in their segmented form: accuracy {ev.accuracy:.4f}  macro-F1 {ev.macro_f1:.4f}"
        " (the gap between the two lines is what raw text costs)"
    )


# -- 3. cost --------------------------------------------------------------------------------------


def bench_cost(texts: list[str], labels: list[str]) -> None:
    t = time.perf_counter()
    prepared = classifier.prepare(texts)
    model = classifier.train(prepared, labels)
    train_s = time.perf_counter() - t
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    print(
        f"full training on {len(texts)} messages: {train_s:.1f} s (tokenizing included); model {len(buf.getvalue()) / 1e6:.1f} MB"
    )

    raw = read_csv("messages_raw_sample.csv")
    single = []
    for r in raw:
        t = time.perf_counter()
        model.top(classifier.tokenize(f"{r['留言主题']}。{r['留言详情']}"))
        single.append((time.perf_counter() - t) * 1000)
    print(
        f"classifier alone, one ticket: p50 {statistics.median(single):.1f} ms  p95 {np.percentile(single, 95):.1f} ms"
    )

    from sqlalchemy.orm import Session

    from hotline import migrate
    from hotline.bootstrap import bootstrap
    from hotline.db import make_engine
    from hotline.demo.seed import demo_path
    from hotline.dispatch import registry, routing, service
    from hotline.org import service as org_service

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        with engine.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(engine) as session:
            bootstrap(session)
            org_service.import_org(session, org=org_service.parse_org_file(demo_path("city.yaml")))
            routing.import_rules(session, path=demo_path("routing.csv"), actor="bench")
            registry.save(
                session,
                model=model,
                label_level=1,
                source="bench",
                n_samples=len(texts),
                metrics={},
                created_by="bench",
            )
            session.commit()
            times = []
            for r in raw * 2:
                t = time.perf_counter()
                service.suggest(session, title=r["留言主题"], content=r["留言详情"], channel="web")
                times.append((time.perf_counter() - t) * 1000)
            times = times[20:]  # the first calls load the model and build the gazetteer
        engine.dispose()
    print(
        f"full suggestion (classifier + reasons + cues + location + routing, SQLite): "
        f"p50 {statistics.median(times):.1f} ms  p95 {np.percentile(times, 95):.1f} ms  ({len(times)} calls)"
    )
    print(f"peak memory of this benchmark process so far: {peak_rss_mib():.0f} MiB")


# -- 4. location ----------------------------------------------------------------------------------


def bench_location() -> None:
    messages = []
    for name in ("messages_hotspot.csv", "messages_replies.csv", "messages_raw_sample.csv"):
        for r in read_csv(name):
            messages.append(normalize(f"{r['留言主题']}。{r['留言详情']}").upper())
    labeled = []
    for text in messages:
        units = set(UNIT.findall(text))
        if len(units) == 1:
            labeled.append((text, units.pop()))
    codes = sorted({u for _, u in labeled})
    # a province of cities (A市, B市 …) holding county-level units (A3区, A7县, A9市 …)
    rows: list[tuple[int, str, str, int | None]] = [(1, "P", "省", None)]
    city_ids: dict[str, int] = {}
    for code in codes:
        city = code[0]
        if city not in city_ids:
            city_ids[city] = len(rows) + 1
            rows.append((city_ids[city], city, f"{city}市", 1))
    unit_ids = {}
    for code in codes:
        unit_ids[code] = len(rows) + 1
        rows.append((unit_ids[code], code, code, city_ids[code[0]]))
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labeled))
    half = len(order) // 2
    train = [labeled[i] for i in order[:half]]
    test = [labeled[i] for i in order[half:]]

    gaz = location.Gazetteer(places=location.build_places(rows))
    for place in gaz.places.values():
        gaz.add(place.name, place.area_id)
    mined = location.mine_landmarks(
        [(t, unit_ids[u]) for t, u in train], gazetteer=gaz, min_support=2, min_purity=0.8
    )
    for m in mined:
        gaz.add(m.name, m.area_id)
    print(f"{len(labeled)} messages name exactly one county-level unit ({len(codes)} units)")
    print(
        f"landmarks mined from the training half: {len(mined)} (e.g. {', '.join(m.name for m in mined[:8])})"
    )

    def score(strip_units: bool) -> tuple[float, float]:
        located = right = 0
        for text, unit in test:
            if strip_units:
                text = CITY.sub("", UNIT.sub("", text))
            found = gaz.locate(text)
            if found is not None and found.code in unit_ids:
                located += 1
                right += found.code == unit
        return located / len(test), (right / located if located else 0.0)

    cov, acc = score(strip_units=False)
    print(f"with the unit named in the text: located {cov:.1%}, right {acc:.1%} of those")
    cov, acc = score(strip_units=True)
    print(f"unit names deleted, landmarks only: located {cov:.1%} of {len(test)}, right {acc:.1%} of those")


# -- 5. urgency and request type ------------------------------------------------------------------


def bench_signals() -> None:
    corpus: list[tuple[str, str]] = []
    for r in read_csv("messages_labeled.csv"):
        corpus.append(("", r["text"]))
    for name in ("messages_hotspot.csv", "messages_replies.csv", "messages_raw_sample.csv"):
        for r in read_csv(name):
            corpus.append((r["留言主题"], r["留言详情"]))
    flags = [(t, c, signals.urgency(t, c)) for t, c in corpus]
    emergencies = [(t, c, s) for t, c, s in flags if s.value == "emergency"]
    urgent = sum(1 for *_, s in flags if s.value == "urgent")
    print(
        f"real messages: {len(corpus)}; flagged emergency {len(emergencies)} ({len(emergencies) / len(corpus):.2%}), "
        f"urgent {urgent} ({urgent / len(corpus):.1%})"
    )
    for t, c, s in emergencies[:8]:
        print(f"   {s.service} {s.cues} {normalize(t + '。' + c)[:60]}")
    hits = sum(
        signals.urgency(t, c).value == "emergency" and signals.urgency(t, c).service == svc
        for svc, t, c in EMERGENCY_TEXTS
    )
    flagged = sum(signals.urgency(t, c).value == "emergency" for _, t, c in EMERGENCY_TEXTS)
    print(
        f"written emergency texts: {len(EMERGENCY_TEXTS)}; flagged {flagged} ({flagged / len(EMERGENCY_TEXTS):.0%}), "
        f"with the right service {hits} ({hits / len(EMERGENCY_TEXTS):.0%})"
    )
    raw = read_csv("messages_raw_sample.csv")
    kinds = Counter(signals.request_type(r["留言主题"], r["留言详情"]).value for r in raw)
    print(
        "request type on the raw messages (no labels exist): "
        + ", ".join(f"{k} {v}" for k, v in kinds.most_common())
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", nargs="+", default=list(classifier.METHODS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-location", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"data not found: {DATA}")
    print(f"dispatch benchmark on {DATA} ({os.cpu_count()} CPUs)")
    section("1. category classifier, cross-validated")
    texts, labels = bench_category(args.methods, args.folds)
    section("2. raw intake text")
    bench_raw(texts, labels)
    section("3. cost")
    bench_cost(texts, labels)
    if not args.skip_location:
        section("4. location")
        bench_location()
    section("5. urgency and request type")
    bench_signals()


if __name__ == "__main__":
    main()
