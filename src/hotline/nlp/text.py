"""Chinese text for the models: one normalisation and one tokenizer for every source.

Training data may come pre-segmented (words separated by spaces, as in the competition files) or raw
as citizens wrote it; both are normalised to the same unsegmented form and then cut by the same jieba
tokenizer, so a model never sees two tokenizations of the same text.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from importlib import resources
from pathlib import Path

import jieba

from hotline.config import get_settings

log = logging.getLogger(__name__)

# whitespace that touches a non-ASCII character is segmentation, not content
_SEGMENT_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_SPACES = re.compile(r"\s+")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_stopwords: frozenset[str] | None = None


def normalize(text: str) -> str:
    """Return text in NFKC (full-width to half-width), lower case, without segmentation spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SEGMENT_SPACE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def user_dictionaries() -> list[Path]:
    """The packaged hotline dictionary, then the centre's own (HOTLINE_JIEBA_USER_DICT), if any."""
    paths = [Path(str(resources.files("hotline") / "data" / "userdict.txt"))]
    extra = get_settings().jieba_user_dict
    if extra:
        paths.append(Path(extra))
    return paths


def tokenizer() -> jieba.Tokenizer:
    """Return the process-wide jieba tokenizer with the user dictionaries loaded (once)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            for path in user_dictionaries():
                if path.exists():
                    tok.load_userdict(str(path))
                else:
                    log.warning("jieba user dictionary %s not found; skipped", path)
            _tokenizer = tok
        return _tokenizer


def stopwords() -> frozenset[str]:
    """Function words the model ignores (packaged list; the public training data had them removed)."""
    global _stopwords
    if _stopwords is None:
        path = Path(str(resources.files("hotline") / "data" / "stopwords.txt"))
        _stopwords = frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())
    return _stopwords


def words(text: str) -> list[str]:
    """Return the words of (normalised) text, without whitespace and punctuation-only tokens."""
    return [w for w in tokenizer().lcut(text, HMM=True) if w.strip() and not _PUNCT_ONLY.match(w)]


def tokenize(text: str) -> str:
    """Return the text prepared for the model as "words<TAB>characters": the content words (no
    punctuation, no stopwords) and the same words run together, for character n-grams. Raw text and
    pre-segmented text without stopwords end up alike."""
    stop = stopwords()
    kept = [w for w in words(normalize(text)) if w not in stop]
    return " ".join(kept) + "\t" + "".join(kept)


def word_part(prepared: str) -> str:
    return prepared.split("\t", 1)[0]


def char_part(prepared: str) -> str:
    return prepared.split("\t", 1)[1]
