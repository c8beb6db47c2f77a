"""What a deadline means, defined once (tickets.deadlines): work at the very moment is in time; past
it, a ticket that still owes work is overdue, one that does not is not; the SQL and Python agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.tickets import deadlines
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from tests import factories

DUE = datetime(2026, 10, 9, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai


def test_the_deadline_itself_is_still_in_time() -> None:
    assert not deadlines.passed(DUE, DUE)
    assert deadlines.passed(DUE, DUE + timedelta(seconds=1))
    assert deadlines.in_time(DUE, DUE) and not deadlines.in_time(DUE + timedelta(seconds=1), DUE)
    assert not deadlines.passed(None, DUE)  # no deadline never passes
    assert deadlines.passed(DUE.replace(tzinfo=None), DUE + timedelta(hours=1))  # naive is UTC


def test_overdue_only_while_work_is_owed() -> None:
    later = DUE + timedelta(hours=1)
    assert deadlines.is_overdue(Status.processing, DUE, later)
    assert deadlines.is_overdue(Status.dispatched, DUE, later)
    assert not deadlines.is_overdue(Status.replied, DUE, later)  # the department has answered
    assert not deadlines.is_overdue(Status.waiting_citizen, DUE, later)  # the clock stands still
    assert not deadlines.is_overdue(Status.processing, DUE, DUE)


def test_the_query_says_what_the_function_says(db: Session, actors: factories.Actors, now: datetime) -> None:
    ticket = factories.ticket_in(db, actors, Status.processing, now=now)
    assert ticket.due_at is not None
    for moment in (ticket.due_at, ticket.due_at + timedelta(seconds=1)):
        counted = db.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.id == ticket.id, deadlines.overdue_clause(moment))
        )
        assert bool(counted) == deadlines.is_overdue(ticket.status, ticket.due_at, moment)
