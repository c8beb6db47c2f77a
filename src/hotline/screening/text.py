"""The text screening reads: title and content as one normalised text, cut into windows of whole
sentences for the sentence embedding (what is said in one sentence is not averaged away by the rest)."""

from __future__ import annotations

from hotline.nlp import embedding
from hotline.nlp.text import normalize


def screening_text(title: str, content: str) -> str:
    title, content = normalize(title or ""), normalize(content or "")
    return f"{title}。{content}" if title else content


def screening_windows(title: str, content: str) -> list[str]:
    return embedding.windows(screening_text(title, content))
