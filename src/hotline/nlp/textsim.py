"""Text similarity of requests.

Duplicates use `cosines`: TF-IDF over words, with the IDF fitted on the candidate set itself (the
recent tickets of the same place), so the words every local request shares — the street's name, the
form of a complaint — count for little. bench/hotspots.py measured it against character-bigram
overlap/Jaccard/Dice (no segmentation, cheaper) and TF-IDF over character bigrams, on labeled pairs:
it gave the best precision and recall. The bigram measures stay here for that comparison."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from hotline.nlp.text import normalize, tokenize, word_part

_NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)
# bigrams of courtesy and of the form of a request say nothing about which problem it is
_GENERIC = frozenset(
    [
        "您好",
        "你好",
        "请问",
        "谢谢",
        "感谢",
        "希望",
        "反映",
        "投诉",
        "咨询",
        "举报",
        "建议",
        "市民",
        "本人",
        "我们",
        "我是",
        "问题",
        "情况",
        "相关",
        "部门",
        "领导",
        "政府",
        "解决",
        "处理",
        "能否",
        "是否",
        "什么",
        "怎么",
        "为什么",
        "一下",
        "一个",
        "没有",
        "已经",
        "现在",
        "还是",
        "可以",
        "目前",
        "请求",
        "要求",
        "尽快",
        "关注",
        "帮助",
        "市长",
        "书记",
        "热线",
        "12",
        "23",
        "34",
        "45",
    ]
)


def shingles(text: str) -> frozenset[str]:
    """The character bigrams of a text (normalised, punctuation and spaces removed)."""
    s = _NOT_WORD.sub("", normalize(text))
    return frozenset(s[i : i + 2] for i in range(len(s) - 1)) - _GENERIC


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared bigrams over the shorter text's: a short repeat of a long complaint still scores high.
    Texts of fewer than 6 bigrams score by Jaccard (a few shared words prove nothing)."""
    if not a or not b:
        return 0.0
    small = min(len(a), len(b))
    if small < 6:
        return jaccard(a, b)
    return len(a & b) / small


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


MEASURES: dict[str, Callable[[frozenset[str], frozenset[str]], float]] = {
    "overlap": overlap,
    "jaccard": jaccard,
    "dice": dice,
}


def words(title: str, content: str) -> str:
    """A request's content words, space-separated (segmented once and stored: TicketWords)."""
    return word_part(tokenize(f"{title} {content}"))


def cosines(query: str, others: list[str]) -> list[float]:
    """Cosine similarity of one text's words to each of the others', TF-IDF weighted over them all."""
    if not others:
        return []
    vec = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
    try:
        x = vec.fit_transform([query, *others])
    except ValueError:  # no words at all
        return [0.0] * len(others)
    return [float(v) for v in (x[1:] @ x[0].T).toarray().ravel()]


# meaning below the floor: another problem; from the floor to FULL the words' similarity is let through
# in proportion (unrelated requests meet at 0.88–0.90, the same problem retold at 0.93 and above).
# Shared by duplicates (workflow.duplicates) and topic mining (analytics.hotspots); bench/hotspots.py
MEANING_FLOOR, MEANING_FULL = 0.89, 0.95


def meaning_gate(meaning: np.ndarray | float) -> np.ndarray | float:
    """How much of two requests' word similarity their meaning (the cosine of their sentence vectors)
    lets through: 0 below MEANING_FLOOR, 1 from MEANING_FULL."""
    return np.clip((np.asarray(meaning) - MEANING_FLOOR) / (MEANING_FULL - MEANING_FLOOR), 0.0, 1.0)
