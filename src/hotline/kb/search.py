"""Hybrid retrieval over any set of documents (KB passages, past tickets): BM25 over words (bm25s)
fused with the meaning of the text (the shared e5 sentence embedding, hotline.nlp.embedding).

Text is analysed into content words (jieba, no stopwords) plus the character bigrams inside them,
so a query still meets a passage when the two were segmented differently (公积金提取 / 提取公积金).
Where the documents have vectors and the query one, the two rankings are fused by standardised scores
(`fuse`): each score is centred and scaled over the documents, then weighted. bench/qa.py measures
the fusion against BM25 alone, the embedding alone and reciprocal-rank fusion on the same data.
Vectors are a dense (n, 384) float32 matrix: a query is one matrix-vector product (~5 ms at 100,000)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from hotline.nlp import embedding
from hotline.nlp.embedding import EmbeddingUnavailable
from hotline.nlp.text import normalize, stopwords, words

log = logging.getLogger(__name__)

MEANING_WEIGHT = 0.6  # weight of the embedding in the fused score (bench/qa.py)


# words that say what kind of question it is, not what it is about: they never make a passage an answer
GENERIC = frozenset(
    [
        "申请",
        "办理",
        "如何",
        "怎样",
        "怎么办",
        "怎么",
        "多久",
        "多长时间",
        "哪里",
        "哪个",
        "什么",
        "需要",
        "可以",
        "能否",
        "是否",
        "材料",
        "流程",
        "时间",
        "部门",
        "问题",
        "情况",
        "一下",
        "帮忙",
        "请问",
        "现在",
        "还能",
        "能不能",
        "多少",
        "几个",
        "手续",
        "规定",
        "政策",
        "相关",
        "有关",
        "处理",
        "咨询",
        "反映",
        "投诉",
        "举报",
        "要求",
        "合理",
    ]
)


def analyze(text: str) -> list[str]:
    """Terms of a text for retrieval: content words and their character bigrams (marked with '~')."""
    stop = stopwords()
    terms = []
    for w in words(normalize(text)):
        if w in stop:
            continue
        terms.append(w)
        if len(w) > 2:
            terms.extend("~" + w[i : i + 2] for i in range(len(w) - 1))
    return terms


@dataclass
class Doc:
    key: Any  # what the caller needs to find the thing again (passage id, ticket id)
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    context: str = ""  # counts for coverage, not for ranking (the article title of every passage)


@dataclass
class Hit:
    doc: Doc
    score: float  # the fused score (BM25 alone where there is no meaning)
    coverage: float  # share of the query's known words (those the index has seen) found in the document
    matched: list[str] = field(default_factory=list)
    meaning: float | None = None  # cosine of the query's and the document's sentence vectors
    bm25: float = 0.0
    about: bool = True  # holds one of the words the search was asked to be about (if any)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.doc.key,
            "score": round(self.score, 4),
            "coverage": round(self.coverage, 3),
            "meaning": None if self.meaning is None else round(self.meaning, 3),
            "matched": self.matched,
            **self.doc.meta,
        }


def _standard(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - float(x.mean())) / sd if sd > 0 else np.zeros_like(x)


def fuse(bm25: np.ndarray, meaning: np.ndarray, *, weight: float = MEANING_WEIGHT) -> np.ndarray:
    """One score from BM25 and cosine: each standardised over the documents, then weighted."""
    return weight * _standard(np.asarray(meaning, dtype=np.float64)) + (1 - weight) * _standard(
        np.asarray(bm25, dtype=np.float64)
    )


def passage_text(title: str, heading: str | None, text: str) -> str:
    """What a KB passage's vector is made of: its article and heading give it its subject."""
    head = f"{heading}：" if heading and heading != title else ""
    return f"{title}。{head}{text}"


def passage_vectors(items: Sequence[tuple[str, str | None, str]]) -> list[bytes] | None:
    """float16 vectors (as stored) of (title, heading, text) passages; None without the embedding."""
    if not items:
        return []
    try:
        vecs = embedding.encode([passage_text(*it) for it in items], query=False)
    except EmbeddingUnavailable as exc:
        log.warning("passages stored without meaning: %s", exc)
        return None
    return [np.asarray(v, dtype=np.float16).tobytes() for v in vecs]


def query_vector(text: str) -> np.ndarray | None:
    """A question's or a request's vector (the mean of its first windows); None without the embedding."""
    try:
        return embedding.text_vector(text)
    except EmbeddingUnavailable:
        return None


def _credit(word: str, terms: set[str] | Counter[str]) -> float:
    """How much of a word a document holds: 1 if the word, else the share of its bigrams (so a
    longer query word like 租房子 still meets 租房 half-way)."""
    if word in terms:
        return 1.0
    if len(word) == 2:
        return 1.0 if "~" + word in terms else 0.0
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    return sum(("~" + p in terms) or (p in terms) for p in pairs) / len(pairs)


class SearchIndex:
    """An immutable BM25 index; build a new one when the documents change."""

    def __init__(
        self,
        docs: Sequence[Doc],
        *,
        bigrams_in_ranking: bool = False,
        vectors: np.ndarray | None = None,
        meaning_weight: float = MEANING_WEIGHT,
    ) -> None:
        """Ranking is BM25 over words (with their counts); the character bigrams only decide how much of
        a question a document covers, unless `bigrams_in_ranking` (measured worse in bench/qa.py).
        With `vectors` (one unit row per document) a query that brings its own vector is ranked by the
        fusion of BM25 and meaning."""
        self.docs = list(docs)
        self.bigrams_in_ranking = bigrams_in_ranking
        self.vectors = vectors if vectors is not None and len(vectors) == len(self.docs) else None
        # documents without a vector (a zero row) are ranked by their words and carry no meaning
        self._has_vector = (
            np.linalg.norm(self.vectors, axis=1) > 0 if self.vectors is not None else np.zeros(0, dtype=bool)
        )
        self.meaning_weight = meaning_weight
        tokens = [analyze(d.text) for d in self.docs]
        self._terms = [set(t) for t in tokens]
        self._covered = [
            terms | set(analyze(d.context)) if d.context else terms
            for terms, d in zip(self._terms, self.docs, strict=True)
        ]
        self._df: Counter[str] = Counter(t for terms in self._covered for t in terms)
        self._bm25: bm25s.BM25 | None = None
        if self.docs:
            self._bm25 = bm25s.BM25()
            self._bm25.index([self._ranked(t) or ["∅"] for t in tokens], show_progress=False)

    def __len__(self) -> int:
        return len(self.docs)

    def _ranked(self, tokens: list[str]) -> list[str]:
        return tokens if self.bigrams_in_ranking else [t for t in tokens if not t.startswith("~")]

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every document for a query (in document order)."""
        if self._bm25 is None:
            return np.zeros(0)
        terms = analyze(query)
        return (
            np.asarray(self._bm25.get_scores(self._ranked(terms) or terms))
            if terms
            else np.zeros(len(self.docs))
        )

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        keep: Callable[[Doc], bool] | None = None,
        vector: np.ndarray | None = None,
        about: Sequence[str] = (),
    ) -> list[Hit]:
        """The k best documents for a query (those `keep` accepts), best first. By BM25 alone, a
        document that shares no word is no hit; with the query's `vector` the fused score ranks every
        document."""
        if self._bm25 is None:
            return []
        terms = analyze(query)
        meaning = None
        if vector is not None and self.vectors is not None and self._has_vector.any():
            meaning = self.vectors @ np.asarray(vector, dtype=np.float32)
            if not self._has_vector.all():  # no vector: an average meaning, so the words decide
                meaning[~self._has_vector] = float(np.mean(meaning[self._has_vector]))
        if not terms and meaning is None:
            return []
        bm = (
            np.asarray(self._bm25.get_scores(self._ranked(terms) or terms))
            if terms
            else np.zeros(len(self.docs))
        )
        scores = bm if meaning is None else fuse(bm, meaning, weight=self.meaning_weight)
        # the query words the index knows; words it has never seen are no evidence either way
        words_ = [
            t for t in dict.fromkeys(terms) if not t.startswith("~") and len(t) >= 2 and t not in GENERIC
        ]
        known = [w for w in words_ if _credit(w, self._df) > 0]
        hits: list[Hit] = []
        for i in self._candidates(scores, k, filtered=keep is not None):
            if len(hits) >= k or (meaning is None and bm[i] <= 0):
                break
            doc = self.docs[int(i)]
            if keep is not None and not keep(doc):
                continue
            credits = {w: _credit(w, self._covered[int(i)]) for w in known}
            matched = [w for w, c in credits.items() if c >= 0.5]
            coverage = sum(credits.values()) / len(known) if known else 0.0
            about_ = not about or any(_credit(w, self._covered[int(i)]) >= 0.5 for w in about)
            hits.append(
                Hit(
                    doc=doc,
                    score=float(scores[i]),
                    coverage=coverage,
                    matched=matched,
                    meaning=None if meaning is None or not self._has_vector[i] else float(meaning[i]),
                    bm25=float(bm[i]),
                    about=about_,
                )
            )
        return hits

    def _candidates(self, scores: np.ndarray, k: int, *, filtered: bool) -> Iterator[int]:
        """Document indexes best first: the top 4k, then (a filter refusing many) the rest in order."""
        first = self._top(scores, k if not filtered else 4 * k)
        yield from (int(i) for i in first)
        if filtered and len(first) < len(scores):
            seen = set(int(i) for i in first)
            yield from (int(i) for i in np.argsort(-scores) if int(i) not in seen)

    def _top(self, scores: np.ndarray, n: int) -> np.ndarray:
        """Indexes of the n best scores, best first (partial sort: fast on large indexes)."""
        if n >= len(scores):
            return np.argsort(-scores)
        part = np.argpartition(-scores, n)[:n]
        return part[np.argsort(-scores[part])]
