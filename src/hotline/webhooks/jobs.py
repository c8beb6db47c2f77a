"""Webhooks' timed work: turn new ticket events into deliveries and deliver what is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hotline.jobs.registry import sweep
from hotline.webhooks import service


@sweep("webhooks", order=50, own_sessions=True)
def webhooks(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, int]:
    """Enqueue and deliver."""
    return service.sweep(session_factory, now=now)
