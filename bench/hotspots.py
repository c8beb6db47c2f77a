"""Duplicates and hotspots on the real messages.

    python bench/hotspots.py

1. Duplicate detection (并单) on labeled pairs: bench/data/duplicate_pairs.csv holds 150 pairs of
   messages from ../shared/data/messages_hotspot.csv posted within 30 days of each other, sampled at
   random (seed 7) from nine bins of character-bigram overlap (0.15–1.0; 15–20 pairs a bin), each
   labeled by reading both messages: 1 = the same problem at the same place (one should be merged into
   the other), 0 = not. Measures compared: character-bigram overlap / Jaccard / Dice (no model, fast
   enough for intake), TF-IDF cosine over words and over character bigrams (IDF fitted on the 4,326
   messages). The threshold of each is chosen on a random half of the pairs and judged on the other
   half, 50 times. Because pairs were sampled per bin, the figures are also re-weighted by how many
   candidate pairs each bin holds; pairs below 0.15 overlap were not sampled (recall there is unknown).
2. Topic mining: the product's clustering (TF-IDF over words, DBSCAN linking cosine ≥ threshold) on
   all 4,326 hotspot messages at several thresholds: how often labeled duplicate pairs land in one
   topic (recall) and non-duplicates apart (precision), topics, the biggest, time.
3. The product end to end: the hotspot messages imported (bulk import, docs/import/messages_hotspot.yaml)
   into a fresh SQLite database, mined per year, facts taken, the top hotspots ranked by the heat
   index with people (distinct board users), supports (点赞数), span and three member titles.
4. Mining on the labeled messages (7,345, pre-segmented, no dates): the biggest topics.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import random
import statistics as st
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sqlalchemy import select  # noqa: E402

from hotline.analytics.hotspots import _texts, cluster  # noqa: E402
from hotline.config import get_settings  # noqa: E402
from hotline.nlp import textsim  # noqa: E402
from hotline.nlp.text import tokenize, word_part  # noqa: E402
from hotline.workflow import duplicates as duplicates_mod  # noqa: E402


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def f1_at(scores: list[float], labels: list[int], t: float, idx: list[int]) -> tuple[float, float, float]:
    tp = sum(1 for i in idx if scores[i] >= t and labels[i])
    fp = sum(1 for i in idx if scores[i] >= t and not labels[i])
    fn = sum(1 for i in idx if scores[i] < t and labels[i])
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def duplicates(messages: dict[str, dict[str, str]]) -> None:
    pairs = list(csv.DictReader((ROOT / "bench" / "data" / "duplicate_pairs.csv").open(encoding="utf-8")))
    labels = [int(p["label"]) for p in pairs]
    text = {k: f"{r['留言主题']} {r['留言详情']}" for k, r in messages.items()}
    ids = list(messages)
    pos = {k: i for i, k in enumerate(ids)}
    sh = {k: textsim.shingles(text[k]) for k in ids}
    words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True).fit_transform(
        [word_part(tokenize(text[k])) for k in ids]
    )
    chars = TfidfVectorizer(analyzer=lambda s: list(textsim.shingles(s)), sublinear_tf=True).fit_transform(
        [text[k] for k in ids]
    )
    measures: dict[str, Callable[[str, str], float]] = {
        f"char-bigram {name}": (lambda a, b, f=f: f(sh[a], sh[b])) for name, f in textsim.MEASURES.items()
    }
    measures["tfidf-word cosine"] = lambda a, b: float(words[pos[a]].multiply(words[pos[b]]).sum())
    measures["tfidf-word, window IDF *"] = window_cosine(messages)
    measures["tfidf-char2 cosine"] = lambda a, b: float(chars[pos[a]].multiply(chars[pos[b]]).sum())
    # meaning: each message's vector as the product keeps it (e5, the mean of its first windows)
    import embedcache
    from hotline.nlp.embedding import mean_vectors

    in_pairs = list(dict.fromkeys(k for p in pairs for k in (p["id_a"], p["id_b"])))
    vec = dict(
        zip(
            in_pairs,
            mean_vectors(
                [f"{messages[k]['留言主题']}。{messages[k]['留言详情']}" for k in in_pairs],
                embedcache.vectors,
            ),
            strict=True,
        )
    )
    measures["e5 cosine"] = lambda a, b: float(vec[a] @ vec[b])
    window = measures["tfidf-word, window IDF *"]
    measures["hybrid: window IDF × meaning"] = lambda a, b: duplicates_mod.combined(
        window(a, b), float(vec[a] @ vec[b])
    )
    # the population of candidate pairs behind each sampling bin (overlap, within 30 days)
    population = bin_population(messages, sh)
    bins = [min(int(textsim.overlap(sh[p["id_a"]], sh[p["id_b"]]) * 10), 9) for p in pairs]
    weight = [population[b] / bins.count(b) for b in bins]
    print(f"\n1. duplicate pairs: {len(pairs)} labeled, {sum(labels)} duplicates")
    print(f"   candidate pairs per overlap bin (population): {dict(sorted(population.items()))}")
    print(
        "   measure                  F1     P      R      threshold | weighted P   R  (at the median threshold)"
    )
    rng = random.Random(1)
    for name, f in measures.items():
        scores = [f(p["id_a"], p["id_b"]) for p in pairs]
        runs = []
        for _ in range(50):
            idx = list(range(len(pairs)))
            rng.shuffle(idx)
            a, b = idx[: len(idx) // 2], idx[len(idx) // 2 :]
            t = max((f1_at(scores, labels, x / 100, a)[0], x / 100) for x in range(2, 96))[1]
            runs.append((*f1_at(scores, labels, t, b), t))
        t = st.median(r[3] for r in runs)
        tp = sum(w for s, y, w in zip(scores, labels, weight, strict=True) if s >= t and y)
        fp = sum(w for s, y, w in zip(scores, labels, weight, strict=True) if s >= t and not y)
        fn = sum(w for s, y, w in zip(scores, labels, weight, strict=True) if s < t and y)
        print(
            f"   {name:24} {st.mean(r[0] for r in runs):.3f}  {st.mean(r[1] for r in runs):.3f}  "
            f"{st.mean(r[2] for r in runs):.3f}  {t:.2f}      | {tp / (tp + fp):.3f}  {tp / (tp + fn):.3f}"
        )
        if name.startswith("hybrid"):
            product = scores
    s_ = get_settings()
    for label, t in (
        ("suggest", s_.duplicate_threshold),
        ("hold from auto-dispatch", s_.duplicate_hold_threshold),
    ):
        tp = sum(w for x, y, w in zip(product, labels, weight, strict=True) if x >= t and y)
        fp = sum(w for x, y, w in zip(product, labels, weight, strict=True) if x >= t and not y)
        fn = sum(w for x, y, w in zip(product, labels, weight, strict=True) if x < t and y)
        raw_p = f1_at(product, labels, t, list(range(len(pairs))))
        print(
            f"   * the product's measure at its {label} threshold {t}: sample P {raw_p[1]:.3f} R {raw_p[2]:.3f}; "
            f"weighted P {tp / (tp + fp):.3f} R {tp / (tp + fn):.3f}"
        )
    stored = [textsim.words(messages[k]["留言主题"], messages[k]["留言详情"]) for k in ids[:501]]
    t0 = time.perf_counter()
    for i in range(20):
        textsim.cosines(stored[i], stored[1:501])
    score_ms = (time.perf_counter() - t0) / 20 * 1000
    t0 = time.perf_counter()
    for k in ids[:200]:
        textsim.words(messages[k]["留言主题"], messages[k]["留言详情"])
    seg_ms = (time.perf_counter() - t0) / 200 * 1000
    print(
        f"   cost on intake: segmenting the new ticket {seg_ms:.1f} ms (stored, once a ticket); "
        f"scoring it against 500 candidates with stored words {score_ms:.1f} ms"
    )


def _times(messages: dict[str, dict[str, str]]) -> dict[str, object]:
    from datetime import datetime

    out: dict[str, object] = {}
    for k, r in messages.items():
        for f in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                out[k] = datetime.strptime(r["留言时间"].strip(), f)
                break
            except ValueError:
                pass
    return out


def window_cosine(messages: dict[str, dict[str, str]]) -> Callable[[str, str], float]:
    """The product's measure (textsim.cosines): the later message against every message of the 30 days
    before it, IDF fitted on that window (the product's window is also limited to one street)."""
    when = _times(messages)
    words = {k: textsim.words(r["留言主题"], r["留言详情"]) for k, r in messages.items()}

    def score(a: str, b: str) -> float:
        later, earlier = (a, b) if when[a] >= when[b] else (b, a)  # type: ignore[operator]
        window = [
            k
            for k in messages
            if k in when and k != later and 0 <= (when[later] - when[k]).total_seconds() <= 30 * 86400  # type: ignore[operator]
        ]
        sims = textsim.cosines(words[later], [words[k] for k in window])
        return sims[window.index(earlier)]

    return score


def bin_population(messages: dict[str, dict[str, str]], sh: dict[str, frozenset[str]]) -> dict[int, int]:
    from datetime import datetime

    def ts(s: str) -> datetime | None:
        for f in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(s.strip(), f)
            except ValueError:
                pass
        return None

    rows = sorted(
        ((ts(r["留言时间"]), k) for k, r in messages.items() if ts(r["留言时间"])), key=lambda x: x[0]
    )  # type: ignore[arg-type, return-value]
    counts: collections.Counter[int] = collections.Counter()
    for i, (ti, a) in enumerate(rows):
        j = i + 1
        while j < len(rows) and (rows[j][0] - ti).total_seconds() <= 30 * 86400:  # type: ignore[operator]
            s = textsim.overlap(sh[a], sh[rows[j][1]])
            if s >= 0.15:
                counts[min(int(s * 10), 9)] += 1
            j += 1
    return dict(counts)


def topics(messages: dict[str, dict[str, str]]) -> None:
    pairs = list(csv.DictReader((ROOT / "bench" / "data" / "duplicate_pairs.csv").open(encoding="utf-8")))
    ids = list(messages)
    pos = {k: i for i, k in enumerate(ids)}
    t0 = time.perf_counter()
    texts = _texts(
        [SimpleNamespace(title=messages[k]["留言主题"], content=messages[k]["留言详情"]) for k in ids]
    )
    prep = time.perf_counter() - t0
    print(f"\n2. topic mining on {len(ids)} hotspot messages (word segmentation {prep:.1f} s)")
    vectors = message_vectors(messages, ids)
    print("   linked by            similarity  pair-P  pair-R  topics  in-topics  biggest  seconds")
    for name, vecs in (("words", None), ("words × meaning", vectors)):
        for thr in (0.3, 0.35, 0.4):
            t0 = time.perf_counter()
            labels, _ = cluster(texts, similarity=thr, vectors=vecs)
            dt = time.perf_counter() - t0

            def same(a: str, b: str, labels: object = labels) -> bool:
                la, lb = labels[pos[a]], labels[pos[b]]  # type: ignore[index]
                return bool(la >= 0 and la == lb)

            tp = sum(1 for p in pairs if p["label"] == "1" and same(p["id_a"], p["id_b"]))
            fp = sum(1 for p in pairs if p["label"] == "0" and same(p["id_a"], p["id_b"]))
            fn = sum(1 for p in pairs if p["label"] == "1" and not same(p["id_a"], p["id_b"]))
            sizes = collections.Counter(int(x) for x in labels if x >= 0)
            print(
                f"   {name:18} {thr:<10}  {tp / (tp + fp):.3f}   {tp / (tp + fn):.3f}   {len(sizes):6}  "
                f"{sum(sizes.values()):9}  {max(sizes.values()):7}  {dt:.2f}"
            )


def message_vectors(messages: dict[str, dict[str, str]], ids: list[str]) -> np.ndarray:
    """Each message's vector as the product keeps a ticket's (e5, the mean of its windows; here the
    first two, from the disk cache: python bench/embedcache.py fills it)."""
    import embedcache
    from hotline.nlp.embedding import mean_vectors

    return mean_vectors(
        [f"{messages[k]['留言主题']}。{messages[k]['留言详情']}" for k in ids],
        lambda ws: embedcache.vectors(ws, progress=True),
        limit=2,
    )


def end_to_end(top: int) -> None:
    tmp = tempfile.mkdtemp(prefix="hotline-bench-hotspots-")
    os.environ["HOTLINE_DATABASE_URL"] = f"sqlite:///{tmp}/h.db"
    os.environ["HOTLINE_ANALYTICS_DIR"] = f"{tmp}/analytics"
    os.environ.setdefault("HOTLINE_ENVIRONMENT", "test")
    get_settings.cache_clear()
    import hotline.models  # noqa: F401
    from hotline import db as hotline_db
    from hotline import migrate
    from hotline.accounts.principal import SYSTEM
    from hotline.analytics import facts, hotspots, service
    from hotline.analytics.store import Store
    from hotline.bootstrap import bootstrap
    from hotline.bulk import service as bulk
    from hotline.db import session_scope

    hotline_db.reset_engine()
    migrate.upgrade(os.environ["HOTLINE_DATABASE_URL"])
    with session_scope() as s:
        bootstrap(s)
    t0 = time.perf_counter()
    mapping = bulk.load_mapping(
        (ROOT / "docs" / "import" / "messages_hotspot.yaml").read_text(encoding="utf-8")
    )
    with session_scope() as s:
        r = bulk.import_tickets(
            s, path=DATA / "messages_hotspot.csv", mapping=mapping, principal=SYSTEM, dry_run=False
        )
    print(
        f"\n3. end to end: {r.created} messages imported in {time.perf_counter() - t0:.1f} s ({len(r.errors)} refused)"
    )

    def keep_vectors() -> None:
        """The vectors a centre's tickets keep (dispatch.history.keep), here from the disk cache."""
        from hotline.dispatch import history
        from hotline.tickets.models import Ticket

        messages = {r["留言编号"]: r for r in read("messages_hotspot.csv")}
        with session_scope() as s:
            tickets = s.execute(select(Ticket.id, Ticket.external_id)).all()
            keyed = [(tid, ext) for tid, ext in tickets if ext in messages]
            vecs = message_vectors(messages, [ext for _, ext in keyed])
            for (tid, _), v in zip(keyed, vecs, strict=True):
                history.keep(s, ticket_id=tid, vector=v)
        print(f"   {len(keyed)} tickets given their sentence vectors")

    store = Store()
    flt = service.make_filter(start=date(2017, 1, 1), end=date(2021, 1, 1))
    for label, periods in (
        ("baseline: mined year by year, words alone", ("2017", "2018", "2019", "2020")),
        ("product: the whole span mined at once, words × meaning", ("2017..2020",)),
    ):
        if "meaning" in label:
            keep_vectors()
        for period in periods:
            start, end = service.period_range(period)
            with session_scope() as s:
                m = hotspots.mine(s, period=period, start=start, end=end)
            print(
                f"   {label}, {period}: {m.tickets} tickets → {m.topics} topics ({m.clustered} in one) in {m.seconds:.1f} s"
            )
        with session_scope() as s:
            rr = facts.refresh(s)
        print(f"   facts: {rr.tickets} tickets over {len(rr.months)} months in {rr.seconds:.1f} s")
        con = store.connect()
        t0 = time.perf_counter()
        rows = hotspots.top(con, flt, limit=top)
        print(
            f"   top {top} hotspots of 2017–2020, {label} (query {1000 * (time.perf_counter() - t0):.0f} ms); "
            "heat = ln(1+tickets) + ln(1+people) + 0.5·ln(1+supports) + growth"
        )
        with session_scope() as s:
            for i, h in enumerate(rows, 1):
                print(
                    f"   {i:2}. heat {h['heat']:.2f}  {h['tickets']} 件 / {h['people']} 人 / {h['supports']} 赞  "
                    f"{h['first_at']:%Y-%m-%d}–{h['last_at']:%Y-%m-%d}  「{h['title']}」 地点: {h['place'] or '-'}  "
                    f"关键词: {' '.join(h['keywords'][:5])}"
                )
                for t in hotspots.members(s, topic_id=h["topic_id"], limit=3)["tickets"]:
                    print(f"         · {t['title']}")


def labeled_topics() -> None:
    rows = read("messages_labeled.csv")
    objs = [SimpleNamespace(title="", content=r["text"]) for r in rows]
    t0 = time.perf_counter()
    texts = [word_part(tokenize(o.content)) for o in objs]
    labels, _ = cluster(texts, similarity=0.35)
    dt = time.perf_counter() - t0
    sizes = collections.Counter(int(x) for x in labels if x >= 0)
    print(
        f"\n4. labeled messages: {len(rows)} → {len(sizes)} topics ({sum(sizes.values())} in one) in {dt:.1f} s; biggest:"
    )
    for label, n in sizes.most_common(5):
        members = [rows[i]["text"].replace(" ", "")[:40] for i, x in enumerate(labels) if x == label][:3]
        cats = collections.Counter(rows[i]["一级分类"] for i, x in enumerate(labels) if x == label)
        print(f"   {n:3} messages, categories {dict(cats)}")
        for m in members:
            print(f"         · {m}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("parts", nargs="*", help="duplicates, topics, product, labeled (default: all)")
    args = ap.parse_args()
    messages = {r["留言编号"]: r for r in read("messages_hotspot.csv")}
    parts = set(args.parts) or {"duplicates", "topics", "product", "labeled"}
    if "duplicates" in parts:
        duplicates(messages)
    if "topics" in parts:
        topics(messages)
    if "product" in parts:
        end_to_end(args.top)
    if "labeled" in parts:
        labeled_topics()


if __name__ == "__main__":
    main()
