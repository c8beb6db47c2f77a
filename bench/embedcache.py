"""A disk cache of sentence embeddings for the benchmarks (bench/results/embeddings.sqlite, keyed by
the model and the text), so re-running a benchmark over the 14,876 real messages does not re-embed
them (~40 minutes on 2 cores the first time).

    python bench/embedcache.py      # fill the cache with the windows of every real message
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from hotline.nlp import embedding  # noqa: E402

TRAINING_ORDINARY = 4000
PATH = ROOT / "bench" / "results" / "embeddings.sqlite"


def _db() -> sqlite3.Connection:
    PATH.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(PATH)
    con.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
    return con


def _key(text: str, query: bool = True) -> str:
    kind = "" if query else "passage\x00"  # query vectors keep the keys they were first stored under
    return hashlib.sha1((embedding.MODEL_NAME + "\x00" + kind + text).encode()).hexdigest()  # noqa: S324 (a cache key)


def vectors(
    texts: Sequence[str], *, batch: int = 64, progress: bool = False, query: bool = True
) -> np.ndarray:
    """Embeddings of texts (as e5 queries, or passages), from the cache where present (computed and
    stored otherwise)."""
    con = _db()
    out = np.zeros((len(texts), embedding.DIM), dtype=np.float32)
    missing: list[int] = []
    keys = [_key(t, query) for t in texts]
    for i, k in enumerate(keys):
        row = con.execute("SELECT v FROM vec WHERE key = ?", (k,)).fetchone()
        if row is None:
            missing.append(i)
        else:
            out[i] = np.frombuffer(row[0], dtype=np.float32)
    started = time.time()
    for n in range(0, len(missing), batch):
        idx = missing[n : n + batch]
        vecs = embedding.encode([texts[i] for i in idx], query=query)
        con.executemany(
            "INSERT OR REPLACE INTO vec VALUES (?, ?)",
            [(keys[i], v.tobytes()) for i, v in zip(idx, vecs, strict=False)],
        )
        con.commit()
        out[idx] = vecs
        if progress:
            done = n + len(idx)
            rate = done / (time.time() - started)
            print(f"  embedded {done}/{len(missing)} ({rate:.1f}/s)", file=sys.stderr, flush=True)
    con.close()
    return out


def real_messages() -> list[tuple[str, str]]:
    """(title, content) of every real message in ../shared/data (14,876)."""
    rows: list[tuple[str, str]] = []
    with (DATA / "messages_labeled.csv").open(encoding="utf-8-sig") as fh:
        rows += [("", r["text"]) for r in csv.DictReader(fh)]
    for name in ("messages_hotspot.csv", "messages_replies.csv", "messages_raw_sample.csv"):
        with (DATA / name).open(encoding="utf-8-sig") as fh:
            rows += [(r["留言主题"], r["留言详情"]) for r in csv.DictReader(fh)]
    return rows


def training_ordinary() -> list[str]:
    """The ordinary texts the packaged screening model learns from: of every fifth real message, its
    windows, its title alone and its first sentence alone (short texts as well as long ones)."""
    from hotline.nlp.embedding import windows
    from hotline.screening.text import screening_text, screening_windows

    out: list[str] = []
    for title, content in real_messages()[::5]:
        out += screening_windows(title, content)
        if title:
            out += windows(title)[:1]
        out += windows(screening_text("", content), size=40)[:1]
    out = list(dict.fromkeys(w for w in out if len(w) >= 4))
    # a fixed sample keeps the packaged vectors small (float16, ~3 MB)
    keep = np.random.default_rng(0).choice(len(out), size=min(len(out), TRAINING_ORDINARY), replace=False)
    return [out[i] for i in sorted(keep)]


if __name__ == "__main__":
    from hotline.screening.text import screening_windows

    rows = real_messages()
    # the training share first (every fifth message), then the rest
    wins = training_ordinary()
    wins = list(dict.fromkeys(wins + [w for t, c in rows for w in screening_windows(t, c)]))
    print(f"{len(wins)} windows", file=sys.stderr)
    vectors(wins, progress=True)
