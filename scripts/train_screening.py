"""Write the packaged screening model (src/hotline/screening/data/): the vectors of 4,000 ordinary
windows of the public real messages (every fifth message: its windows, title and first sentence;
float16, no text), and the model trained on them and the described situations (situations.yaml).

    python scripts/train_screening.py      # after changing situations.yaml (a test checks it was run)

Embeddings come from bench/embedcache.py's disk cache (computed on first use)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from embedcache import training_ordinary, vectors  # noqa: E402
from hotline.screening import examples, model  # noqa: E402

DATA = ROOT / "src" / "hotline" / "screening" / "data"


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    texts = training_ordinary()
    buf = io.BytesIO()
    np.savez_compressed(buf, vectors=vectors(texts, progress=True).astype(np.float16))
    (DATA / "negatives.npz").write_bytes(buf.getvalue())
    examples.ordinary_vectors.cache_clear()
    trained = model.train_packaged()
    (DATA / "model.npz").write_bytes(trained.to_bytes())
    print(f"{len(texts)} ordinary vectors; model {trained.fingerprint}")
    for kind, m in trained.metrics["kinds"].items():
        print(f"  {kind:<15} {m}")


if __name__ == "__main__":
    main()
