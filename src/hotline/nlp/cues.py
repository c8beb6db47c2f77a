"""Word cues: a regular expression over normalised text, with an `unless` expression that cancels a
match found near it (a hazard reported for prevention, a past event, a what-if). Cue lists are data
(YAML lexicons a centre can read and replace); this module only matches them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

WINDOW = 12  # characters either side of a match in which an `unless` cue cancels it


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    weight: float = 1.0
    unless: re.Pattern[str] | None = None
    service: str | None = None


def parse_cue(raw: dict[str, Any]) -> Cue:
    return Cue(
        pattern=re.compile(raw["pattern"]),
        weight=float(raw.get("weight", 1)),
        unless=re.compile(raw["unless"]) if raw.get("unless") else None,
        service=str(raw["service"]) if raw.get("service") else None,
    )


def matches(cue: Cue, text: str) -> list[re.Match[str]]:
    """The matches of a cue in text that no `unless` cue nearby cancels."""
    found = []
    for m in cue.pattern.finditer(text):
        if cue.unless is not None:
            window = text[max(0, m.start() - WINDOW) : m.end() + WINDOW]
            if cue.unless.search(window):
                continue
        found.append(m)
    return found


def hits(cue: Cue, text: str) -> list[str]:
    """The matched words of a cue in text that no `unless` cue nearby cancels."""
    return [m.group(0) for m in matches(cue, text)]


def read_lexicon(packaged: str, override: str | None = None) -> dict[str, Any]:
    """A lexicon's YAML: the centre's own file when one is named, else the packaged one (a path in
    the hotline package, e.g. "dispatch/lexicon.yaml")."""
    source = Path(override) if override else Path(str(resources.files("hotline") / packaged))
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    return data
