"""Dispatch through the HTTP API: suggestions on intake, auto-dispatch above the threshold, the triage
queue below it, one-click acceptance or override, the routing table and model versions, and an intake
that survives a broken model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.dispatch import datasets, registry
from hotline.dispatch.models import DispatchSuggestion
from hotline.nlp.models import ModelVersion
from hotline.tickets.models import Ticket, TicketEvent
from tests.conftest import principal_token
from tests.factories import Actors
from tests.fakes.openai_server import FakeOpenAI, completion

WAGES = {
    "title": "公司拖欠农民工工资半年",
    "content": "我们在青山镇青山一社区附近的工地干活，包工头拖欠农民工工资半年不发，劳动监察部门请帮忙讨薪。",
    "request_type": "help",
    "citizen": {"name": "李先生", "phone": "13900001111"},
}
FIRE = {
    "title": "着火了",
    "content": "东桥一社区5栋3楼着火了，浓烟很大，有人被困！",
    "request_type": "help",
}


@pytest.fixture
def threshold() -> Iterator[Any]:
    settings = get_settings()
    original = settings.dispatch_auto_threshold

    def set_to(value: float) -> None:
        settings.dispatch_auto_threshold = value

    yield set_to
    settings.dispatch_auto_threshold = original


@pytest.fixture
def tokens(db: Session, actors: Actors) -> dict[str, dict[str, str]]:
    return {
        name: principal_token(db, getattr(actors, name))
        for name in ("operator", "dispatcher", "admin", "zjj", "leader")
    }


def _events(db: Session, ticket_id: int) -> list[TicketEvent]:
    db.expire_all()
    return list(
        db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
    )


def test_confident_web_request_is_dispatched_by_itself(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    threshold(0.3)
    r = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "dispatched"
    assert body["category_name"] == "劳动和社会保障"
    events = _events(db, body["id"])
    applied = [e for e in events if e.action == "suggestion_applied"]
    assert len(applied) == 1 and applied[0].data["outcome"] == "auto" and applied[0].actor_role == "system"
    assert applied[0].data["model_version_id"] == dispatch_ready.id
    s = client.get(f"/api/v1/tickets/{body['id']}/suggestion", headers=tokens["dispatcher"]).json()
    assert s["decision"] == "auto" and s["model_version"] == dispatch_ready.version
    assert s["departments"][0]["code"] == "RSJ"
    assert s["location"]["code"] == "MH-QS-QZ-01"
    assert "拖欠" in "".join(s["category"][0]["words"]) or "工资" in "".join(s["category"][0]["words"])
    assert "派单目录" in s["reason"]


def test_phone_request_waits_for_the_operator_even_when_confident(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    threshold(0.0)
    r = client.post("/api/v1/tickets", json={**WAGES, "channel": "phone"}, headers=tokens["operator"])
    assert r.status_code == 201 and r.json()["status"] == "registered"
    s = client.get(f"/api/v1/tickets/{r.json()['id']}/suggestion", headers=tokens["operator"]).json()
    assert s["decision"] == "triage"


def test_unsure_request_goes_to_triage_and_is_accepted_in_one_click(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    threshold(1.0)
    r = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
    ticket_id = r.json()["id"]
    assert r.json()["status"] == "registered"
    queue = client.get("/api/v1/dispatch/triage", headers=tokens["dispatcher"]).json()
    mine = [item for item in queue if item["ticket"]["id"] == ticket_id]
    assert mine and mine[0]["suggestion"]["decision"] == "triage"
    assert "低于自动派单阈值" in mine[0]["suggestion"]["reason"]
    r = client.post(f"/api/v1/tickets/{ticket_id}/suggestion/accept", json={}, headers=tokens["dispatcher"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched"
    assert r.json()["category_name"] == "劳动和社会保障"
    applied = [e for e in _events(db, ticket_id) if e.action == "suggestion_applied"]
    assert applied[-1].data["outcome"] == "accepted" and applied[-1].actor_role == "dispatcher"
    queue = client.get("/api/v1/dispatch/triage", headers=tokens["dispatcher"]).json()
    assert ticket_id not in [item["ticket"]["id"] for item in queue]


def test_override_is_recorded_as_a_correction(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
    actors: Actors,
) -> None:
    threshold(1.0)
    ticket_id = client.post(
        "/api/v1/tickets", json={**WAGES, "channel": "app"}, headers=tokens["operator"]
    ).json()["id"]
    cgj = actors.dept_id("CGJ", db)
    r = client.post(
        f"/api/v1/tickets/{ticket_id}/suggestion/accept",
        json={"department_id": cgj},
        headers=tokens["dispatcher"],
    )
    assert r.status_code == 200, r.text
    applied = [e for e in _events(db, ticket_id) if e.action == "suggestion_applied"]
    assert applied[-1].data["outcome"] == "corrected" and applied[-1].department_id == cgj
    # a choice beyond the suggested departments is refused with a reason
    other = client.post(
        "/api/v1/tickets", json={**WAGES, "channel": "app", "title": "又一单"}, headers=tokens["operator"]
    ).json()
    r = client.post(
        f"/api/v1/tickets/{other['id']}/suggestion/accept", json={"choice": 2}, headers=tokens["dispatcher"]
    )
    n = len(
        client.get(f"/api/v1/tickets/{other['id']}/suggestion", headers=tokens["dispatcher"]).json()[
            "departments"
        ]
    )
    assert (r.status_code == 200) == (n > 2)


def test_emergency_jumps_the_queue_and_is_never_auto_dispatched(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    threshold(0.0)
    client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
    r = client.post("/api/v1/tickets", json={**FIRE, "channel": "web"}, headers=tokens["operator"])
    body = r.json()
    assert body["status"] == "registered" and body["urgency"] == "emergency"
    queue = client.get("/api/v1/dispatch/triage", headers=tokens["dispatcher"]).json()
    assert queue[0]["ticket"]["id"] == body["id"]
    assert queue[0]["suggestion"]["decision"] == "emergency"
    assert queue[0]["suggestion"]["urgency"]["service"] == "119"


def test_live_suggestion_while_typing(
    client: TestClient, dispatch_ready: ModelVersion, tokens: dict[str, dict[str, str]]
) -> None:
    r = client.post(
        "/api/v1/dispatch/suggest",
        json={
            "title": "小区物业",
            "content": "小区环境卫生很差，垃圾没人清理",
            "area_code": "MH-XC-NY-01",
            "category_code": "城乡建设/城市建设和市政管理/小区管理",
        },
        headers=tokens["operator"],
    )
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["category"][0]["probability"] == 1.0 and s["category"][0]["name"].endswith("小区管理")
    assert s["departments"][0]["code"] == "XC-NY"  # local street office (属地)
    assert s["location"]["source"] == "operator"
    r = client.post(
        "/api/v1/dispatch/suggest", json={"content": "x", "area_code": "NOPE"}, headers=tokens["operator"]
    )
    assert r.status_code == 422 and "NOPE" in r.json()["error"]["message"]
    r = client.post("/api/v1/dispatch/suggest", json={"content": ""}, headers=tokens["operator"])
    assert r.status_code == 422
    # departments' handlers do not triage or suggest
    assert (
        client.post(
            "/api/v1/dispatch/suggest", json={"content": "路灯坏了"}, headers=tokens["zjj"]
        ).status_code
        == 403
    )
    assert client.get("/api/v1/dispatch/triage", headers=tokens["zjj"]).status_code == 403


def test_without_a_model_every_request_goes_to_triage(
    client: TestClient, db: Session, routing_table: int, tokens: dict[str, dict[str, str]], threshold: Any
) -> None:
    threshold(0.0)
    r = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
    assert r.status_code == 201 and r.json()["status"] == "registered"
    s = client.get(f"/api/v1/tickets/{r.json()['id']}/suggestion", headers=tokens["dispatcher"]).json()
    assert s["decision"] == "triage" and s["model_version"] is None and "尚无已启用的分类模型" in s["reason"]


def test_a_broken_model_never_loses_a_request(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    threshold(0.0)
    db.execute(update(ModelVersion).where(ModelVersion.id == dispatch_ready.id).values(sha256="0" * 64))
    db.commit()
    registry.clear_cache()
    r = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
    assert r.status_code == 201, r.text
    ticket_id = r.json()["id"]
    db.expire_all()
    assert db.get(Ticket, ticket_id) is not None
    assert db.scalar(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == ticket_id)) is None
    queue = client.get("/api/v1/dispatch/triage", headers=tokens["dispatcher"]).json()
    assert ticket_id in [item["ticket"]["id"] for item in queue]


def test_routing_table_and_models_over_http(
    client: TestClient,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    trained: Any,
    db: Session,
) -> None:
    rule = {"category": "环境保护/其他", "area_code": "MH-XC", "department_code": "XC-ZX"}
    assert client.post("/api/v1/dispatch/routing", json=rule, headers=tokens["operator"]).status_code == 403
    r = client.post("/api/v1/dispatch/routing", json=rule, headers=tokens["admin"])
    assert r.status_code == 201, r.text
    assert r.json()["description"] == "环境保护/其他 × 新城区 → 新城区12345分中心"
    bad = client.post("/api/v1/dispatch/routing", json={"category": "环境保护"}, headers=tokens["admin"])
    assert bad.status_code == 422 and "属地单位类型" in bad.json()["error"]["message"]
    csv_text = client.get("/api/v1/dispatch/routing.csv", headers=tokens["leader"]).text
    assert csv_text.startswith("category,area_code") and "环境保护/其他,MH-XC,XC-ZX" in csv_text

    registry.save(db, model=trained, label_level=1, source="second", n_samples=1, metrics={}, created_by="t")
    db.commit()
    models = client.get("/api/v1/dispatch/models", headers=tokens["leader"]).json()
    assert [m["active"] for m in models] == [True, False]
    assert client.post("/api/v1/dispatch/models/rollback", headers=tokens["operator"]).status_code == 403
    r = client.post("/api/v1/dispatch/models/rollback", headers=tokens["admin"])
    assert r.status_code == 200 and r.json()["version"] == dispatch_ready.version
    r = client.post("/api/v1/dispatch/models/999/activate", headers=tokens["admin"])
    assert r.status_code == 404


def test_a_corrected_category_reroutes_and_teaches_the_next_model(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
    actors: Actors,
) -> None:
    threshold(1.0)
    ticket_id = client.post(
        "/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"]
    ).json()["id"]
    r = client.post(
        f"/api/v1/tickets/{ticket_id}/suggestion/accept",
        json={"category_code": "城乡建设/城市建设和市政管理/城管执法"},
        headers=tokens["dispatcher"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["category_name"] == "城乡建设/城市建设和市政管理/城管执法"
    assert r.json()["lead_department_id"] == actors.dept_id("CGJ", db)
    events = _events(db, ticket_id)
    dispatched = next(e for e in events if e.action == "dispatch")
    assert dispatched.data["category_to"] is not None
    assert next(e for e in events if e.action == "suggestion_applied").data["outcome"] == "corrected"
    # once the department works on it, it is a training example that weighs double
    cgj = principal_token(db, actors.cgj)
    assert client.post(f"/api/v1/tickets/{ticket_id}/sign", headers=cgj).status_code == 200
    examples = datasets.from_tickets(db, level=3)
    weights = dict(zip(examples.texts, examples.weights, strict=True))
    mine = [w for text, w in weights.items() if text.startswith(WAGES["title"])]
    assert mine == [datasets.CORRECTED_WEIGHT]
    assert "城乡建设/城市建设和市政管理/城管执法" in examples.labels
    r = client.post(
        f"/api/v1/tickets/{ticket_id}/suggestion/accept",
        json={"category_code": "没有这个分类"},
        headers=tokens["dispatcher"],
    )
    assert r.status_code == 422 and "没有这个分类" in r.json()["error"]["message"]


def test_second_opinion_from_the_large_model_is_advice_marked_generated(
    client: TestClient,
    db: Session,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
    llm: FakeOpenAI,
) -> None:
    threshold(1.0)
    ticket_id = client.post(
        "/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"]
    ).json()["id"]

    def answer(body: dict[str, Any]) -> Any:
        prompt = body["messages"][-1]["content"]
        assert "拖欠农民工工资" in prompt and "- 劳动和社会保障" in prompt  # the text and the allowed list
        return completion('{"category": "劳动和社会保障", "reason": "诉求为讨要拖欠工资，属劳动保障监察"}')

    llm.reply(answer, completion('{"category": "外星人管理", "reason": "编的"}'))
    r = client.post(f"/api/v1/tickets/{ticket_id}/suggestion/second-opinion", headers=tokens["dispatcher"])
    assert r.status_code == 200, r.text
    opinion = r.json()["llm"]
    assert opinion["generated"] is True and opinion["category"] == "劳动和社会保障"
    assert opinion["department"] == "市人力资源和社会保障局" and opinion["agrees"] is True
    assert r.json()["decision"] == "triage"  # advice only: nothing was dispatched
    assert client.get(f"/api/v1/tickets/{ticket_id}/suggestion", headers=tokens["dispatcher"]).json()["llm"]
    # a made-up category is refused, and the offline suggestion stands
    r = client.post(f"/api/v1/tickets/{ticket_id}/suggestion/second-opinion", headers=tokens["dispatcher"])
    assert r.status_code == 503 and "外星人管理" in r.json()["error"]["message"]


def test_second_opinion_without_a_large_model_is_a_clear_503(
    client: TestClient, dispatch_ready: ModelVersion, tokens: dict[str, dict[str, str]]
) -> None:
    ticket_id = client.post(
        "/api/v1/tickets", json={**WAGES, "channel": "phone"}, headers=tokens["operator"]
    ).json()["id"]
    r = client.post(f"/api/v1/tickets/{ticket_id}/suggestion/second-opinion", headers=tokens["dispatcher"])
    assert r.status_code == 503 and "not configured" in r.json()["error"]["message"]


def test_background_dispatch_keeps_inference_out_of_the_request(
    client: TestClient,
    db: Session,
    session_maker: Any,
    dispatch_ready: ModelVersion,
    tokens: dict[str, dict[str, str]],
    threshold: Any,
) -> None:
    from hotline.intake import flows as intake
    from hotline.jobs import queue
    from hotline.jobs.scheduler import tick

    settings = get_settings()
    settings.dispatch_on_intake = "background"
    threshold(0.3)
    try:
        r = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=tokens["operator"])
        assert r.status_code == 201 and r.json()["status"] == "registered"
        ticket_id = r.json()["id"]
        db.expire_all()
        assert db.scalar(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == ticket_id)) is None
        if queue.available(db):
            # PostgreSQL: the job was deferred in the ticket's own transaction; the sweep leaves a
            # fresh ticket to it. What the job runs (tests/jobs runs it through real workers):
            jobs = db.execute(text("SELECT task_name, args FROM procrastinate_jobs")).all()
            assert [tuple(j) for j in jobs] == [("hotline.process_ticket", {"ticket_id": ticket_id})]
            assert tick(session_maker)["intake"] == 0
            with session_maker() as s:
                assert intake.process(s, ticket_id=ticket_id) == "done"
                s.commit()
            with session_maker() as s:
                assert intake.process(s, ticket_id=ticket_id) == "already"
        else:
            # SQLite: no queue; the scheduler's sweep screens and routes it
            assert tick(session_maker)["intake"] == 1
        db.expire_all()
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "dispatched"
        assert db.scalar(select(func.count()).where(DispatchSuggestion.ticket_id == ticket_id)) == 1
    finally:
        settings.dispatch_on_intake = "sync"
