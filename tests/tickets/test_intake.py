"""Intake through the HTTP API: numbering, idempotency, masking, and bad input refused with nothing written."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.tickets import service as ticket_service
from hotline.tickets.models import Attachment, Ticket, TicketEvent
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket

VALID = {
    "channel": "phone",
    "title": "小区路灯不亮",
    "content": "湖心一社区3栋门口路灯坏了一周。",
    "request_type": "help",
    "category_code": "城乡建设/城市建设和市政管理",
    "citizen": {"name": "张先生", "phone": "13812345678"},
    "area_code": "MH-HB-HX-01",
    "attachments": [
        {
            "filename": "photo.jpg",
            "content_type": "image/jpeg",
            "size_bytes": 2048,
            "url": "https://files.example.org/a/photo.jpg",
        }
    ],
}


def counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Ticket)) or 0,
        db.scalar(select(func.count()).select_from(TicketEvent)) or 0,
        db.scalar(select(func.count()).select_from(Attachment)) or 0,
    )


@pytest.fixture
def op(db: Session, actors: Actors) -> dict[str, str]:
    return principal_token(db, actors.operator)


def test_create_returns_number_and_stores_everything(
    client: TestClient, db: Session, op: dict[str, str]
) -> None:
    r = client.post("/api/v1/tickets", json=VALID, headers=op)
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"\d{8}-\d{6}", body["number"])
    assert body["status"] == "registered" and body["status_label"] == "已受理"
    assert body["category_name"] == "城乡建设/城市建设和市政管理"
    assert body["citizen_phone"] == "13812345678"  # operators may see it
    assert body["attachments"][0]["filename"] == "photo.jpg"
    stored = db.get(Ticket, body["id"])
    assert stored is not None and stored.citizen_phone_hash and stored.citizen_phone_hash != "13812345678"
    assert counts(db)[2] == 1


def test_numbers_are_sequential_within_a_day(db: Session, actors: Actors, now: datetime) -> None:
    a = make_ticket(db, actors, now=now)
    b = make_ticket(db, actors, now=now)
    assert a.number[:9] == b.number[:9] == "20260916-"
    assert int(b.number[9:]) == int(a.number[9:]) + 1


def test_idempotency_key_never_creates_two_tickets(
    client: TestClient, db: Session, op: dict[str, str]
) -> None:
    headers = op | {"Idempotency-Key": "call-7781"}
    first = client.post("/api/v1/tickets", json=VALID, headers=headers)
    before = counts(db)
    again = client.post("/api/v1/tickets", json=VALID, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert counts(db) == before
    changed = client.post("/api/v1/tickets", json=VALID | {"content": "另一件事"}, headers=headers)
    assert changed.status_code == 409 and first.json()["number"] in changed.json()["error"]["message"]
    assert counts(db) == before


def test_external_id_per_channel_is_idempotent(client: TestClient, db: Session, op: dict[str, str]) -> None:
    payload = VALID | {"channel": "app", "external_id": "APP-0001"}
    one = client.post("/api/v1/tickets", json=payload, headers=op)
    two = client.post("/api/v1/tickets", json=payload, headers=op)
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["id"] == two.json()["id"]
    other_channel = client.post("/api/v1/tickets", json=payload | {"channel": "sms"}, headers=op)
    assert other_channel.status_code == 201 and other_channel.json()["id"] != one.json()["id"]


BAD_INPUT = [
    ({**VALID, "content": "   "}, 422, "content"),
    ({k: v for k, v in VALID.items() if k != "content"}, 422, "content"),
    ({**VALID, "category_code": "不存在的分类"}, 422, "不存在的分类"),
    ({**VALID, "area_code": "NOWHERE"}, 422, "NOWHERE"),
    ({**VALID, "title": "长" * 201}, 422, "title"),
    ({**VALID, "content": "长" * 10_001}, 422, "content"),
    ({**VALID, "request_type": "chat"}, 422, "request_type"),
    ({**VALID, "channel": "pigeon"}, 422, "channel"),
    ({**VALID, "citizen": {"phone": "call me"}}, 422, "citizen.phone"),
    ({**VALID, "latitude": 30.1}, 422, "经纬度"),
    ({**VALID, "latitude": 91, "longitude": 120}, 422, "latitude"),
    ({**VALID, "attachments": [{"filename": "x", "size_bytes": -1, "url": "notaurl"}]}, 422, "attachments"),
    ({**VALID, "unexpected": 1}, 422, "unexpected"),
]


@pytest.mark.parametrize(("payload", "status", "mentions"), BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    client: TestClient,
    db: Session,
    op: dict[str, str],
    payload: dict[str, object],
    status: int,
    mentions: str,
) -> None:
    before = counts(db)
    r = client.post("/api/v1/tickets", json=payload, headers=op)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] in {"validation_error", "invalid_input"}
    assert mentions in error["message"]
    assert counts(db) == before


def test_malformed_json_is_400(client: TestClient, db: Session, op: dict[str, str]) -> None:
    before = counts(db)
    r = client.post(
        "/api/v1/tickets", content=b'{"channel": "phone",', headers=op | {"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    assert counts(db) == before


def test_file_uploads_have_the_upload_limit_not_the_json_one(
    client: TestClient, db: Session, actors: Actors
) -> None:
    """A 5 MB knowledge-base file goes through (the KB import allows uploads up to
    HOTLINE_MAX_UPLOAD_BYTES); a 5 MB JSON body does not (HOTLINE_MAX_BODY_BYTES)."""
    admin = principal_token(db, actors.admin)
    text = ("# 大文件\n\n" + "这是一段政策说明文字。" * 180_000).encode()
    assert len(text) > 5_000_000
    r = client.post("/api/v1/kb/import", files={"file": ("big.md", text, "text/markdown")}, headers=admin)
    assert r.status_code != 413, r.text[:200]
    big = json.dumps(VALID | {"content": "x" * 5_000_000})
    r = client.post("/api/v1/tickets", content=big, headers=admin | {"content-type": "application/json"})
    assert r.status_code == 413


def test_oversized_body_is_413(client: TestClient, db: Session, op: dict[str, str]) -> None:
    before = counts(db)
    big = json.dumps(VALID | {"content": "x" * 1_100_000})
    r = client.post("/api/v1/tickets", content=big, headers=op | {"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    assert counts(db) == before


def test_english_messages_on_request(client: TestClient, op: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/tickets", json=VALID | {"category_code": "nope"}, headers=op | {"Accept-Language": "en"}
    )
    assert r.status_code == 422 and r.json()["error"]["message"] == "Category not found: nope"


def test_failed_action_leaves_nothing_half_written(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = make_ticket(db, actors, now=now)
    db.commit()
    headers = principal_token(db, actors.dispatcher)
    before = counts(db)
    r = client.post(f"/api/v1/tickets/{t.id}/dispatch", json={"department_id": 999_999}, headers=headers)
    assert r.status_code == 422
    db.refresh(t)
    assert t.status == "registered" and t.due_at is None and counts(db) == before


def test_public_portal_submit_and_track(client: TestClient, db: Session, actors: Actors) -> None:
    r = client.post(
        "/api/v1/public/tickets", json={"content": "公园厕所无人清扫", "citizen": {"phone": "13900001111"}}
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert set(receipt) == {"number", "tracking_code", "status", "status_label"}
    wrong = client.post(f"/api/v1/public/tickets/{receipt['number']}/track", json={"code": "00000000"})
    assert wrong.status_code == 404
    ok = client.post(
        f"/api/v1/public/tickets/{receipt['number']}/track", json={"code": receipt["tracking_code"]}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "registered"
    by_header = client.get(
        f"/api/v1/public/tickets/{receipt['number']}", headers={"X-Tracking-Code": receipt["tracking_code"]}
    )
    assert by_header.json() == ok.json()
    # the code is never taken from the URL (it would land in access logs)
    in_url = client.get(
        f"/api/v1/public/tickets/{receipt['number']}", params={"code": receipt["tracking_code"]}
    )
    assert in_url.status_code == 422
    assert "citizen_phone" not in ok.json()
    stored = ticket_service.get_ticket_by_number(db, number=receipt["number"], principal=actors.dispatcher)
    assert stored.channel == "web" and stored.registered_by_id is None


def test_unauthenticated_and_unknown_tokens_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    r = client.get("/api/v1/tickets", headers={"Authorization": "Bearer hl_forged"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_a_type_nobody_chose_is_read_from_the_request_and_sets_the_deadline(
    client: TestClient, db: Session, op: dict[str, str]
) -> None:
    """Types set deadlines (SLA rules per type): one the caller leaves out is read by meaning when the
    ticket is routed, before any deadline is set; one a person chose stands."""
    from hotline.sla import service as sla_service

    unsaid = {k: v for k, v in VALID.items() if k != "request_type"} | {
        "title": "饭店后厨排烟",
        "content": "隔壁饭店的排烟口正对着我家卧室窗户，天天油烟熏得没法开窗，跟老板说了也不改，要求处理。",
        "category_code": None,
    }
    r = client.post("/api/v1/tickets", json=unsaid, headers=op)
    assert r.status_code == 201, r.text
    db.expire_all()
    read = db.get(Ticket, r.json()["id"])
    assert read is not None and read.request_type_read is True and read.request_type == "complaint"
    said = client.post("/api/v1/tickets", json=unsaid | {"request_type": "help"}, headers=op)
    kept = db.get(Ticket, said.json()["id"])
    assert kept is not None and kept.request_type == "help" and not kept.request_type_read
    # the reading is in the ticket's log
    logged = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == read.id, TicketEvent.action == "request_read")
    ).all()
    assert len(logged) == 1 and "投诉" in (logged[0].comment or "")
    # and the deadline it is dispatched with is the complaint's (13 working days, not 求助's 3)
    from hotline.tickets.states import Status
    from hotline.workflow import service as wf
    from tests.factories import actors as make_actors

    a = make_actors(db)
    zjj = a.dept_id("ZJJ", db)
    for t in (read, kept):
        if t.status == Status.registered:
            wf.dispatch(db, ticket_id=t.id, department_id=zjj, principal=a.dispatcher)
    db.flush()
    assert read.due_at is not None and kept.due_at is not None
    assert (read.due_at - kept.due_at).days >= 10
    assert (
        sla_service.match_rule(db, request_type="complaint", urgency="normal", category=None).name
        == "投诉 13个工作日"
    )  # type: ignore[union-attr]


def test_a_request_that_says_too_little_keeps_its_type_for_a_person(
    client: TestClient, db: Session, op: dict[str, str]
) -> None:
    from hotline.dispatch.models import DispatchSuggestion

    r = client.post(
        "/api/v1/tickets",
        json={"channel": "sms", "content": "你好", "citizen": {"phone": "13800001111"}},
        headers=op,
    )
    assert r.status_code == 201, r.text
    db.expire_all()
    t = db.get(Ticket, r.json()["id"])
    assert t is not None and t.request_type == "help" and t.request_type_read is True
    row = db.scalars(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == t.id)).one()
    read_as = row.payload["request_type"]["value"]
    # whatever the reader guessed, it was not sure enough: the ticket says so and stays 求助
    assert read_as == "help" or "暂按求助，请坐席确认" in (row.reason or "")
