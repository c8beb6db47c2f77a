"""Concurrent intake with real commits: racing requests with one Idempotency-Key make one ticket,
and concurrent numbering never hands out the same number twice."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hotline.tickets import service as ticket_service
from hotline.tickets.models import Ticket, TicketEvent
from tests.factories import actors, ticket_data

THREADS = 8


def _race(engine: Engine, key: str | None, content: str) -> list[tuple[int, bool, str]]:
    barrier = threading.Barrier(THREADS)
    now = datetime.now(UTC)

    def one(i: int) -> tuple[int, bool, str]:
        with Session(engine, expire_on_commit=False) as session:
            operator = actors(session).operator
            data = ticket_data(content=content if key else f"{content} #{i}")
            # end the read transaction first: on SQLite every transaction takes the write lock
            # (BEGIN IMMEDIATE), and a thread holding it at the barrier would stall the others
            session.commit()
            barrier.wait(timeout=60)
            ticket, created = ticket_service.create_ticket(
                session, data=data, principal=operator, idempotency_key=key, now=now
            )
            session.commit()
            return ticket.id, created, ticket.number

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def test_racing_requests_with_one_key_make_one_ticket(committing_engine: Engine) -> None:
    key = f"race-{uuid.uuid4()}"
    content = f"并发幂等测试 {key}"
    results = _race(committing_engine, key, content)
    assert len({ticket_id for ticket_id, _, _ in results}) == 1
    assert sum(created for _, created, _ in results) == 1
    with Session(committing_engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.content == content)) == 1
        ticket_id = results[0][0]
        events = session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        )
        assert events == 1


def test_concurrent_numbers_are_unique(committing_engine: Engine) -> None:
    results = _race(committing_engine, None, f"并发编号测试 {uuid.uuid4()}")
    numbers = [number for _, _, number in results]
    assert all(created for _, created, _ in results)
    assert len(set(numbers)) == THREADS
    seqs = sorted(int(n.split("-")[1]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + THREADS))
