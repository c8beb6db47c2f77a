"""Knowledge base retrieval and question answering on real data and on the demo knowledge base.

    python bench/qa.py

1. Reply retrieval (../shared/data/messages_replies.csv): every department reply is a document; each
   citizen message (title + body) is a query; where does its own reply rank? recall@1, recall@5, MRR,
   for BM25 over words, BM25 over words + character bigrams (what the product uses), TF-IDF cosine
   over character n-grams, and the reciprocal-rank fusion of the product's BM25 and TF-IDF.
2. KB questions: the demo KB (src/hotline/demo/kb, 12 articles written for the fictional city) and
   three sets of questions written for it (bench/data): kb_questions.csv and kb_questions_heldout.csv
   (the development sets: the answerability model is fitted on them, scripts/fit_answerability.py;
   the second was held out of an earlier ranking's development) and kb_questions_test.csv, written
   before the hybrid ranking and never used to fit anything. The same check a centre runs
   (`hotline kb check`): retrieval hit@1, answered from the right article, wrong answers, questions
   the KB cannot answer refused — beside the words-only rule (BM25, coverage ≥ 0.5).
3. Scale: 100,000 passages (windows of real message and reply text with their own vectors, repeated):
   embedding throughput, index build time and memory, query latency p50/p95 by words and hybrid.
"""

from __future__ import annotations

import csv
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import bm25s  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from hotline.kb.search import Doc, SearchIndex, analyze  # noqa: E402
from hotline.nlp.text import normalize, stopwords, words  # noqa: E402


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)), flush=True)


def ranks_from_scores(scores: np.ndarray, truth: int) -> int:
    return int((scores > scores[truth]).sum()) + 1


def report(name: str, ranks: list[int]) -> None:
    r = np.asarray(ranks)
    print(
        f"{name:<34} recall@1 {np.mean(r <= 1):.3f}  recall@5 {np.mean(r <= 5):.3f}  "
        f"recall@20 {np.mean(r <= 20):.3f}  MRR {np.mean(1.0 / r):.3f}"
    )


WINDOWS = 2  # first windows of a text that make its vector


def bench_replies() -> None:
    rows = [r for r in read_csv(DATA / "messages_replies.csv") if r["答复意见"].strip()]
    queries = [f"{r['留言主题']} {r['留言详情']}" for r in rows]
    replies = [r["答复意见"] for r in rows]
    print(f"{len(rows)} messages with their replies; each message ranks all {len(rows)} replies")

    def bm25_ranks(analyzer: object) -> tuple[list[int], list[np.ndarray]]:
        index = bm25s.BM25()
        index.index([analyzer(t) or ["∅"] for t in replies], show_progress=False)  # type: ignore[operator]
        ranks, all_scores = [], []
        for i, q in enumerate(queries):
            scores = np.asarray(index.get_scores(analyzer(q)))  # type: ignore[operator]
            ranks.append(ranks_from_scores(scores, i))
            all_scores.append(scores)
        return ranks, all_scores

    stop = stopwords()
    t = time.perf_counter()
    words_only, _ = bm25_ranks(lambda s: [w for w in words(normalize(s)) if w not in stop])
    report("BM25, words", words_only)
    with_bigrams, _ = bm25_ranks(analyze)
    report("BM25, words + bigrams", with_bigrams)
    # the product's own ranking: SearchIndex as the ticket index uses it (BM25 over words; the bigrams
    # only measure coverage)
    index = SearchIndex([Doc(key=i, text=t) for i, t in enumerate(replies)])
    product_scores = [index.scores(q) for q in queries]
    product = [ranks_from_scores(product_scores[i], i) for i in range(len(queries))]
    report("product SearchIndex", product)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2)
    r_m = vec.fit_transform([normalize(t) for t in replies])
    q_m = vec.transform([normalize(t) for t in queries])
    sims = (q_m @ r_m.T).toarray()
    tfidf = [ranks_from_scores(sims[i], i) for i in range(len(queries))]
    report("TF-IDF cosine, char 2-3-grams", tfidf)
    fused = []
    for i in range(len(queries)):
        rank_a = np.argsort(np.argsort(-product_scores[i]))
        rank_b = np.argsort(np.argsort(-sims[i]))
        rrf = 1.0 / (60 + rank_a) + 1.0 / (60 + rank_b)
        fused.append(ranks_from_scores(rrf, i))
    report("fusion (RRF) of product and TF-IDF", fused)
    print(f"({time.perf_counter() - t:.0f} s)")
    # meaning: e5 vectors of each message (query) and each reply (passage), the mean of their first
    # windows, as the product keeps a ticket's vector; then fused with BM25
    import embedcache
    from hotline.kb.search import fuse
    from hotline.nlp.embedding import mean_vectors

    t = time.perf_counter()
    q_vec = mean_vectors(queries, lambda ws: embedcache.vectors(ws, progress=True), limit=WINDOWS)
    r_vec = mean_vectors(
        replies, lambda ws: embedcache.vectors(ws, progress=True, query=False), limit=WINDOWS
    )
    print(f"(embeddings: {time.perf_counter() - t:.0f} s, cached in {embedcache.PATH.name})")
    cos = q_vec @ r_vec.T
    report("e5 cosine", [ranks_from_scores(cos[i], i) for i in range(len(queries))])
    for name, bm in (("product BM25", product_scores), ("TF-IDF", list(sims))):
        for w in (0.5, 0.7):
            ranks = [ranks_from_scores(fuse(bm[i], cos[i], weight=w), i) for i in range(len(queries))]
            report(f"hybrid: {name} + e5, weight {w}", ranks)
    # hubness: some replies are close to every message (the formula of a reply); each reply's cosine
    # standardised by its mean and spread over the messages of the *other* half (two folds)
    half = np.arange(len(queries)) % 2
    centred = np.zeros_like(cos)
    for fold in (0, 1):
        ref = cos[half != fold]
        centred[half == fold] = (cos[half == fold] - ref.mean(0)) / ref.std(0)
    for w in (0.6, 0.7):
        ranks = [
            ranks_from_scores(fuse(product_scores[i], centred[i], weight=w), i) for i in range(len(queries))
        ]
        report(f"hybrid, replies centred, weight {w}", ranks)


def bench_kb_questions() -> None:
    from sqlalchemy.orm import Session

    from hotline import migrate
    from hotline.accounts.principal import SYSTEM
    from hotline.bootstrap import bootstrap
    from hotline.db import make_engine
    from hotline.kb import qa, service

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/kb.db")
        with engine.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(engine) as session:
            bootstrap(session)
            for path in sorted((ROOT / "src" / "hotline" / "demo" / "kb").glob("*.md")):
                service.import_file(session, path=path, principal=SYSTEM, publish=True)
            session.commit()
            passages = len(qa.kb_index(session))
            print(f"demo KB: 12 articles, {passages} passages")
            for name in ("kb_questions.csv", "kb_questions_heldout.csv", "kb_questions_test.csv"):
                role = "test" if name.endswith("test.csv") else "development"
                rows = read_csv(ROOT / "bench" / "data" / name)
                questions = [(r["question"], r["article"] or None) for r in rows]
                # the same check a centre runs on its own questions (hotline kb check)
                t = time.perf_counter()
                result = qa.check(session, questions)
                per_question = (time.perf_counter() - t) * 1000 / len(rows)
                # the rule before meaning, on the same questions: the words decide (coverage ≥ 0.5)
                words_right = words_refused = words_hit1 = 0
                for q, expected in questions:
                    retrieved = qa.search_kb(session, q, k=8, vector=np.zeros(384))
                    words_hit1 += (
                        bool(expected) and bool(retrieved) and retrieved[0].doc.meta["title"] == expected
                    )
                    hits = sorted(
                        (h for h in retrieved if qa.answers(h)),
                        key=lambda h: (-h.coverage, -h.score),
                    )
                    got = hits[0].doc.meta["title"] if hits else None
                    words_right += bool(expected) and got == expected
                    words_refused += not expected and got is None
                n, m = result.answerable, result.unanswerable
                print(
                    f"{name} ({role}): {n} answerable — retrieval hit@1 {result.retrieval_hit1:.2f} (words only: "
                    f"{words_hit1 / n:.2f}), answered from the right "
                    f"article {result.answered_right:.2f} (words only: {words_right / n:.2f}); wrong answers "
                    f"{result.answered_wrong}; {m} unanswerable — refused {result.refused_right}/{m} "
                    f"(words only: {words_refused}/{m}); {per_question:.1f} ms a question"
                )
                for cq in result.questions:
                    if not cq.right:
                        print(
                            f"     ✗ {cq.question} → {cq.answered_from or 'refused'} (expected {cq.expected or 'refusal'}, p={cq.answerability})"
                        )
        engine.dispose()


_SALUTATION = re.compile(r"^.{0,60}?(您好|你好)[!！,，]?(.{0,50}(如下|收悉)[:：。，,]?)?")
_COURTESY = re.compile(
    r"[^。！？!?]*(感谢您|感谢你|谢谢您|支持、理解与监督|理解和支持|此复|特此回复|如有疑问|如需继续咨询)[^。！？!?]*[。！？!?]?"
)
_TRAILING_DATE = re.compile(r"\s*\d{4}年\d{1,2}月\d{1,2}日\s*$")


def reply_body(text: str) -> str:
    """A department's reply without its formula: the salutation ("网友…您好！您的留言已收悉。现将有关情况
    回复如下："), thanks and closing lines, the date at the end; what it says about the case. Nothing
    left (a reply that is all formula) gives the text as it was."""
    body = _TRAILING_DATE.sub("", _COURTESY.sub("", _SALUTATION.sub("", normalize(text)))).strip()
    return body or normalize(text)


def bench_scale(target: int = 100_000) -> None:
    """Hybrid search at 100,000 passages: windows of real message and reply text with their real e5
    vectors (from the disk cache filled by part 1), repeated to fill; the query embedded as the
    product does (its first windows, mean)."""
    import embedcache
    from hotline.nlp import embedding

    rows = [r for r in read_csv(DATA / "messages_replies.csv") if r["答复意见"].strip()]
    texts = [w for r in rows for w in embedding.windows(f"{r['留言主题']} {r['留言详情']}", limit=WINDOWS)]
    vecs = [embedcache.vectors(texts)]
    replies = [w for r in rows for w in embedding.windows(reply_body(r["答复意见"]), limit=WINDOWS)]
    vecs.append(embedcache.vectors(replies, query=False))
    texts += replies
    pool = np.concatenate(vecs)
    base = len(texts)
    reps = -(-target // base)
    passages = (texts * reps)[:target]
    matrix = np.concatenate([pool] * reps)[:target]
    print(
        f"{target} passages ({base} distinct windows of real text with their own vectors, repeated to fill)"
    )
    sample = texts[:256]
    t = time.perf_counter()
    embedding.reset()
    embedding.encode(sample, query=False)
    rate = len(sample) / (time.perf_counter() - t)
    print(
        f"embedding throughput: {rate:.0f} passages/s (~{statistics.mean(len(x) for x in sample):.0f} characters each), "
        f"so 100,000 passages take ~{target / rate / 60:.0f} min once, as they are written"
    )
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    index = SearchIndex([Doc(key=i, text=p) for i, p in enumerate(passages)], vectors=matrix)
    build = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queries = [r["留言主题"] for r in read_csv(DATA / "messages_hotspot.csv")[:300]]
    words_only, hybrid, embed = [], [], []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=5)
        words_only.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        v = embedding.text_vector(q)
        embed.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.search(q, k=5, vector=v)
        hybrid.append((time.perf_counter() - t) * 1000)
    print(
        f"index built in {build:.0f} s (BM25 + {matrix.nbytes / 2**20:.0f} MiB of vectors), peak memory grew "
        f"{(rss1 - rss0) / 1024:.0f} MiB; over {len(queries)} queries, top 5:"
    )
    for name, xs in (("BM25 alone", words_only), ("embedding the query", embed), ("hybrid search", hybrid)):
        print(f"   {name:22} p50 {statistics.median(xs):.1f} ms, p95 {np.percentile(xs, 95):.1f} ms")
    total = [a + b for a, b in zip(embed, hybrid, strict=True)]
    print(
        f"   {'a hybrid query in all':22} p50 {statistics.median(total):.1f} ms, p95 {np.percentile(total, 95):.1f} ms"
    )


def main() -> None:
    if not DATA.exists():
        sys.exit(f"data not found: {DATA}")
    print(f"QA benchmark on {DATA} ({os.cpu_count()} CPUs)")
    only = set(sys.argv[1:])  # e.g. `python bench/qa.py kb` runs one part
    if not only or "replies" in only:
        section("1. reply retrieval")
        bench_replies()
    if not only or "kb" in only:
        section("2. knowledge base questions")
        bench_kb_questions()
    if not only or "scale" in only:
        section("3. search at scale")
        bench_scale()


if __name__ == "__main__":
    main()
