"""Input no database can take is refused with a 422 and a message, never a 500: NUL characters,
integers beyond 64 bits, dates beyond what the analytics engine counts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import principal_token
from tests.factories import Actors

BIG = str(2**63 + 5)


def test_nul_characters_are_refused_everywhere(client: TestClient, db: Session, actors: Actors) -> None:
    operator = principal_token(db, actors.operator)
    body = '{"channel": "phone", "content": "路灯坏了\\u0000", "request_type": "help"}'
    r = client.post("/api/v1/tickets", content=body, headers={**operator, "Content-Type": "application/json"})
    assert r.status_code == 422 and "空字符" in r.json()["error"]["message"]
    r = client.get("/api/v1/tickets", params={"q": "\x00"}, headers=operator)
    assert r.status_code == 422
    r = client.post("/api/v1/public/tickets", json={"content": "a\x00b"})
    assert r.status_code == 422
    r = client.post("/open311/v2/requests.json", data={"description": "x\x00"})
    assert r.status_code == 422
    r = client.get("/api/v1/tickets/by-number/2026%00", headers=operator)
    assert r.status_code == 422


def test_integers_beyond_64_bits_are_invalid_input(client: TestClient, db: Session, actors: Actors) -> None:
    admin = principal_token(db, actors.admin)
    for url, params in (
        (f"/api/v1/tickets/{BIG}", {}),
        ("/api/v1/tickets", {"offset": BIG}),
        ("/api/v1/tickets", {"department_id": BIG}),
    ):
        r = client.get(url, params=params, headers=admin)
        assert r.status_code == 422, (url, params, r.status_code, r.text[:200])


def test_dates_beyond_the_calendar_are_invalid_input(client: TestClient, db: Session, actors: Actors) -> None:
    leader = principal_token(db, actors.leader)
    r = client.get(
        "/api/v1/analytics/rates", params={"start": "0001-01-01", "end": "9999-12-31"}, headers=leader
    )
    assert r.status_code == 422, r.text[:300]
