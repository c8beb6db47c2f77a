"""Call records: events of one call complete it, missed calls become one call-back per caller, the
connection figures count right, and bad CDR files are refused whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import principal_token
from tests.factories import Actors, make_ticket

T0 = datetime(2026, 9, 16, 1, 0, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def test_calls_callbacks_and_figures(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    calls = [
        {
            "call_id": "c1",
            "caller": "13800000001",
            "offered_at": _at(0),
            "answered_at": _at(8),
            "ended_at": _at(200),
            "agent": "1001",
        },
        {
            "call_id": "c2",
            "caller": "13800000002",
            "offered_at": _at(10),
            "answered_at": _at(40),
            "ended_at": _at(300),
        },
        {"call_id": "c3", "caller": "13800000003", "offered_at": _at(20)},  # ringing: not counted yet
        {"call_id": "c4", "caller": "13800000004", "offered_at": _at(30), "ended_at": _at(90)},  # abandoned
        {"call_id": "c5", "caller": "13800000004", "offered_at": _at(100), "ended_at": _at(130)},  # again
    ]
    r = client.post("/api/v1/cti/calls", json={"calls": calls}, headers=op)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 5, "updated": 0, "callbacks": 1}
    # the switch reports c3's end later: abandoned too
    r = client.post(
        "/api/v1/cti/calls",
        json={"calls": [{"call_id": "c3", "offered_at": _at(20), "ended_at": _at(50)}]},
        headers=op,
    )
    assert r.json() == {"created": 0, "updated": 1, "callbacks": 1}
    stats = client.get("/api/v1/cti/stats", params={"start": _at(-60), "end": _at(3600)}, headers=op).json()
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (5, 2, 3)
    assert (
        stats["connection_rate"] == 0.4
        and stats["answered_within_15s"] == 1
        and stats["answer_rate_15s"] == 0.2
    )
    tasks = client.get("/api/v1/cti/callbacks", headers=op).json()
    assert [t["caller"] for t in tasks] == ["13800000004", "13800000003"] or sorted(
        t["caller"] for t in tasks
    ) == ["13800000003", "13800000004"]
    # the caller rings again and gets through: the call-back is no longer needed
    client.post(
        "/api/v1/cti/calls",
        json={
            "calls": [
                {"call_id": "c6", "caller": "13800000004", "offered_at": _at(400), "answered_at": _at(405)}
            ]
        },
        headers=op,
    )
    tasks = client.get("/api/v1/cti/callbacks", headers=op).json()
    assert [t["caller"] for t in tasks] == ["13800000003"]
    ticket = make_ticket(db, actors, now=T0)
    db.commit()
    r = client.post(
        f"/api/v1/cti/callbacks/{tasks[0]['id']}/done",
        json={"reached": True, "note": "已回拨登记", "ticket_id": ticket.id},
        headers=op,
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert (
        client.post(
            f"/api/v1/cti/callbacks/{tasks[0]['id']}/done", json={"reached": True}, headers=op
        ).status_code
        == 409
    )
    r = client.post("/api/v1/cti/calls/c1/link", json={"ticket_id": ticket.id}, headers=op)
    assert r.status_code == 200 and r.json()["ticket_id"] == ticket.id and r.json()["wait_seconds"] == 8
    # a department handler sees the figures only as a masked number and cannot ingest
    zjj = principal_token(db, actors.zjj)
    assert client.post("/api/v1/cti/calls", json={"calls": calls[:1]}, headers=zjj).status_code == 403
    leader = principal_token(db, actors.leader)
    masked = client.get("/api/v1/cti/callbacks", headers=leader).json()
    assert all("****" in (t["caller"] or "****") for t in masked)


def test_bad_cdr_files_are_refused_whole(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    csv_text = (
        "call_id,caller,offered_at,answered_at,ended_at\n"
        f"k1,13900000001,{_at(0)},{_at(5)},{_at(60)}\n"
        "k2,13900000002,yesterday,,\n"
        f"k3,13900000003,{_at(0)},,{_at(-10)}\n"
        "k4,not-a-phone,2026-09-16T09:00:00,,\n"
    )
    r = client.post("/api/v1/cti/calls.csv", content=csv_text.encode(), headers=op)
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "第 3 行" in message and "第 5 行" in message and "未导入" in message
    stats = client.get("/api/v1/cti/stats", params={"start": _at(-60), "end": _at(3600)}, headers=op).json()
    assert stats["offered"] == 0
    good = (
        "call_id,caller,offered_at,answered_at,ended_at\n" + f"k1,13900000001,{_at(0)},{_at(5)},{_at(60)}\n"
    )
    assert client.post("/api/v1/cti/calls.csv", content=good.encode(), headers=op).json()["created"] == 1
    backwards = {"calls": [{"call_id": "k9", "offered_at": _at(100), "answered_at": _at(50)}]}
    assert client.post("/api/v1/cti/calls", json=backwards, headers=op).status_code == 422
