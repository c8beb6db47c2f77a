"""Webhooks over real HTTP: a subscriber that fails the first N times still gets every event once,
signed; the delivery log shows the attempts; replay sends it again; two workers make one delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import utcnow
from hotline.webhooks import service
from hotline.webhooks.models import WebhookDelivery
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket
from tests.factories import actors as load_actors
from tests.fakes.http import JsonHandler, running


class Receiver:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls = 0
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(fail_first=3)

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            body = self.read_body()
            with state.lock:
                state.calls += 1
                failing = state.calls <= state.fail_first
                if not failing:
                    state.received.append((dict(self.headers), body))
            self.send_json(503 if failing else 204, None)

    with running(Handler) as base:
        yield state, f"{base}/hook"


def test_retries_until_the_receiver_recovers(
    client: TestClient,
    db: Session,
    session_maker: sessionmaker[Session],
    actors: Actors,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    admin = principal_token(db, actors.admin)
    r = client.post(
        "/api/v1/webhooks", json={"name": "网格系统", "url": url, "events": ["ticket.created"]}, headers=admin
    )
    assert r.status_code == 201, r.text
    sub, secret = r.json()["id"], r.json()["secret"]
    assert (
        client.post(
            "/api/v1/webhooks", json={"name": "x", "url": url, "events": ["ticket.exploded"]}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/webhooks",
            json={"name": "x", "url": url, "events": ["ticket.created"]},
            headers=principal_token(db, actors.operator),
        ).status_code
        == 403
    )
    ticket = make_ticket(db, actors, now=utcnow())
    db.commit()
    now = utcnow()
    assert service.sweep(session_maker, now=now) == {"enqueued": 1, "delivered": 0, "retry": 1, "failed": 0}
    for step in range(1, 4):  # backoff: 30 s, 60 s, 120 s …
        now += timedelta(seconds=30 * 2**step)
        service.sweep(session_maker, now=now)
    assert state.calls == 4 and len(state.received) == 1
    headers, body = state.received[0]
    payload = json.loads(body)
    assert payload["event"] == "ticket.created" and payload["ticket"]["number"] == ticket.number
    assert "13812345678" not in body.decode()
    assert headers["X-Hotline-Event"] == "ticket.created"
    assert service.verify(secret, headers["X-Hotline-Signature"], body)
    assert not service.verify("wrong-secret", headers["X-Hotline-Signature"], body)
    assert not service.verify(secret, headers["X-Hotline-Signature"], body + b" ")
    log = client.get(f"/api/v1/webhooks/{sub}/deliveries", headers=admin).json()
    assert (
        len(log) == 1
        and log[0]["status"] == "delivered"
        and log[0]["attempts"] == 4
        and log[0]["last_status"] == 204
    )
    r = client.post(f"/api/v1/webhooks/deliveries/{log[0]['id']}/replay", headers=admin)
    assert r.status_code == 201 and r.json()["replay_of_id"] == log[0]["id"]
    service.sweep(session_maker, now=now)
    assert len(state.received) == 2 and json.loads(state.received[1][1]) == payload
    # nothing new happened: nothing more is sent
    assert service.sweep(session_maker, now=now + timedelta(hours=1)) == {
        "enqueued": 0,
        "delivered": 0,
        "retry": 0,
        "failed": 0,
    }


def test_a_receiver_that_never_recovers_is_given_up_on(
    db: Session, session_maker: sessionmaker[Session], actors: Actors, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 10**6
    service.subscribe(db, name="dead", url=url, events=["ticket.created"])
    make_ticket(db, actors, now=utcnow())
    db.commit()
    now = utcnow()
    for _ in range(12):
        service.sweep(session_maker, now=now)
        now += timedelta(days=1)
    d = db.scalars(select(WebhookDelivery)).all()[-1]
    db.refresh(d)
    assert d.status == "failed" and d.attempts == 8 and d.last_status == 503


def test_two_workers_make_one_delivery_per_event(
    committing_engine: Engine, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 0
    factory = sessionmaker(committing_engine, expire_on_commit=False)
    with factory() as s:
        service.subscribe(s, name="app", url=url, events=["ticket.created"])
        people = load_actors(s)
        for _ in range(10):
            make_ticket(s, people, now=utcnow())
        s.commit()
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait(timeout=30)
        service.sweep(factory)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    service.sweep(factory)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 10
    numbers = [json.loads(b)["ticket"]["number"] for _, b in state.received]
    assert len(numbers) == len(set(numbers)) == 10


def test_events_go_out_in_the_order_they_happened(
    db: Session, session_maker: sessionmaker[Session], actors: Actors, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 0
    service.subscribe(db, name="grid", url=url, events=["ticket.created"])
    first, second = make_ticket(db, actors, now=utcnow()), make_ticket(db, actors, now=utcnow())
    db.commit()
    now = utcnow()
    assert service.enqueue_new_events(session_maker, now=now) == 2
    # the first one failed once and waits for its retry, due later than the second one
    older = db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    assert older is not None
    older.attempts, older.next_attempt_at = 1, now + timedelta(seconds=30)
    db.commit()
    service.deliver_due(session_maker, now=now + timedelta(minutes=1))
    numbers = [json.loads(b)["ticket"]["number"] for _, b in state.received]
    assert numbers == [first.number, second.number]
