"""Notification's timed work: deliver the messages that are due (each claimed in a short transaction
of its own before it is sent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hotline.jobs.registry import sweep
from hotline.notify import service


@sweep("notifications", order=40, own_sessions=True)
def notifications(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, int]:
    """Send what is due."""
    return service.deliver_due(session_factory, now=now)
