"""Reply quality: a specific, grounded, polite reply scores well; template-only, evasive and rude ones
are flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.review import quality
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, ticket_in

TITLE = "小区门口路灯不亮"
REQUEST = "湖心一社区3栋门口路灯坏了一周，晚上出行不安全。请问什么时候能修好？请尽快维修。"
GOOD = (
    "市民您好！您反映的湖心一社区3栋门口路灯不亮问题已收悉。经核查，系灯具老化损坏。市城市管理局路灯所工作人员于9月17日"
    "现场更换了灯具，路灯已恢复照明。依据《明湖市城市照明管理办法》第十二条，路灯故障应在3个工作日内修复。"
    "如有疑问，可拨打12345热线。感谢您的理解和支持！"
)
TEMPLATE = "您好，留言已收悉，我们高度重视，已转交相关部门处理，将尽快解决。"
EVASIVE = "您好，经研究，该事项不属于我单位职责范围，请您向有关部门咨询。"
RUDE = "路灯的事我们知道了，不要再打电话了，等着吧。"


def test_a_good_reply_scores_well() -> None:
    r = quality.score(TITLE, REQUEST, GOOD)
    assert r.verdict == "good" and not r.flags, r
    assert r.scores["explanation"] == 1.0 and r.scores["politeness"] == 1.0 and r.scores["relevance"] > 0.6


def test_template_evasive_and_rude_replies_are_flagged() -> None:
    assert "template_only" in quality.score(TITLE, REQUEST, TEMPLATE).flags
    evasive = quality.score(TITLE, REQUEST, EVASIVE)
    assert "evasive" in evasive.flags and evasive.verdict == "poor"
    rude = quality.score(TITLE, REQUEST, RUDE)
    assert "rude" in rude.flags and rude.scores["politeness"] == 0.0
    assert all(
        quality.score(TITLE, REQUEST, x).overall < quality.score(TITLE, REQUEST, GOOD).overall
        for x in (TEMPLATE, EVASIVE, RUDE)
    )


def test_late_replies_lose_timeliness() -> None:
    due = datetime(2026, 9, 20, tzinfo=UTC)
    on_time = quality.score(TITLE, REQUEST, GOOD, replied_at=due - timedelta(hours=1), due_at=due)
    late = quality.score(TITLE, REQUEST, GOOD, replied_at=due + timedelta(days=3), due_at=due)
    assert on_time.scores["timeliness"] == 1.0 and late.scores["timeliness"] < 0.5
    assert any("超期" in n for n in late.notes)


def test_review_queue_and_ticket_review(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.replied, now=now)
    db.commit()
    headers = principal_token(db, actors.dispatcher)
    r = client.get(f"/api/v1/tickets/{t.id}/reply-review", headers=headers)
    assert r.status_code == 200, r.text
    assert set(r.json()["scores"]) == set(quality.WEIGHTS) and r.json()["verdict"] in {"good", "fair", "poor"}
    queue = client.get("/api/v1/review/queue", headers=headers).json()
    assert t.id in [q["ticket_id"] for q in queue]
    assert client.get("/api/v1/review/queue", headers=principal_token(db, actors.zjj)).status_code == 403
