"""Dispatch's timed work: keep a sentence vector for every ticket that has none (the history, similar
cases and duplicates search by them), and retrain the department model when the settled history has
grown (dispatch.history.retrain_if_grown; a count when nothing is due)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.dispatch import history
from hotline.jobs.registry import sweep


@sweep("ticket_vectors", order=35)
def ticket_vectors(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Embed tickets that have no vector yet (a batch per run)."""
    return {"embedded": history.embed_missing(session)}


@sweep("department_model", order=40)
def department_model(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Train the department model on the settled history when it has grown enough."""
    result = history.retrain_if_grown(session)
    return {"trained": result.version.version if result else None}
