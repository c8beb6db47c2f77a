"""Screening: everything is stored, flags carry reasons and referrals, a person confirms; callers'
graded status is logged, appealable and expires; emergencies never wait in a normal queue; confirmed
flags change the adjusted figures only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.screening import rules, service
from hotline.screening.models import CallerDecision, ScreeningFlag
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.service import caller_hash as hash_phone
from tests.conftest import principal_token
from tests.factories import Actors

BASE = {"channel": "web", "request_type": "help", "citizen": {"name": "赵先生", "phone": "13700001111"}}


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("你们这帮废物，拿着工资不干活", "abusive", "辱骂性语言"),
        ("再不解决我就找人收拾你们", "threat", "威胁性语言"),
        ("我老公经常打我还不给钱，怎么办", "private_domain", "家庭纠纷"),
        ("朋友借了我5万块钱一直不还", "private_domain", "私人借贷"),
        ("这个案子法院已经判决了，我不服", "out_of_remit", "已进入诉讼程序"),
        ("楼下饭店着火了，烟很大", "emergency", "疑似紧急警情，应转 119"),
    ],
)
def test_rules_flag_with_reason_and_referral(text: str, kind: str, reason: str) -> None:
    found = {f.kind: f for f in rules.screen_text("", text)}
    assert kind in found and found[kind].reason == reason
    if kind in {"private_domain", "out_of_remit", "emergency"}:
        assert found[kind].referral


@pytest.mark.parametrize(
    "text",
    [
        "公司拖欠我3万元工资不还，请劳动监察处理",
        "小区消防通道被占，存在火灾隐患",
        "请问离婚后孩子的户口怎么办理",
        "邻居装修噪音扰民，物业不管",
    ],
)
def test_public_matters_are_not_flagged(text: str) -> None:
    assert [f.kind for f in rules.screen_text("", text)] == []


def _post(client: TestClient, headers: dict[str, str], content: str, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/tickets", json={**BASE, "title": content[:20], "content": content, **extra}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


def _kinds(db: Session, ticket_id: int) -> set[str]:
    db.expire_all()
    return {f.kind for f in service.flags_for(db, ticket_id=ticket_id)}


def test_flagged_requests_are_stored_and_reviewed(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    ticket = _post(client, op, "朋友借了我5万块钱一直不还，你们这帮废物管不管")
    assert _kinds(db, ticket["id"]) == {"private_domain", "abusive"}
    assert db.get(Ticket, ticket["id"]) is not None  # stored, not dropped
    disp = principal_token(db, actors.dispatcher)
    pending = client.get("/api/v1/screening/flags", headers=disp).json()
    mine = {f["kind"]: f for f in pending if f["ticket_id"] == ticket["id"]}
    assert "人民法院起诉" in mine["private_domain"]["referral"]
    assert client.get("/api/v1/screening/flags", headers=op).status_code == 403
    r = client.post(
        f"/api/v1/screening/flags/{mine['private_domain']['id']}/review",
        json={"confirm": True, "comment": "核实为私人借贷"},
        headers=disp,
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = client.post(
        f"/api/v1/screening/flags/{mine['abusive']['id']}/review", json={"confirm": False}, headers=disp
    )
    assert r.json()["status"] == "dismissed"
    assert (
        client.post(
            f"/api/v1/screening/flags/{mine['abusive']['id']}/review", json={"confirm": True}, headers=disp
        ).status_code
        == 409
    )
    db.expire_all()
    t = db.get(Ticket, ticket["id"])
    assert t is not None and t.evaluation_excluded and t.exclusion_reason == "私人借贷"


def test_repeat_and_frequent_contact(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    get_settings().frequent_contacts_per_day, saved = 3, get_settings().frequent_contacts_per_day
    try:
        ids = [_post(client, op, "小区门口的路灯又坏了，请派人来修")["id"] for _ in range(3)]
        assert "repeated_content" not in _kinds(db, ids[1]) and "repeated_content" in _kinds(db, ids[2])
        more = [_post(client, op, f"第{i}件事：请问公积金怎么提取")["id"] for i in range(2)]
        assert "frequent" in _kinds(db, more[-1])
        other = _post(client, op, "小区门口的路灯又坏了，请派人来修", citizen={"phone": "13600009999"})
        assert _kinds(db, other["id"]) == set()
    finally:
        get_settings().frequent_contacts_per_day = saved


def test_caller_levels_are_logged_appealable_and_expire(
    client: TestClient, db: Session, actors: Actors
) -> None:
    caller = hash_phone("13700001111")
    disp, op = principal_token(db, actors.dispatcher), principal_token(db, actors.operator)
    url = f"/api/v1/screening/callers/{caller}"
    r = client.post(f"{url}/decision", json={"level": "blacklist", "reason": "多次辱骂坐席"}, headers=disp)
    assert r.status_code == 422 and "到期时间" in r.json()["error"]["message"]
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = client.post(
        f"{url}/decision",
        json={"level": "graylist", "reason": "多次辱骂坐席", "expires_at": until},
        headers=disp,
    )
    assert r.status_code == 200 and r.json()["script"]
    assert (
        client.post(
            f"{url}/decision", json={"level": "graylist", "reason": "x", "expires_at": until}, headers=op
        ).status_code
        == 403
    )
    t = _post(client, op, "请问社保卡怎么补办")
    flags = client.get(f"/api/v1/screening/tickets/{t['id']}/flags", headers=op).json()
    assert [f["kind"] for f in flags] == ["caller_status"] and "资深坐席" in flags[0]["referral"]
    assert (
        client.post(f"{url}/appeal", json={"text": "我只是着急，以后会注意"}, headers=op).json()[
            "appeal_status"
        ]
        == "pending"
    )
    r = client.post(f"{url}/appeal/decision", json={"lift": True, "reason": "申诉理由成立"}, headers=disp)
    assert r.json()["level"] == "normal" and r.json()["appeal_status"] == "lifted"
    history = client.get(url, headers=op).json()["history"]
    assert [h["kind"] for h in history] == ["decision", "appeal", "appeal_decision"]
    # an expired restriction lifts itself, and says so
    service.decide(
        db,
        caller_hash=caller,
        level="blacklist",
        reason="再犯",
        expires_at=datetime.now(UTC) + timedelta(seconds=1),
        principal=actors.dispatcher,
    )
    row = service.active_status(db, caller, now=datetime.now(UTC) + timedelta(minutes=1))
    assert row is not None and row.level == "normal"
    assert (
        db.scalar(
            select(func.count())
            .select_from(CallerDecision)
            .where(CallerDecision.caller_hash == caller, CallerDecision.kind == "expired")
        )
        == 1
    )


def test_no_emergency_waits_in_a_normal_queue(client: TestClient, db: Session, actors: Actors) -> None:
    settings = get_settings()
    saved = settings.dispatch_auto_threshold
    settings.dispatch_auto_threshold = 0.0
    try:
        op = principal_token(db, actors.operator)
        fire = _post(client, op, "东桥一社区5栋3楼着火了，浓烟很大，有人被困！")
        _post(client, op, "小区门口路灯坏了一周，请维修")
    finally:
        settings.dispatch_auto_threshold = saved
    assert fire["urgency"] == "emergency" and fire["status"] == "registered"
    assert (
        db.scalar(select(func.count()).select_from(Assignment).where(Assignment.ticket_id == fire["id"])) == 0
    )
    waiting = client.get("/api/v1/screening/emergencies", headers=op).json()
    assert [w["ticket_id"] for w in waiting] == [fire["id"]]
    disp = principal_token(db, actors.dispatcher)
    assert client.get("/api/v1/dispatch/triage", headers=disp).json()[0]["ticket"]["id"] == fire["id"]
    assert client.get("/api/v1/screening/flags", headers=disp).json()[0]["kind"] == "emergency"
    r = client.post(
        f"/api/v1/tickets/{fire['id']}/hand-off",
        json={"service": "119", "reference": "119-20260916-0042"},
        headers=op,
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/screening/emergencies", headers=op).json() == []
    # every emergency ticket in the database is handed off or in the emergency list: none anywhere else
    db.expire_all()
    stray = db.scalars(
        select(Ticket).where(
            Ticket.urgency == "emergency", Ticket.status.not_in(["registered", "handed_off"])
        )
    ).all()
    assert stray == []


def test_adjusted_figures_leave_out_confirmed_flags_only(db: Session, actors: Actors, now: datetime) -> None:
    from hotline.tickets.states import Status
    from tests.factories import ticket_in

    a = ticket_in(db, actors, Status.closed, now=now)
    b = ticket_in(db, actors, Status.closed, now=now)
    for t in (a, b):
        t.satisfaction = "unsatisfied"
    flag = ScreeningFlag(ticket_id=b.id, kind="private_domain", reason="家庭纠纷", details={})
    db.add(flag)
    db.flush()
    service.review(db, flag_id=flag.id, confirm=True, comment=None, principal=actors.dispatcher)
    row = next(r for r in service.fairness(db, department_id=actors.dept_id("ZJJ", db)))
    assert row.tickets.raw - row.tickets.adjusted == 1
    assert row.unsatisfied_rate.numerator_raw - row.unsatisfied_rate.numerator_adjusted == 1
