"""Response bodies of the reply review."""

from __future__ import annotations

from pydantic import BaseModel


class Critique(BaseModel):
    """The large model's critique of a reply, when one was asked for and could be had."""

    text: str | None
    generated: bool
    model: str | None = None
    unavailable: str | None = None  # why not, when no model answered


class ReplyReview(BaseModel):
    """How good a department's reply is: scores per aspect, overall, verdict, flags, what is missing."""

    ticket_id: int
    number: str
    title: str
    reply: str | None
    department_id: int
    scores: dict[str, float]
    overall: float
    verdict: str  # good | fair | poor
    flags: list[str]
    notes: list[str]
    critique: Critique | None = None
