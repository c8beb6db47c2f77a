"""Text similarity of two requests, without a model: character bigrams of the normalised text.

Character bigrams need no word segmentation (fast enough to compare a new ticket with hundreds of
recent ones on intake) and survive the small rewordings of a repeated complaint. bench/hotspots.py
compares the measures on labeled pairs; `overlap` is the default for duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable

from hotline.nlp.text import normalize

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
