"""Intake's background work: the queue task that screens and routes a new ticket (PostgreSQL), and
the sweep that does it where there is no queue (SQLite) or a job failed every retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.db import session_factory
from hotline.intake import flows
from hotline.intake.flows import PROCESS_TICKET
from hotline.jobs.queue import QUEUE, app
from hotline.jobs.registry import sweep


@app.task(name=PROCESS_TICKET, queue=QUEUE, retry=5)
def process_ticket(ticket_id: int) -> str:
    """Screen a newly registered ticket and suggest (or make) its dispatch, in one transaction: a
    worker killed mid-job leaves nothing half done and the job, run again, does it once."""
    with session_factory()() as session:
        outcome = flows.process(session, ticket_id=ticket_id)
        session.commit()
    return outcome


@sweep("intake", order=0, enabled=lambda: get_settings().dispatch_on_intake == "background")
def process_pending(session: Session, *, now: datetime | None = None) -> int:
    """Screen and route registered tickets still waiting (background mode)."""
    return flows.process_pending(session, now=now)
