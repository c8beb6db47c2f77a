"""Operator and department assistants: similar resolved tickets with their replies, summaries and key
fields, draft replies — offline, and generated (marked) when a large model is configured."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.categories import service as category_service
from hotline.dispatch import history
from hotline.kb import assist, qa
from hotline.kb.models import Article
from hotline.org import service as org_service
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket, ticket_in
from tests.fakes.openai_server import FakeOpenAI, completion


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


def test_draft_reply_cites_only_the_matching_article(
    db: Session, actors: Actors, now: datetime, demo_kb: list[Article]
) -> None:
    """A construction-noise complaint quotes the noise article's own words (not a list of unrelated
    titles); a request the KB knows nothing of leaves the basis for the department to fill in."""
    noise = ticket_in(
        db,
        actors,
        Status.processing,
        now=now,
        title="工地夜间施工噪音扰民",
        content="我家旁边的工地每天晚上11点以后还在施工打桩，吵得全家睡不着，请管一管。",
    )

    def drafted() -> dict[str, Any]:
        qa.reset_indexes()  # the article's category changes below without a new version
        return assist.draft_reply(db, noise, department_id=actors.dept_id("CGJ", db), use_llm=False)

    out = drafted()
    assert [s["title"] for s in out["sources"]] == ["噪声扰民投诉"]  # named once, however many passages
    assert "根据知识库《噪声扰民投诉》" in out["draft"] and "22时至次日6时" in out["draft"]
    assert out["draft"].count("《") == 1
    for unrelated in ("路灯", "物业服务收费"):
        assert unrelated not in out["draft"]
    assert "核查情况" in out["to_fill"] and len(out["to_fill"]) >= 5
    # an article filed under another first-level category than the request's is no basis for it
    article = next(a for a in demo_kb if a.title == "噪声扰民投诉")
    article.category_id = category_service.get_category(db, code_or_name="劳动和社会保障").id
    noise.category_id = category_service.get_category(db, code_or_name="环境保护").id
    db.flush()
    out = drafted()
    assert out["sources"] == [] and "《噪声扰民投诉》" not in out["draft"]
    article.category_id = category_service.get_category(db, code_or_name="环境保护").id
    db.flush()
    assert [s["title"] for s in drafted()["sources"]] == ["噪声扰民投诉"]
    unknown = ticket_in(
        db,
        actors,
        Status.processing,
        now=now,
        title="菜市场搬迁",
        content="听说我们这边的农贸市场明年要搬走，想知道搬到哪里去。",
    )
    out = assist.draft_reply(db, unknown, department_id=actors.dept_id("ZJJ", db), use_llm=False)
    assert out["sources"] == [] and "《" not in out["draft"]
    assert any("没有与本事项相符" in f for f in out["to_fill"])


def test_extractive_summary_and_key_fields(db: Session, actors: Actors, now: datetime) -> None:
    ticket = make_ticket(
        db,
        actors,
        now=now,
        title="工地夜间施工扰民",
        content="我是湖心一社区的业主。2026年9月10日起，小区旁边的工地每天晚上11点以后还在打桩，噪音很大，老人孩子都睡不着。"
        "之前找过物业没有用。请求相关部门尽快处理，禁止夜间施工。",
    )
    out = assist.summarize(db, ticket, use_llm=False)
    assert not out["generated"] and out["method"] == "extractive" and out["editable"]
    assert out["summary"].startswith("工地夜间施工扰民：") and len(out["summary"]) < 160
    f = out["fields"]
    assert f["who"].startswith("业主") and "湖心一社区" in (f["where"] or "")
    assert "2026年9月10日" in f["when"] and "请求相关部门尽快处理" in (f["demand"] or "")


def test_generated_summary_is_marked_and_falls_back_when_empty(
    db: Session, actors: Actors, now: datetime, llm: FakeOpenAI
) -> None:
    ticket = make_ticket(
        db, actors, now=now, title="路灯不亮", content="湖心一社区3栋门口路灯坏了一周，晚上出行不安全。"
    )
    llm.reply(
        completion(
            json.dumps(
                {
                    "summary": "湖心一社区3栋路灯损坏一周，请求维修。",
                    "who": None,
                    "where": "湖心一社区3栋",
                    "what": "路灯损坏",
                    "when": "一周",
                    "demand": "维修",
                }
            )
        ),
        completion(json.dumps({"summary": ""})),
    )
    out = assist.summarize(db, ticket)
    assert (
        out["generated"]
        and out["method"] == "llm"
        and out["summary"] == "湖心一社区3栋路灯损坏一周，请求维修。"
    )
    assert out["fields"]["who"] == "市民"  # the model had none; the offline field stands
    assert out["extractive_summary"]
    assert assist.summarize(db, ticket)["method"] == "extractive"


def test_draft_reply_offline_and_generated(
    client: TestClient, db: Session, actors: Actors, now: datetime, demo_kb: list[Article], llm: FakeOpenAI
) -> None:
    ticket = ticket_in(
        db,
        actors,
        Status.processing,
        now=now,
        title="物业乱收停车费",
        content="小区物业从本月起每月多收停车费200元，没有公示，业主大会也没同意。",
    )
    offline = assist.draft_reply(db, ticket, department_id=actors.dept_id("ZJJ", db), use_llm=False)
    assert not offline["generated"] and "【待填写" in offline["draft"]
    assert offline["sources"] and offline["sources"][0]["title"] == "物业服务收费和停车收费"
    assert "《物业服务收费和停车收费》" in offline["draft"]

    def reply(body: dict[str, Any]) -> Any:
        assert "物业服务收费和停车收费" in body["messages"][-1]["content"]
        return completion("市民您好！经核查，……【待填写：核查日期】。")

    llm.reply(reply)
    db.commit()
    headers = principal_token(db, actors.zjj)
    r = client.post(f"/api/v1/tickets/{ticket.id}/draft-reply", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["generated"] is True and r.json()["editable"] is True and r.json()["method"] == "llm"
    # another department cannot draft on a ticket it does not hold
    other = principal_token(db, actors.cgj)
    assert client.post(f"/api/v1/tickets/{ticket.id}/draft-reply", headers=other).status_code == 404


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
