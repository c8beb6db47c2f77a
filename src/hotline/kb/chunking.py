"""Split article text into passages: by heading, then by paragraph, packed up to a size, never
cutting a sentence unless it alone is too long. A quoted paragraph (Markdown "> …") or a disclaimer
(免责声明：…, 以上内容仅供参考…) becomes a note of its own: kept with the article, never an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 320
_SENTENCE = re.compile(r"(?<=[。！？；!?;])|\n")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
# a disclaimer, not a paragraph that merely opens with 说明： or 注： (those are often the content itself)
_NOTE = re.compile(
    r"^\s*(免责声明|特别声明|声明)\s*[:：]|^\s*免责声明|^\s*(以上|本文|本页)[^。\n]{0,20}仅供参考"
)


@dataclass
class Chunk:
    heading: str | None
    text: str
    note: bool = False


def is_note(paragraph: str) -> bool:
    """A quoted paragraph, or a disclaimer."""
    return paragraph.lstrip().startswith(">") or bool(_NOTE.match(paragraph))


def sections(markdown: str) -> list[tuple[str | None, str]]:
    """(heading, body) pairs of a Markdown-ish text; text before the first heading has none."""
    out: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in markdown.splitlines():
        m = _HEADING.match(line)
        if m:
            out.append((m.group(2).strip(), []))
        else:
            out[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in out if "\n".join(lines).strip() or h]


def chunk(text: str, *, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Passages of an article body (Markdown headings respected)."""
    chunks: list[Chunk] = []
    for heading, body in sections(text):
        if not body:
            continue
        current = ""
        for paragraph in re.split(r"\n\s*\n", body):
            if is_note(paragraph):
                if current:
                    chunks.append(Chunk(heading, current))
                    current = ""
                note = _QUOTE.sub("", paragraph).strip()
                if note:
                    chunks.append(Chunk(heading, note[: max_chars * 2], note=True))
                continue
            for sentence in (s.strip() for s in _SENTENCE.split(paragraph)):
                if not sentence:
                    continue
                while len(sentence) > max_chars:
                    if current:
                        chunks.append(Chunk(heading, current))
                        current = ""
                    chunks.append(Chunk(heading, sentence[:max_chars]))
                    sentence = sentence[max_chars:]
                if len(current) + len(sentence) > max_chars and current:
                    chunks.append(Chunk(heading, current))
                    current = ""
                current += sentence
            if current and len(current) > max_chars * 0.6:
                chunks.append(Chunk(heading, current))
                current = ""
        if current:
            chunks.append(Chunk(heading, current))
    return chunks
