"""Prometheus metrics: requests counted by route template, the work waiting at scrape time, and the
token when one is set."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.tickets.states import Status
from tests import factories


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_requests_and_work(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    factories.ticket_in(db, actors, Status.registered, now=now)
    factories.ticket_in(db, actors, Status.processing, now=now)  # long past its deadline by today
    db.commit()
    client.get("/api/v1/tickets/12345")  # 401, counted under its route template
    m = samples(client.get("/metrics").text)
    assert m[("hotline_tickets", (("status", "registered"),))] >= 1
    assert m[("hotline_tickets_overdue", ())] >= 1
    assert m[("hotline_triage_queue", ())] >= 1
    assert ("hotline_queue_depth", (("queue", "notifications"),)) in m
    key = (
        "hotline_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/tickets/{ticket_id}"), ("status", "401")),
    )
    assert m[key] >= 1


def test_metrics_token(client: TestClient) -> None:
    s = get_settings()
    s.metrics_token = SecretStr("scrape-me")
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    finally:
        s.metrics_token = None
