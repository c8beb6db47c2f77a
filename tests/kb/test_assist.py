"""Operator and department assistants: similar resolved tickets with their replies, summaries and key
fields, draft replies — offline, and generated (marked) when a large model is configured."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.categories import service as category_service
from hotline.dispatch import history
from hotline.kb import qa
from hotline.kb.models import Article
from hotline.org import service as org_service
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket, ticket_in


def _resolved(db: Session, actors: Actors, now: datetime, title: str, content: str, reply: str) -> Ticket:
    ticket = ticket_in(db, actors, Status.follow_up, now=now, title=title, content=content)
    for a in db.query(Assignment).filter_by(ticket_id=ticket.id):
        a.reply = reply
    db.flush()
    return ticket


def test_similar_tickets_show_how_they_were_resolved(db: Session, actors: Actors, now: datetime) -> None:
    _resolved(
        db,
        actors,
        now,
        "小区路灯不亮",
        "湖心一社区3栋门口路灯坏了一周",
        "已安排维修人员更换灯泡，路灯已恢复照明。",
    )
    _resolved(db, actors, now, "工地夜间施工噪音", "晚上11点工地还在打桩", "已责令施工单位停止夜间施工。")
    hits = qa.similar_tickets(db, "我家楼下路灯坏了好几天")
    assert hits and hits[0].doc.meta["title"] == "小区路灯不亮"
    assert "恢复照明" in hits[0].doc.meta["reply"]


def test_similar_cases_by_meaning_same_place_first_none_from_elsewhere(
    db: Session, actors: Actors, now: datetime
) -> None:
    """With their kept vectors: a lamp request meets lamp cases, its own street's first, never the
    night-construction case, nor a lamp case of another district."""
    street = _resolved(
        db, actors, now, "路灯不亮", "湖心一社区门口的路灯晚上一直不亮，走路看不见", "已更换灯具，恢复照明。"
    )
    street.area_id = org_service.area_id(db, code="MH-HB-HX-01")
    district = _resolved(db, actors, now, "路灯坏了", "大桥街道主路上有两盏路灯坏了好几天", "已修复。")
    district.area_id = org_service.area_id(db, code="MH-HB-DQ-01")
    elsewhere = _resolved(db, actors, now, "路灯不亮", "高新街道科技园旁边的路灯晚上不亮", "已修复。")
    elsewhere.area_id = org_service.area_id(db, code="MH-XC-GX-01")
    noise = _resolved(
        db,
        actors,
        now,
        "工地夜间施工噪音",
        "晚上11点工地还在打桩，吵得睡不着",
        "已责令施工单位停止夜间施工。",
    )
    noise.area_id = street.area_id
    db.flush()
    assert history.embed_missing(db) >= 4
    qa.reset_indexes()
    hits = qa.similar_tickets(
        db, "小区外面马路的路灯坏了，晚上黑乎乎的", area_id=org_service.area_id(db, code="MH-HB-HX-02")
    )
    ids = [h.doc.key for h in hits]
    assert ids[:2] == [street.id, district.id] or ids[:2] == [district.id, street.id]
    assert noise.id not in ids and elsewhere.id not in ids  # another problem; another district
    assert all(h.meaning is not None and h.meaning >= qa.SIMILAR_MEANING for h in hits)
    assert hits[0].doc.meta["place"] and hits[0].doc.meta["reply"]
    # the same street ranks first when the request is there
    here = qa.similar_tickets(db, "门口路灯坏了", area_id=street.area_id)
    assert here[0].doc.key == street.id
    # given the keywords the request's matter was recognised by, a case must name one of them
    assert street.id in [h.doc.key for h in qa.similar_tickets(db, "门口路灯坏了", about=["路灯"])]
    assert qa.similar_tickets(db, "门口路灯坏了", about=["井盖"]) == []
    # filed under a category that parts from the request's, a case is another problem however close
    street.category_id = category_service.get_category(db, code_or_name="交通运输").id
    db.flush()
    qa.reset_indexes()
    lamps = category_service.get_category(db, code_or_name="城乡建设").id
    assert street.id not in [h.doc.key for h in qa.similar_tickets(db, "门口路灯坏了", category_id=lamps)]
    street.category_id = lamps
    db.flush()
    qa.reset_indexes()
    assert street.id in [h.doc.key for h in qa.similar_tickets(db, "门口路灯坏了", category_id=lamps)]
    # a case without a vector yet (the sweep has not reached it) is judged by its words, not dropped
    fresh = _resolved(db, actors, now, "路灯不亮", "湖心一社区门口路灯晚上不亮", "已修复路灯。")
    fresh.area_id = street.area_id
    db.flush()
    qa.reset_indexes()
    found = qa.similar_tickets(db, "湖心一社区门口路灯不亮", area_id=street.area_id)
    assert fresh.id in [h.doc.key for h in found]
    assert next(h for h in found if h.doc.key == fresh.id).meaning is None
    # the index sees vectors kept since (once its two minutes are up), though no resolved ticket changed
    assert history.embed_missing(db) == 1
    qa.ticket_index(db, max_age=0)
    found = qa.similar_tickets(db, "湖心一社区门口路灯不亮", area_id=street.area_id)
    assert next(h for h in found if h.doc.key == fresh.id).meaning is not None


def test_operator_assist_while_typing(
    client: TestClient, db: Session, actors: Actors, demo_kb: list[Article]
) -> None:
    db.commit()
    headers = principal_token(db, actors.operator)
    r = client.post(
        "/api/v1/assist/intake",
        json={"title": "社保卡丢了", "content": "社保卡丢了怎么补办"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["passages"][0]["title"] == "社会保障卡补办和换领"
    assert body["answer"]["answered"] is True
    # nothing related, nothing listed (a fused ranking would rank every passage)
    r = client.post("/api/v1/assist/intake", json={"content": "明天天气怎么样"}, headers=headers)
    assert r.json()["passages"] == [] and r.json()["answer"]["answered"] is False
    assert client.get("/api/v1/kb/search", params={"q": "明天天气怎么样"}, headers=headers).json() == []
    # the place and category may be given; an unknown category is refused with its name
    r = client.post(
        "/api/v1/assist/intake",
        json={"content": "社保卡丢了怎么补办", "area_code": "MH-HB-HX-01", "category_code": "劳动和社会保障"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/assist/intake",
        json={"content": "社保卡丢了", "category_code": "没有这个分类"},
        headers=headers,
    )
    assert r.status_code == 422 and "没有这个分类" in r.text
    assert (
        client.post(
            "/api/v1/assist/intake", json={"content": "x"}, headers=principal_token(db, actors.zjj)
        ).status_code
        == 403
    )


def test_direct_answer_from_a_served_article_only(
    client: TestClient, db: Session, actors: Actors, now: datetime, demo_kb: list[Article]
) -> None:
    from hotline.kb import service
    from hotline.kb.enums import ArticleStatus

    article = next(a for a in demo_kb if a.title == "居住证申领办事指南")
    ticket = make_ticket(db, actors, now=now, title="咨询居住证", content="外地人怎么办居住证")
    db.commit()
    headers = principal_token(db, actors.operator)
    service.set_status(db, article_id=article.id, status=ArticleStatus.expired, principal=actors.dispatcher)
    db.commit()
    body = {"answer": "居住半年以上可申领。", "knowledge_article_id": article.id}
    r = client.post(f"/api/v1/tickets/{ticket.id}/answer", json=body, headers=headers)
    assert r.status_code == 422 and str(article.id) in r.json()["error"]["message"]
    service.set_status(db, article_id=article.id, status=ArticleStatus.published, principal=actors.dispatcher)
    db.commit()
    r = client.post(f"/api/v1/tickets/{ticket.id}/answer", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "follow_up" and r.json()["answered_directly"] is True
