"""Supervision cases (督办件): opened by the centre, answered by the department, closed by the centre."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.notify.models import Notification
from hotline.tickets.models import TicketEvent
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, ticket_in


def test_case_lifecycle(client: TestClient, db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    db.commit()
    leader, zjj, cgj = (principal_token(db, p) for p in (actors.leader, actors.zjj, actors.cgj))
    body = {
        "department_code": "ZJJ",
        "ticket_id": t.id,
        "subject": "路灯长期不修",
        "reason": "市民多次反映未解决",
        "required_response": "书面报告整改情况",
        "deadline": (now + timedelta(days=3)).isoformat(),
    }
    assert client.post("/api/v1/supervision/cases", json=body, headers=zjj).status_code == 403
    r = client.post("/api/v1/supervision/cases", json=body, headers=leader)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "open"
    told = db.scalars(select(Notification).where(Notification.template == "supervision_opened")).all()
    assert actors.zjj.user_id in {n.user_id for n in told}
    assert [c["id"] for c in client.get("/api/v1/supervision/cases", headers=zjj).json()] == [case["id"]]
    assert client.get("/api/v1/supervision/cases", headers=cgj).json() == []
    assert (
        client.post(
            f"/api/v1/supervision/cases/{case['id']}/respond", json={"response": "x"}, headers=cgj
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/supervision/cases/{case['id']}/respond", json={"response": "已更换全部灯具"}, headers=zjj
    )
    assert r.status_code == 200 and r.json()["status"] == "responded"
    r = client.post(
        f"/api/v1/supervision/cases/{case['id']}/close", json={"comment": "核实已整改"}, headers=leader
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert (
        client.post(f"/api/v1/supervision/cases/{case['id']}/close", json={}, headers=leader).status_code
        == 409
    )
    actions = db.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == t.id)).all()
    assert {"supervision_opened", "supervision_responded", "supervision_closed"} <= set(actions)
    bad = {**body, "department_code": "NOPE"}
    assert client.post("/api/v1/supervision/cases", json=bad, headers=leader).status_code == 422
