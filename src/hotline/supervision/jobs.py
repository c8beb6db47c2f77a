"""Supervision's timed work: the deadline watch (warnings, overdue marks, reminders, escalation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.jobs.registry import sweep
from hotline.supervision import watch


@sweep("deadlines", order=10)
def deadlines(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Act on every deadline due now."""
    return watch.sweep(session, now=now)
