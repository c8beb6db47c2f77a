"""Follow-up's timed work: tasks for tickets awaiting 回访, surveys sent when due, unanswered ones
turned into calls; the centre's follow-up reader retrained once enough readings were confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.followup import reading, service
from hotline.jobs.registry import sweep


@sweep("follow_up", order=20)
def follow_up(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Make, send and chase what is due."""
    return service.sweep(session, now=now)


@sweep("follow_up_reader", order=45)
def follow_up_reader(session: Session, *, now: datetime | None = None) -> dict[str, int | None]:
    """Train the centre's reader on its confirmed readings when they have grown (reading.learn_if_grown)."""
    result = reading.learn_if_grown(session, now=now)
    return {"trained": result["version"] if result else None}
