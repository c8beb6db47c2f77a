"""The assistants of the people handling a ticket: the summary and key fields, the draft reply —
offline, and generated (marked) when a large model is configured, shown only after their checks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.assist import service as assist
from hotline.categories import service as category_service
from hotline.kb import qa
from hotline.kb.models import Article
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket, ticket_in
from tests.fakes.openai_server import FakeOpenAI, completion


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
