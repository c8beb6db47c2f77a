"""What the screening classifier learns from: the described situations (packaged situations.yaml,
plus the centre's own file), ordinary requests that sound like a rare kind, and vectors of ordinary
windows taken from the public real messages (data/negatives.npz, float16: no text is shipped)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hotline.config import get_settings
from hotline.nlp import embedding
from hotline.nlp.text import normalize
from hotline.screening.classifier import KINDS, Example, Situation

ORDINARY = "none"


def package_file(name: str) -> Path:
    """A file shipped in the screening package (situations, guard, model data)."""
    return Path(str(resources.files("hotline") / "screening" / name))


def _read(path: Path) -> dict[str, list[dict[str, Any]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(raw) - set(KINDS) - {ORDINARY}
    if unknown:
        raise ValueError(f"{path}: unknown screening kinds {sorted(unknown)}")
    return raw


@lru_cache
def situations_and_examples(extra: str | None = None) -> tuple[tuple[Situation, ...], tuple[Example, ...]]:
    """The described situations and their example phrasings, packaged first, then the centre's."""
    files = [package_file("situations.yaml")]
    extra = extra if extra is not None else get_settings().screening_situations
    if extra:
        files.append(Path(extra))
    situations: list[Situation] = []
    examples: list[Example] = []
    for path in files:
        for kind, entries in _read(path).items():
            for entry in entries:
                labels = frozenset() if kind == ORDINARY else frozenset([kind, *entry.get("also", [])])
                index = None
                if kind != ORDINARY:
                    index = len(situations)
                    situations.append(
                        Situation(
                            kind=kind,
                            text=entry["situation"],
                            service=entry.get("service"),
                            referral=entry.get("referral"),
                            also=list(entry.get("also", [])),
                        )
                    )
                for text in [entry["situation"], *entry.get("examples", [])]:
                    examples.append(
                        Example(text=normalize(text), kinds=labels, situation=index, hard=kind == ORDINARY)
                    )
    return tuple(situations), tuple(examples)


@lru_cache
def ordinary_vectors() -> tuple[np.ndarray, str]:
    """Vectors of ordinary real-message windows (float32) and the file's hash."""
    path = package_file("data/negatives.npz")
    blob = path.read_bytes()
    with np.load(path, allow_pickle=False) as z:
        vectors = z["vectors"].astype(np.float32)
    return vectors, hashlib.sha256(blob).hexdigest()[:16]


def fingerprint(examples: list[Example], *extra: str) -> str:
    """What a model was trained on: the embedding model, every example and label, and extras."""
    h = hashlib.sha256(embedding.MODEL_NAME.encode())
    for e in examples:
        h.update(f"\x00{e.text}\x01{','.join(sorted(e.kinds))}\x01{e.weight}".encode())
    for x in extra:
        h.update(b"\x02" + x.encode())
    return h.hexdigest()[:16]
