"""Train the packaged readers from the written examples they ship with:

    python scripts/train_readers.py

- src/hotline/followup/data/reader.npz: follow-up answers (followup/data/answers.csv, followup/lexicon.yaml);
- src/hotline/dispatch/data/type_reader.npz: request type and urgency (dispatch/data/request_types.csv,
  dispatch/lexicon.yaml).

Prints each head's held-out (5-fold) figures on the examples. Deterministic; a test checks the packaged
files match the examples and lexicons they were trained on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    from hotline.dispatch import type_reading
    from hotline.followup import reading

    for module, target in (
        (reading, ROOT / "src/hotline/followup/data/reader.npz"),
        (type_reading, ROOT / "src/hotline/dispatch/data/type_reader.npz"),
    ):
        model = module.fit_packaged()
        target.write_bytes(model.to_bytes())
        print(f"{target.relative_to(ROOT)}: {json.dumps(model.metrics, ensure_ascii=False, indent=1)}")


if __name__ == "__main__":
    main()
