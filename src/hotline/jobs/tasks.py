"""The platform's jobs. Each opens its own session and commits its work in one transaction, so a
worker killed mid-job leaves nothing half done and the job, run again, does it once."""

from __future__ import annotations

from hotline.db import session_factory
from hotline.jobs.queue import QUEUE, app

PROCESS_TICKET = "hotline.process_ticket"


@app.task(name=PROCESS_TICKET, queue=QUEUE, retry=5)
def process_ticket(ticket_id: int) -> str:
    """Screen a newly registered ticket and suggest (or make) its dispatch."""
    from hotline import intake

    with session_factory()() as session:
        outcome = intake.process(session, ticket_id=ticket_id)
        session.commit()
    return outcome
