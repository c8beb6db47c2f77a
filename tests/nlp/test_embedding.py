"""The shared sentence embedding: unit vectors, meaning over wording, windows of whole sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hotline.nlp import embedding
from hotline.nlp.text import normalize


def test_vectors_are_unit_length_and_meaning_beats_wording() -> None:
    v = embedding.encode(["小区门口的路灯坏了，晚上很黑", "路灯不亮了，晚上走路看不见", "公积金怎么提取", ""])
    assert v.shape == (4, embedding.DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-3)
    assert not v[3].any()  # an empty text is no vector, not a crash
    # the paraphrase shares few characters with the original but is nearer than an unrelated request
    assert v[0] @ v[1] > v[0] @ v[2] + 0.03


def test_the_same_text_is_the_same_vector_and_remembered() -> None:
    a = embedding.encode_one("有人掉进河里了")
    b = embedding.encode(["有人掉进河里了"])[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(embedding.encode_one("有人掉进河里了", query=False), a)  # passage ≠ query


def test_windows_keep_whole_sentences() -> None:
    text = "我家楼下的路灯坏了一周。" * 20 + "现在楼道里着火了！"
    wins = embedding.windows(text, size=60, limit=10)
    assert (
        all(len(w) <= 60 for w in wins[:-1]) and len(wins[-1]) < 60 + 60 // 3
    )  # a short tail joins the last
    assert all(w.endswith("。") or w.endswith("!") for w in wins)  # cut at sentence ends (NFKC: ！ → !)
    assert "".join(wins) == normalize(text)  # nothing dropped
    assert len(embedding.windows(text, size=60, limit=2)) == 2
    assert embedding.windows("一" * 130, size=50) == ["一" * 50, "一" * 50, "一" * 30]


def test_damaged_weights_are_refused_not_loaded(
    damaged_embedding: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C engine ends the process on a truncated weights file: it is tried in a child process first,
    and refused with a reason; this process lives on."""
    with pytest.raises(embedding.EmbeddingUnavailable, match="damaged"):
        embedding.encode(["路灯坏了"])

    def tried_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused file was tried a second time")

    monkeypatch.setattr(embedding.subprocess, "run", tried_again)
    with pytest.raises(embedding.EmbeddingUnavailable, match="damaged"):
        embedding.encode(["路灯坏了"])  # refused again at once: the file is not tried twice
    monkeypatch.setattr(embedding, "MODEL_FILE", str(tmp_path / "missing.bin"))
    with pytest.raises(embedding.EmbeddingUnavailable, match="cannot be read"):
        embedding.encode(["路灯坏了"])
    monkeypatch.undo()
    embedding.reset()
    assert embedding.encode(["路灯坏了"]).any()  # the packaged weights load again
