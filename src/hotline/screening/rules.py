"""What the words of a request say about screening: abusive or threatening language, private-domain
and out-of-remit matters (with the referral to give), emergencies. Cues are data (lexicon.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hotline.config import get_settings
from hotline.dispatch import signals
from hotline.dispatch.signals import Cue, hits, parse_cue
from hotline.nlp.text import normalize


@dataclass(frozen=True)
class Rule:
    cue: Cue
    reason: str
    referral: str | None


@dataclass
class Finding:
    kind: str
    reason: str
    cues: list[str]
    referral: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


REASONS = {"abusive": "辱骂性语言", "threat": "威胁性语言"}


@lru_cache
def load(path: str | None = None) -> dict[str, list[Rule]]:
    source = Path(
        path
        or get_settings().screening_lexicon
        or str(resources.files("hotline") / "screening" / "lexicon.yaml")
    )
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    return {
        kind: [
            Rule(
                cue=parse_cue(r),
                reason=r.get("reason") or REASONS.get(kind, kind),
                referral=r.get("referral"),
            )
            for r in rules
        ]
        for kind, rules in raw.items()
    }


def screen_text(title: str, content: str) -> list[Finding]:
    """Every screening finding in a request's text (one per kind: the first rule that matches)."""
    text = normalize(title) + "。" + normalize(content)
    out: list[Finding] = []
    for kind, rules in load().items():
        for rule in rules:
            found = hits(rule.cue, text)
            if found:
                out.append(
                    Finding(
                        kind=kind,
                        reason=rule.reason,
                        cues=list(dict.fromkeys(found))[:5],
                        referral=rule.referral,
                    )
                )
                break
    urgency = signals.urgency(title, content)
    if urgency.value == "emergency":
        out.append(
            Finding(
                kind="emergency",
                reason=f"疑似紧急警情，应转 {urgency.service}",
                cues=urgency.cues,
                referral=f"请立即转接 {urgency.service}",
                details={"service": urgency.service},
            )
        )
    return out
