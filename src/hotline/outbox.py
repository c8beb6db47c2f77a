"""The outbox: rows waiting to be sent somewhere (notifications to a channel, webhook deliveries to a
subscriber), delivered at least once and never twice at the same time.

A row is claimed in a short transaction of its own (pending → sending, one more attempt) before it is
sent, so two workers never send it together; a claim older than HOTLINE_CLAIM_TIMEOUT_SECONDS (its
worker died) is taken up again. A failed attempt is retried after an exponential backoff until the
outbox's attempts are spent; a permanent failure is given up at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.config import get_settings
from hotline.db import utcnow

PENDING, SENDING, FAILED = "pending", "sending", "failed"


class Retry(Exception):
    """Could not deliver now; try again later."""


class GiveUp(Retry):
    """Will never be delivered (a refused address, no such channel); do not retry."""


class OutboxRow:
    """The delivery columns every outbox table has (a mixin of its model; each model declares its own
    `status`, an enum with the values PENDING, SENDING, FAILED and its own `done`)."""

    status: Any
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Outbox:
    """How one table is delivered."""

    model: Any  # an OutboxRow model
    done: str  # the status of a delivered row ("sent", "delivered")
    max_attempts: int
    retry_seconds: float  # the first wait; doubled after each further failure
    in_order: bool = False  # True: in the order the rows were made (events), not by when they fell due


def _due(model: Any, now: datetime) -> ColumnElement[bool]:
    stale = now - timedelta(seconds=get_settings().claim_timeout_seconds)
    return or_(
        (model.status == PENDING) & (model.next_attempt_at <= now),
        (model.status == SENDING) & (model.claimed_at < stale),
    )


def deliver_due(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    send: Callable[[Session, Any], None],
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Deliver what is due: `send(session, row)` delivers one row (setting what it learns on the row)
    or raises Retry / GiveUp. Returns how many were done, will be retried, failed."""
    now = now or utcnow()
    model = outbox.model
    counts = {outbox.done: 0, "retry": 0, "failed": 0}
    with session_factory() as session:
        ids = list(
            session.scalars(
                select(model.id)
                .where(_due(model, now))
                .order_by(*((model.id,) if outbox.in_order else (model.next_attempt_at, model.id)))
                .limit(limit)
            )
        )
    for row_id in ids:
        with session_factory() as session:
            claim = (
                update(model)
                .where(model.id == row_id, _due(model, now))
                .values(status=SENDING, claimed_at=now, attempts=model.attempts + 1)
            )
            claimed = session.execute(claim).rowcount  # type: ignore[attr-defined]
            session.commit()
            if claimed != 1:
                continue  # another worker has it
            row = session.get(model, row_id)
            assert row is not None
            try:
                send(session, row)
                row.status, row.last_error = outbox.done, None
                counts[outbox.done] += 1
            except GiveUp as exc:
                row.status, row.last_error = FAILED, str(exc)[:1000]
                counts["failed"] += 1
            except Retry as exc:
                row.last_error = str(exc)[:1000]
                if row.attempts >= outbox.max_attempts:
                    row.status = FAILED
                    counts["failed"] += 1
                else:
                    row.status = PENDING
                    row.next_attempt_at = now + timedelta(
                        seconds=outbox.retry_seconds * 2 ** (row.attempts - 1)
                    )
                    counts["retry"] += 1
            session.commit()
    return counts


def waiting(session: Session, model: Any) -> int:
    """Rows not yet delivered (waiting for their first or next attempt)."""
    return session.scalar(select(func.count()).select_from(model).where(model.status == PENDING)) or 0
