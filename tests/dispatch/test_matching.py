"""Routing by the matter list: everyday requests reach the unit whose duty they are, with the matter,
its basis and the words that led there; local matters (属地) go to the unit serving the place; the
confidence auto-dispatch is decided on is calibrated on department correctness; only meaningful
alternatives are shown; and a suggestion records the matter and the list's version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.dispatch import matching, service
from hotline.dispatch.enums import Decision
from hotline.dispatch.models import DispatchSuggestion
from hotline.org import service as org_service
from hotline.tickets.models import Ticket
from tests.conftest import principal_token
from tests.factories import Actors

# phrasings written for these tests (not the matter list's examples, not the development set)
EVERYDAY = [
    ("单元楼前面那根路灯杆上的灯晚上一直不亮", "CGJ", "CG-01"),
    ("早上起来水龙头一滴水都没有，也没看到停水通知", "ZLS", None),
    ("在超市买的酸奶回家一看已经过期三天了", "SJJ", None),
    ("想把老家的户口迁到明湖来，需要去哪里办", "GAJ", None),
    ("跟团游的导游把我们拉到店里逼着买玉器，不买就甩脸色", "WLJ", None),
    ("小区里好多流浪狗，晚上还追着人咬", "GAJ", None),
    ("老板三个月没发工资了，找他就说没钱", "RSJ", None),
]


@pytest.mark.parametrize(("text", "unit", "matter"), EVERYDAY)
def test_everyday_requests_reach_the_unit_whose_duty_they_are(
    db: Session, matter_list_ready: int, text: str, unit: str, matter: str | None
) -> None:
    s = service.suggest(db, title="", content=text)
    assert s.departments[0].code == unit, (s.departments, s.reason)
    assert s.matter is not None and s.departments[0].matter_code == s.matter.code
    if matter:
        assert s.matter.code == matter
    assert f"事项「{s.matter.name}」" in s.reason and f"依据：{s.matter.basis}" in s.reason
    assert s.catalog_version == matter_list_ready
    # the category follows from the matter, at its own (second or third) level
    assert s.category[0].source == "matter" and s.category[0].name == s.matter.category


def test_only_meaningful_alternatives_are_shown(db: Session, matter_list_ready: int) -> None:
    for text, _, _ in EVERYDAY:
        s = service.suggest(db, title="", content=text)
        assert all(d.confidence >= service.ALTERNATIVE_FLOOR for d in s.departments[1:]), s.departments


def test_a_local_matter_goes_to_the_unit_serving_the_place(db: Session, matter_list_ready: int) -> None:
    text = "我们这栋楼的楼道里堆满了纸箱和旧家具，还有人把电动车推进楼道充电"
    community = org_service.get_area_by_code(db, code="MH-HB-HX-01")
    placed = service.suggest(db, title="", content=text, area_id=community.id)
    assert placed.departments[0].code == "HB-HX", placed.departments  # 湖心街道办事处
    assert placed.matter is not None and placed.matter.local_kind == "street_office"
    elsewhere = service.suggest(
        db, title="", content=text, area_id=org_service.get_area_by_code(db, code="MH-XC-NY-02").id
    )
    assert elsewhere.departments[0].code == "XC-NY"  # the same matter, another street
    unplaced = service.suggest(db, title="", content=text)
    assert "属地事项，须先确定地点" in unplaced.reason
    assert unplaced.decision != Decision.auto


def test_auto_dispatch_is_decided_on_calibrated_department_confidence(
    db: Session, matter_list_ready: int
) -> None:
    w = matching.packaged_weights()
    a, b = w.calibration
    assert (a, b) != (1.0, 0.0)  # fitted, not the identity
    ps = [0.2, 0.5, 0.8, 0.95, 0.99]
    calibrated = [matching.calibrate(p, w.calibration) for p in ps]
    assert calibrated == sorted(calibrated)  # order kept
    assert matching.calibrate(0.7, (1.0, 0.0)) == pytest.approx(0.7)
    threshold = get_settings().dispatch_auto_threshold
    for text, _, _ in EVERYDAY:
        s = service.suggest(db, title="", content=text, channel="web")
        top = s.departments[0]
        assert s.confidence == top.confidence
        assert (s.decision == Decision.auto) == (top.confidence >= threshold)


def test_a_routed_ticket_records_the_matter_and_the_list_version(
    db: Session, matter_list_ready: int, routed_lamp: tuple[Ticket, DispatchSuggestion | None]
) -> None:
    ticket, row = routed_lamp
    assert row is not None and row.catalog_version == matter_list_ready
    stored = db.scalar(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == ticket.id))
    assert stored is not None and stored.matter_id is not None
    assert service.suggestion_of(stored).matter.code == "CG-01"  # type: ignore[union-attr]


def test_without_a_matter_list_the_category_routing_table_answers(db: Session, dispatch_ready: Any) -> None:
    s = service.suggest(db, title="", content="单元楼前面那根路灯杆上的灯晚上一直不亮")
    assert s.matter is None and s.catalog_version is None
    assert "派单目录" in s.reason  # the category routing table's rule


def test_intake_succeeds_with_a_damaged_embedding_model(
    client: TestClient,
    db: Session,
    actors: Actors,
    matter_list_ready: int,
    damaged_embedding: Path,
) -> None:
    r = client.post(
        "/api/v1/tickets",
        json={
            "title": "路灯",
            "content": "湖心一社区北门外的路灯晚上不亮，已经好几天了",
            "request_type": "help",
            "channel": "web",
            "area_code": "MH-HB-HX-01",
        },
        headers=principal_token(db, actors.operator),
    )
    assert r.status_code == 201, r.text  # stored and acknowledged
    s = client.get(
        f"/api/v1/tickets/{r.json()['id']}/suggestion", headers=principal_token(db, actors.dispatcher)
    ).json()
    assert "语义模型不可用" in s["reason"] and s["matter"] is None  # routed by the category table
    fire = client.post(
        "/api/v1/tickets",
        json={
            "title": "着火了",
            "content": "湖心一社区5栋3楼着火了，浓烟很大，有人被困！",
            "request_type": "help",
            "channel": "phone",
        },
        headers=principal_token(db, actors.operator),
    )
    assert fire.status_code == 201 and fire.json()["urgency"] == "emergency"  # words still screen
