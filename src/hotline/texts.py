"""Texts that vary by centre, kept as data: what departments and citizens are sent (notifications), the
follow-up call script, acknowledgements, and the prompts of the large model.

The packaged defaults are `hotline/data/texts.yaml`; a centre's own file (HOTLINE_TEXTS) has the same
sections and replaces each entry it names, so a centre words its messages and prompts without
touching code."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hotline.config import get_settings
from hotline.errors import InvalidInput

log = logging.getLogger(__name__)

SECTIONS = ("notifications", "call_script", "acknowledgements", "prompts")


@lru_cache
def _load(override: str | None) -> dict[str, Any]:
    packaged = resources.files("hotline") / "data" / "texts.yaml"
    texts: dict[str, Any] = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    if override:
        own = yaml.safe_load(Path(override).read_text(encoding="utf-8")) or {}
        unknown = sorted(set(own) - set(SECTIONS))
        if unknown:
            raise InvalidInput("texts_unknown_section", path=override, unknown=", ".join(unknown))
        for section, value in own.items():
            if isinstance(value, dict) and isinstance(texts.get(section), dict):
                texts[section] = {**texts[section], **value}
            else:
                texts[section] = value
        log.info("texts of %s replace the packaged ones: %s", override, ", ".join(own))
    return texts


def texts() -> dict[str, Any]:
    """Every section, the centre's entries over the packaged ones."""
    return _load(get_settings().texts)


def notification(template: str) -> dict[str, str]:
    """A message template: its subject and body."""
    return dict(texts()["notifications"][template])


def call_script() -> list[str]:
    """The lines an operator reads when calling a citizen back."""
    return list(texts()["call_script"])


def acknowledgement(channel: str) -> str:
    """What the sender of a request on this channel is told when it is received."""
    return str(texts()["acknowledgements"][channel])


def prompt(purpose: str) -> str:
    """The large model's system prompt for a purpose (reply_critique, kb_answer, …)."""
    return str(texts()["prompts"][purpose])
