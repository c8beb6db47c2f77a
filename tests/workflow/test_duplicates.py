"""Duplicates (并单): found on intake at the same place, kept from auto-dispatch when strong, merged or
dismissed by a person; the merged citizen sees the master's progress and is followed up too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.followup import service as followup
from hotline.followup.models import FollowUpTask
from hotline.nlp import textsim
from hotline.nlp.models import ModelVersion
from hotline.tickets.enums import Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from hotline.workflow import duplicates
from hotline.workflow import service as wf
from hotline.workflow.models import DuplicateCandidate
from tests import factories
from tests.conftest import principal_token

LAMP = "湖心一社区3栋门口路灯已经坏了一周，晚上出行不安全，请尽快维修。"
LAMP_AGAIN = "湖心一社区3栋门口的路灯坏了一个星期了，晚上走路不安全，请尽快来修。"
WAGES = {
    "title": "公司拖欠农民工工资半年",
    "content": "我们在青山镇青山一社区附近的工地干活，包工头拖欠农民工工资半年不发，劳动监察部门请帮忙讨薪。",
    "request_type": "help",
}


def test_similarity_of_a_reworded_repeat_and_of_another_problem() -> None:
    query = textsim.words("路灯坏了", LAMP_AGAIN)
    same, other = textsim.cosines(
        query, [textsim.words("小区路灯不亮", LAMP), textsim.words(WAGES["title"], WAGES["content"])]
    )
    assert same >= get_settings().duplicate_hold_threshold
    assert other < get_settings().duplicate_threshold
    assert textsim.cosines(query, []) == []
    assert textsim.cosines("", [""]) == [0.0]  # nothing to compare is no match, not an error


def test_found_at_the_same_place_within_the_window(
    db: Session, actors: factories.Actors, now: datetime
) -> None:
    first = factories.make_ticket(db, actors, now=now, content=LAMP)
    far = factories.make_ticket(
        db,
        actors,
        now=now,
        content=LAMP,
        area_code="MH-XC-GX-01",
        citizen={"name": "王", "phone": "13700000000"},
    )
    old = factories.make_ticket(db, actors, now=now - timedelta(days=40), content=LAMP)
    again = factories.make_ticket(
        db,
        actors,
        now=now + timedelta(hours=3),
        content=LAMP_AGAIN,
        citizen={"name": "赵", "phone": "13600000000"},
    )
    found = duplicates.find(db, again)
    assert [m.ticket_id for m in found] == [first.id]  # not the other district's, not the 40-day-old one
    assert found[0].reasons["same_place"] is True and "same_caller" not in found[0].reasons
    assert far.id not in [m.ticket_id for m in found] and old.id not in [m.ticket_id for m in found]


NOISE = "湖心一社区3栋门口对面的工地晚上十一点以后还在施工，噪音很大，请尽快处理。"


def test_words_shared_by_another_problem_at_the_same_place_are_no_duplicate(
    db: Session, actors: factories.Actors, now: datetime
) -> None:
    """A broken lamp and night construction at the same door share the place and the form of the
    complaint, enough for the words alone to suggest a merge. Filed under the categories their matters
    set, they part: no merge is suggested. The same problem retold is still found."""
    noise = factories.make_ticket(
        db,
        actors,
        now=now,
        title="工地夜间施工噪音",
        content=NOISE,
        category_code="环境保护/环境污染/噪音污染",
    )
    lamp_category = "城乡建设/城市建设和市政管理/城市公共设施"
    lamp = factories.make_ticket(
        db, actors, now=now + timedelta(hours=2), title="路灯坏了", content=LAMP, category_code=lamp_category
    )
    words = textsim.cosines(
        textsim.words(lamp.title, lamp.content), [textsim.words(noise.title, noise.content)]
    )[0]
    assert words >= get_settings().duplicate_threshold  # the words alone would have suggested it
    assert duplicates.find(db, lamp) == []
    again = factories.make_ticket(
        db, actors, now=now + timedelta(hours=3), content=LAMP_AGAIN, category_code="城乡建设"
    )
    found = duplicates.find(db, again)
    assert [m.ticket_id for m in found] == [lamp.id]  # 城乡建设 and its subcategory do not part
    assert found[0].reasons["meaning"] >= duplicates.MEANING_FULL - 0.02
    assert duplicates.combined(0.4, None) == 0.4  # without the embedding, words alone
    assert duplicates.combined(0.4, duplicates.MEANING_FLOOR) == 0.0


def test_the_same_caller_is_matched_anywhere(db: Session, actors: factories.Actors, now: datetime) -> None:
    first = factories.make_ticket(db, actors, now=now, content=LAMP, area_code="MH-XC-GX-01")
    again = factories.make_ticket(db, actors, now=now + timedelta(hours=1), content=LAMP_AGAIN)
    (m,) = duplicates.find(db, again)
    assert m.ticket_id == first.id and m.reasons["same_caller"] is True


@pytest.fixture
def auto_threshold() -> Iterator[None]:
    s = get_settings()
    original = s.dispatch_auto_threshold
    s.dispatch_auto_threshold = 0.3
    yield
    s.dispatch_auto_threshold = original


def test_a_strong_duplicate_is_not_dispatched_by_the_system(
    client: TestClient,
    db: Session,
    actors: factories.Actors,
    dispatch_ready: ModelVersion,
    auto_threshold: None,
) -> None:
    op = principal_token(db, actors.operator)
    first = client.post("/api/v1/tickets", json={**WAGES, "channel": "web"}, headers=op).json()
    assert first["status"] == "dispatched"  # confident, no duplicate: dispatched by the system
    repeat = {
        **WAGES,
        "title": "工地拖欠工资",
        "content": WAGES["content"].replace("半年", "六个月"),
        "channel": "web",
    }
    second = client.post("/api/v1/tickets", json=repeat, headers=op).json()
    assert second["status"] == "registered"  # held for a person
    s = client.get(f"/api/v1/tickets/{second['id']}/suggestion", headers=op).json()
    assert s["decision"] == "triage" and "疑似重复" in s["reason"]
    dups = client.get(f"/api/v1/tickets/{second['id']}/duplicates", headers=op).json()
    assert dups[0]["candidate_number"] == first["number"] and dups[0]["score"] >= 0.6


def test_merge_from_the_queue_and_follow_up_of_every_citizen(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    master = factories.ticket_in(db, actors, Status.processing, now=now, content=LAMP)
    dup = factories.make_ticket(
        db,
        actors,
        now=now + timedelta(hours=1),
        content=LAMP_AGAIN,
        citizen={"name": "赵", "phone": "13600000000"},
    )
    other = factories.make_ticket(
        db, actors, now=now + timedelta(hours=1), content=LAMP_AGAIN, title="另一条"
    )
    rows = duplicates.detect(db, dup)
    duplicates.detect(db, other)
    db.commit()
    assert rows[0].candidate_id == master.id
    headers = principal_token(db, actors.dispatcher)
    queue = client.get("/api/v1/duplicates", headers=headers).json()
    mine = next(q for q in queue if q["ticket_id"] == dup.id and q["candidate_id"] == master.id)
    assert mine["ticket_number"] == dup.number
    r = client.post(f"/api/v1/duplicates/{mine['id']}/decision", json={"merge": True}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "merged", r.text
    again = client.post(f"/api/v1/duplicates/{mine['id']}/decision", json={"merge": False}, headers=headers)
    assert again.status_code == 409
    db.expire_all()
    assert db.get(Ticket, dup.id).status == Status.merged  # type: ignore[union-attr]
    assert all(q["ticket_id"] != dup.id for q in client.get("/api/v1/duplicates", headers=headers).json())

    # the merged citizen follows the master's progress
    track = client.post(f"/api/v1/public/tickets/{dup.number}/track", json={"code": dup.tracking_code}).json()
    assert track["merged_into"] == master.number and track["status"] == "processing"

    # the master is replied and approved: both citizens get a follow-up task
    wf.reply(db, ticket_id=master.id, reply="已更换路灯。", principal=actors.zjj, now=now + timedelta(days=1))
    wf.approve_reply(db, ticket_id=master.id, principal=actors.dispatcher, now=now + timedelta(days=1))
    counts = followup.sweep(db, now=now + timedelta(days=1, hours=1))
    assert counts["created"] == 1 and counts["merged"] == 1
    task = db.scalar(select(FollowUpTask).where(FollowUpTask.ticket_id == dup.id))
    assert task is not None and task.method == "sms_survey"
    track = client.post(f"/api/v1/public/tickets/{dup.number}/track", json={"code": dup.tracking_code}).json()
    assert track["reply"] == "已更换路灯。"
    followup.record(
        db,
        task=task,
        resolved=True,
        satisfaction=Satisfaction.basically_satisfied,
        comment=None,
        via="survey",
        principal=actors.operator,
        now=now + timedelta(days=3),
    )
    db.expire_all()
    merged = db.get(Ticket, dup.id)
    assert merged is not None
    assert merged.status == Status.merged and merged.satisfaction == Satisfaction.basically_satisfied
    assert merged.resolved is True
    assert followup.sweep(db, now=now + timedelta(days=3))["merged"] == 0  # once only


def test_dismiss_keeps_the_ticket(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    first = factories.make_ticket(db, actors, now=now, content=LAMP)
    dup = factories.make_ticket(db, actors, now=now + timedelta(hours=1), content=LAMP_AGAIN)
    (row,) = duplicates.detect(db, dup)
    db.commit()
    headers = principal_token(db, actors.dispatcher)
    r = client.post(f"/api/v1/duplicates/{row.id}/decision", json={"merge": False}, headers=headers)
    assert r.json()["status"] == "dismissed"
    db.expire_all()
    assert db.get(Ticket, dup.id).status == Status.registered  # type: ignore[union-attr]
    assert db.get(DuplicateCandidate, row.id).candidate_id == first.id  # type: ignore[union-attr]
    assert (
        client.post("/api/v1/duplicates/999999/decision", json={"merge": True}, headers=headers).status_code
        == 404
    )
    handler = principal_token(db, actors.zjj)
    assert client.get("/api/v1/duplicates", headers=handler).status_code == 403


def test_supports_count_once_per_person(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    t = factories.ticket_in(db, actors, Status.dispatched, now=now, public=True)
    private = factories.ticket_in(db, actors, Status.dispatched, now=now)
    db.commit()
    # a request the citizen did not publish cannot be supported: nobody outside may know it exists
    assert (
        client.post(
            f"/api/v1/public/tickets/{private.number}/supports", json={"phone": "13811112222"}
        ).status_code
        == 404
    )
    url = f"/api/v1/public/tickets/{t.number}/supports"
    first: dict[str, Any] = client.post(url, json={"phone": "13811112222"}).json()
    assert first == {"number": t.number, "supports": 1, "counted": True}
    assert client.post(url, json={"phone": "13811112222"}).json()["counted"] is False
    assert client.post(url, json={"phone": "13811113333"}).json()["supports"] == 2
    assert client.post(url, json={"phone": "not a phone"}).status_code == 422
    assert (
        client.post(
            "/api/v1/public/tickets/20990101-000001/supports", json={"phone": "13811112222"}
        ).status_code
        == 404
    )
