"""The web pages without a browser: sign-in, CSRF, roles and scoping, bad input on the portal and the
workstation answered with a message and nothing stored, the language switch."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.tickets.models import Ticket
from tests import factories
from tests.factories import PASSWORD
from tests.fakes.openai_server import FakeOpenAI, completion


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:300]
    return m.group(1)


def login(client: TestClient, username: str) -> str:
    token = csrf_of(client.get("/ui/login").text)
    r = client.post(
        "/ui/login",
        data={"username": username, "password": PASSWORD, "csrf": token, "next": "/ui/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/ui/tickets").text)


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Ticket)) or 0


def test_pages_need_a_signed_in_user(client: TestClient) -> None:
    r = client.get("/ui/intake", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login?next=/ui/intake"
    token = csrf_of(client.get("/ui/login").text)
    bad = client.post("/ui/login", data={"username": "operator", "password": "wrong", "csrf": token})
    assert bad.status_code == 401 and "用户名或密码" in bad.text


def test_forms_without_the_csrf_token_are_refused(client: TestClient, db: Session) -> None:
    login(client, "operator")
    before = count(db)
    r = client.post(
        "/ui/intake", data={"content": "小区路灯坏了，请维修", "request_type": "help", "channel": "phone"}
    )
    assert r.status_code == 403 and "表单已过期" in r.text
    assert count(db) == before
    r = client.post("/ui/intake", data={"content": "小区路灯坏了，请维修", "csrf": "forged"})
    assert r.status_code == 403


def test_operator_registers_a_call(client: TestClient, db: Session) -> None:
    token = login(client, "operator")
    r = client.post(
        "/ui/intake",
        data={
            "csrf": token,
            "content": "湖心一社区3栋门口路灯坏了一周，请维修。",
            "request_type": "help",
            "channel": "phone",
            "phone": "13800001111",
            "area_code": "MH-HB-HX-01",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/tickets/")
    page = client.get(r.headers["location"]).text
    assert "已受理" in page and "13800001111" in page  # the operator may see the number
    empty = client.post(
        "/ui/intake", data={"csrf": token, "content": "", "request_type": "help", "channel": "phone"}
    )
    assert empty.status_code == 422 and "content" in empty.text


def test_roles_and_departments_see_only_their_part(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    ticket = factories.ticket_in(db, actors, factories.Status.dispatched, now=now, dept="ZJJ")
    db.commit()
    login(client, "cgj")  # 城管局's handler
    assert client.get("/ui/intake").status_code == 403
    other = client.get(f"/ui/tickets/{ticket.id}")
    assert other.status_code == 404 and ticket.title not in other.text
    assert client.get("/ui/dashboard").status_code == 403
    client.cookies.clear()
    token = login(client, "zjj")
    mine = client.get(f"/ui/tickets/{ticket.id}")
    assert mine.status_code == 200 and "签收" in mine.text
    assert "13812345678" not in mine.text and "138****5678" in mine.text  # handlers see the number masked
    r = client.post(
        f"/ui/tickets/{ticket.id}/act", data={"csrf": token, "action": "sign"}, follow_redirects=False
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == "processing"  # type: ignore[union-attr]
    wrong = client.post(f"/ui/tickets/{ticket.id}/act", data={"csrf": token, "action": "approve"})
    assert wrong.status_code == 200  # back on the ticket page, with the reason
    flash = re.search(r'<div class="flash error" role="alert">([^<]+)</div>', wrong.text)
    assert flash and "handler" in flash.group(1), wrong.text[:2000]
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == "processing"  # type: ignore[union-attr]


def test_portal_refuses_bad_input_with_a_message(client: TestClient, db: Session) -> None:
    page = client.get("/portal").text
    token = csrf_of(page)
    before = count(db)
    r = client.post("/portal/submit", data={"csrf": token, "content": "", "phone": "12"})
    assert r.status_code == 422 and "请检查" in r.text
    assert count(db) == before
    r = client.post("/portal/track", data={"csrf": token, "number": "20990101-000001", "code": "nope"})
    assert r.status_code == 404 and "未找到该工单" in r.text
    ok = client.post(
        "/portal/submit", data={"csrf": token, "content": "小区垃圾桶满了没人清理", "request_type": "help"}
    )
    assert ok.status_code == 200 and "提交成功" in ok.text
    assert count(db) == before + 1


def test_english_is_one_click_away(client: TestClient) -> None:
    r = client.get("/portal", params={"lang": "en"})
    assert "Tell us" in r.text and r.cookies.get("lang") == "en"
    assert "Tell us" in client.get("/portal").text  # remembered
    assert "我要反映" in client.get("/portal", params={"lang": "zh"}).text


def test_extension_asked_by_the_department_and_decided_by_the_centre(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    from hotline.db import utcnow

    ticket = factories.ticket_in(db, actors, factories.Status.processing, now=utcnow(), dept="ZJJ")
    db.commit()
    due = ticket.due_at
    token = login(client, "zjj")
    r = client.post(
        f"/ui/tickets/{ticket.id}/act",
        data={"csrf": token, "action": "extend", "days": "3", "text": "需要协调施工单位"},
    )
    assert r.status_code == 200 and not re.search(r'class="flash error"', r.text), r.text[:1500]
    client.cookies.clear()
    token = login(client, "dispatcher")
    review = client.get("/ui/review").text
    assert "需要协调施工单位" in review
    ext_id = re.search(r'action="/ui/extensions/(\d+)"', review)
    assert ext_id
    r = client.post(
        f"/ui/extensions/{ext_id.group(1)}", data={"csrf": token, "ticket_id": str(ticket.id), "approve": "1"}
    )
    assert r.status_code == 200 and "需要协调施工单位" not in r.text
    db.expire_all()
    moved = db.get(Ticket, ticket.id)
    assert moved is not None and due is not None and moved.due_at is not None and moved.due_at > due


def test_a_form_sent_twice_makes_one_ticket(client: TestClient, db: Session) -> None:
    page = client.get("/portal").text
    token, key = csrf_of(page), re.search(r'name="key" value="([^"]+)"', page)
    assert key
    before = count(db)
    data = {
        "csrf": token,
        "key": key.group(1),
        "content": "公园路灯不亮，晚上散步很危险",
        "request_type": "help",
    }
    first = client.post("/portal/submit", data=data)
    second = client.post("/portal/submit", data=data)
    number = re.search(r'id="number">([^<]+)<', first.text)
    assert number and f'id="number">{number.group(1)}<' in second.text
    assert count(db) == before + 1


def test_a_follow_up_answer_is_confirmed_on_the_review_page(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer waiting for a person: shown with its reading and why; confirmed, it closes the ticket."""
    from datetime import timedelta

    from hotline.config import get_settings
    from hotline.followup import service as followup
    from hotline.tickets.states import Status

    monkeypatch.setattr(get_settings(), "follow_up_auto_read", False)  # a person confirms every answer
    ticket = factories.ticket_in(db, actors, Status.follow_up, now=now)
    task = followup.task_for(db, ticket, now=now + timedelta(hours=1))
    followup.record(
        db,
        task=task,
        resolved=None,
        satisfaction=None,
        comment="说是修了，我还没顾上去看",
        via="call",
        principal=actors.operator,
        now=now + timedelta(hours=1),
    )
    db.commit()
    token = login(client, "operator")
    review = client.get("/ui/review").text
    assert "待确认的回访答复" in review and "说是修了，我还没顾上去看" in review
    assert "系统理解" in review and "把握" in review
    r = client.post(
        f"/ui/follow-ups/{task.id}/confirm",
        data={"csrf": token, "satisfaction": "basically_satisfied", "resolved": "1", "within_power": "1"},
    )
    assert r.status_code == 200 and "已确认" in r.text and "说是修了，我还没顾上去看" not in r.text
    db.expire_all()
    closed = db.get(Ticket, ticket.id)
    assert (
        closed is not None and closed.status == Status.closed and closed.satisfaction == "basically_satisfied"
    )
    bad = client.post(f"/ui/follow-ups/{task.id}/confirm", data={"csrf": token, "satisfaction": "nonsense"})
    assert bad.status_code == 200 and "flash error" in bad.text


def test_the_draft_helper_shows_what_the_checks_did(
    client: TestClient, db: Session, actors: factories.Actors, llm: FakeOpenAI
) -> None:
    """A generated draft is marked generated and checked, with the sentences taken out and why; a
    refused one says why the template is shown instead."""
    from hotline.db import utcnow

    ticket = factories.ticket_in(
        db,
        actors,
        factories.Status.processing,
        now=utcnow(),
        dept="ZJJ",
        title="物业乱收停车费",
        content="小区物业从本月起每月多收停车费200元，没有公示。",
    )
    db.commit()
    llm.reply(
        completion("市民您好！我们已约谈物业公司并责令退还多收的费用。感谢您的监督！"),
        completion("答复须：称呼市民；逐条回应诉求；说明已做了什么、由谁、何时。"),
    )
    token = login(client, "zjj")
    shown = client.post(f"/ui/tickets/{ticket.id}/draft", data={"csrf": token}).text
    assert "模型生成 · 已核对" in shown and 'id="draft-removed"' in shown
    assert "<s>我们已约谈物业公司并责令退还多收的费用。</s>" in shown and "办理记录中" in shown
    assert "我们已约谈物业公司" not in shown.split('id="draft-text">', 1)[1].split("</p>", 1)[0]
    assert 'id="draft-review"' in shown
    refused = client.post(f"/ui/tickets/{ticket.id}/draft", data={"csrf": token}).text
    assert 'id="draft-withheld"' in refused and "复述" in refused and "模型生成" not in refused
