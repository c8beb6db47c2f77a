"""Follow-up's timed work: tasks for tickets awaiting 回访, surveys sent when due, unanswered ones
turned into calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.followup import service
from hotline.jobs.registry import sweep


@sweep("follow_up", order=20)
def follow_up(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Make, send and chase what is due."""
    return service.sweep(session, now=now)
