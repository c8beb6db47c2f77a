"""What a stored deadline means, defined once: when it has passed, when a ticket is overdue, what
counts as done in time. The deadline watch, ticket filters, the ticket page, metrics, supervision
cases and analytics all import these; the clock itself (working days, pauses) is `sla.calendar`.

A deadline is the last moment that is still in time: work done at 17:30:00 against a 17:30:00
deadline is on time, and the deadline has passed once the clock is later than it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_

from hotline.tickets.models import Ticket
from hotline.tickets.states import HANDLING_STATUSES, Status


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def passed(deadline: datetime | None, now: datetime) -> bool:
    """Whether the deadline has passed at `now` (no deadline never passes; naive times are UTC)."""
    return deadline is not None and _aware(deadline) < _aware(now)


def in_time(done_at: datetime, deadline: datetime) -> bool:
    """Whether work done at `done_at` met the deadline."""
    return not passed(deadline, done_at)


def passed_clause(deadline: Any, now: Any) -> ColumnElement[bool]:
    """The WHERE clause of rows whose deadline column has passed at `now` (a moment, or a column: when
    the work was done)."""
    return deadline < now


def is_overdue(status: Status | str, due_at: datetime | None, now: datetime) -> bool:
    """Whether a ticket in `status` with this handling deadline is overdue: past it with work owed."""
    return Status(status) in HANDLING_STATUSES and passed(due_at, now)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """The WHERE clause of overdue tickets (the same rule as `is_overdue`)."""
    return and_(Ticket.status.in_(HANDLING_STATUSES), passed_clause(Ticket.due_at, now))
