"""A request's type (咨询, 求助, 投诉, 举报, 建议, 表扬) and whether it is urgent (紧急), read by meaning:
a reader (hotline.nlp.reader) over the shared sentence embedding, the request's characters and the
request-type and urgency cues of dispatch/lexicon.yaml. They set the deadline (SLA rules per type and
urgency) and the order of the queue; 特急 (an emergency) stays screening's reading.

The packaged reader (data/type_reader.npz) is trained on the written requests in
data/request_types.csv (`python scripts/train_readers.py`; a test checks it matches them). Without the
embedding, signals.request_type falls back to the cues alone."""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from hotline.nlp import embedding
from hotline.nlp import reader as nlp_reader
from hotline.nlp.cues import read_lexicon
from hotline.nlp.reader import HeadSpec, Lexicon, Reader
from hotline.tickets.enums import RequestType, Urgency

KIND = "request_type_reader"
SPECS = {
    "request_type": HeadSpec(labels=tuple(RequestType), target=0.95),
    # an urgent request read as ordinary waits days: it costs three errors
    "urgency": HeadSpec(
        labels=(Urgency.normal, Urgency.urgent), target=0.95, costly={(Urgency.urgent, Urgency.normal): 3.0}
    ),
}


def package_file(name: str) -> Any:
    return resources.files("hotline.dispatch").joinpath(name)


def lexicon_text(path: str | None = None) -> str:
    """The reader's cue groups, made from the request-type and urgency cues (dispatch/lexicon.yaml,
    or the centre's HOTLINE_DISPATCH_LEXICON)."""
    from hotline.config import get_settings

    raw = read_lexicon("dispatch/lexicon.yaml", path or get_settings().dispatch_lexicon)
    groups = {str(k): v for k, v in raw["request_types"].items()}
    groups["urgent"] = raw["urgency"].get("urgent", [])
    return yaml.safe_dump({"groups": groups}, allow_unicode=True, sort_keys=False)


def written_examples() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(package_file("data/request_types.csv").read_text("utf-8"))))


def text_of(title: str, content: str) -> str:
    return embedding.request_text(title, content)


def data_fingerprint(lexicon: str, examples: list[dict[str, str]]) -> str:
    rows = "\n".join(f"{r['title']}|{r['content']}|{r['request_type']}|{r['urgency']}" for r in examples)
    return nlp_reader.fingerprint(lexicon, rows)


@lru_cache
def packaged() -> Reader:
    return Reader.from_bytes(package_file("data/type_reader.npz").read_bytes())


def fit(
    examples: list[dict[str, str]], *, lexicon: str, fingerprint: str, vectors: np.ndarray | None = None
) -> Reader:
    texts = [text_of(e["title"], e["content"]) for e in examples]
    if vectors is None:
        vectors = embedding.mean_vectors(texts)
    labels = {
        "request_type": [e["request_type"] for e in examples],
        # an emergency is at least urgent (screening decides 特急)
        "urgency": [Urgency.urgent.value if e["urgency"] == "emergency" else e["urgency"] for e in examples],
    }
    return nlp_reader.train(
        KIND, texts, labels, SPECS, Lexicon.from_yaml(lexicon), vectors, fingerprint=fingerprint
    )


def fit_packaged() -> Reader:
    examples = written_examples()
    lex = lexicon_text(path="")
    return fit(examples, lexicon=lex, fingerprint=data_fingerprint(lex, examples))


def read(title: str, content: str, *, vector: np.ndarray | None = None) -> nlp_reader.Reading:
    """Read a request's type and urgency (`vector`: its request vector when the caller has it).
    Raises EmbeddingUnavailable when there is no vector to be had."""
    text = text_of(title, content)
    if vector is None:
        vector = embedding.text_vector(text)
    return packaged().read(text, vector)


def type_threshold() -> float:
    """The probability at or above which a type read is applied to a ticket nobody typed."""
    return packaged().heads["request_type"].threshold


MIN_CHARACTERS = 4  # a request with fewer letters or characters than this says too little to be read


def readable(title: str, content: str) -> bool:
    return len(re.findall(r"[\w\u4e00-\u9fff]", f"{title}{content}")) >= MIN_CHARACTERS
