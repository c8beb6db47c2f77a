"""Split article text into passages: by heading, then by paragraph, packed up to a size, never
cutting a sentence unless it alone is too long."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 320
_SENTENCE = re.compile(r"(?<=[。！？；!?;])|\n")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass
class Chunk:
    heading: str | None
    text: str


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
