"""Deferring on intake (background mode, PostgreSQL): the job is made in the ticket's own transaction
and a request that sounds like an emergency jumps the queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.intake import flows as intake
from hotline.jobs import queue
from tests.factories import Actors, ticket_data


@pytest.fixture
def background(db: Session) -> Iterator[None]:
    if not queue.available(db):
        pytest.skip("the job queue lives in PostgreSQL; on SQLite the scheduler's sweep does the work")
    settings = get_settings()
    settings.dispatch_on_intake = "background"
    yield
    settings.dispatch_on_intake = "sync"


def _jobs(db: Session) -> dict[int, int]:
    rows = db.execute(
        text("SELECT args, priority FROM procrastinate_jobs WHERE task_name = 'hotline.process_ticket'")
    )
    return {args["ticket_id"]: priority for args, priority in rows}


def test_a_job_per_new_ticket_emergencies_first(
    background: None, db: Session, actors: Actors, now: datetime
) -> None:
    plain, created = intake.register(db, data=ticket_data(), principal=actors.operator, idempotency_key="k1")
    assert created
    gas, _ = intake.register(
        db,
        data=ticket_data(
            title="楼道里燃气泄漏了", content="三楼楼道闻到很浓的煤气味，燃气泄漏了，请马上来人"
        ),
        principal=actors.operator,
    )
    said, _ = intake.register(db, data=ticket_data(urgency="urgent"), principal=actors.operator)
    jobs = _jobs(db)
    assert jobs[plain.id] == 0 and jobs[gas.id] == 100 and jobs[said.id] == 50
    # a retry with the same key makes neither a ticket nor a job
    again, created = intake.register(db, data=ticket_data(), principal=actors.operator, idempotency_key="k1")
    assert (again.id, created) == (plain.id, False) and len(_jobs(db)) == 3


def test_the_jobs_waiting_are_a_metric(
    background: None, client: TestClient, db: Session, actors: Actors
) -> None:
    before = _depth(client)
    intake.register(db, data=ticket_data(), principal=actors.operator)
    intake.register(db, data=ticket_data(title="井盖丢了"), principal=actors.operator)
    assert _depth(client) == before + 2


def _depth(client: TestClient) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for s in family.samples:
            if s.name == "hotline_queue_depth" and s.labels == {"queue": "jobs"}:
                return s.value
    raise AssertionError("no hotline_queue_depth{queue=jobs}")
