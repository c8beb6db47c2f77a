"""Follow-up: a task the next working day after the reply is approved, an SMS survey link, the
citizen's answer on the page or to an operator, free text read, and a reopen when the fault is the
department's — automatically or after review."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.followup import service
from hotline.followup.models import FollowUpTask
from hotline.notify.models import Notification
from hotline.tickets.enums import Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, ticket_in


def _task(db: Session, ticket_id: int) -> FollowUpTask:
    return db.scalars(
        select(FollowUpTask).where(FollowUpTask.ticket_id == ticket_id).order_by(FollowUpTask.id.desc())
    ).first()  # type: ignore[return-value]


def _ready(db: Session, actors: Actors, now: datetime, **kw: object) -> tuple[Ticket, FollowUpTask, datetime]:
    t = ticket_in(db, actors, Status.follow_up, now=now, **kw)
    at = t.updated_at + timedelta(minutes=1)
    assert service.sweep(db, now=at)["created"] == 1
    return t, _task(db, t.id), at


def test_survey_is_sent_when_due_and_answered_on_the_page(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t, task, at = _ready(db, actors, now)
    assert task.method == "sms_survey" and task.due_at > at
    assert service.sweep(db, now=at)["sent"] == 0  # not before the next working day
    assert service.sweep(db, now=task.due_at)["sent"] == 1
    sms = db.scalars(
        select(Notification).where(
            Notification.ticket_id == t.id, Notification.template == "follow_up_survey"
        )
    ).one()
    assert sms.channel == "sms" and sms.recipient == "13812345678" and f"/s/{task.token}" in sms.body
    db.commit()
    page = client.get(f"/s/{task.token}")
    assert page.status_code == 200 and "您对办理结果满意吗" in page.text and t.number in page.text
    r = client.post(
        f"/s/{task.token}",
        data={"resolved": "true", "satisfaction": "satisfied", "comment": "处理很及时，谢谢"},
    )
    assert r.status_code == 200 and "提交成功" in r.text
    db.expire_all()
    ticket = db.get(Ticket, t.id)
    assert (
        ticket is not None
        and ticket.status == Status.closed
        and ticket.satisfaction == Satisfaction.satisfied
    )
    assert _task(db, t.id).outcome == "closed"
    assert "已完成评价" in client.get(f"/s/{task.token}").text
    assert client.get("/s/nonsense").status_code == 404


def test_unsatisfied_within_the_departments_power_goes_to_review_then_reopens(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    assert get_settings().follow_up_reopen == "review"
    t, task, _at = _ready(db, actors, now)
    db.commit()
    r = client.post(
        f"/api/v1/public/surveys/{task.token}", json={"comment": "路灯还是不亮，根本没人来修，很不满意"}
    )
    assert r.status_code == 200, r.text
    db.expire_all()
    task = _task(db, t.id)
    assert task.status == "review" and task.satisfaction == "unsatisfied" and task.resolved is False
    assert task.classification["within_power"] is True
    headers = principal_token(db, actors.dispatcher)
    queue = client.get("/api/v1/follow-ups", headers=headers).json()
    assert task.id in [q["id"] for q in queue]
    r = client.post(f"/api/v1/follow-ups/{task.id}/decision", json={"reopen": True}, headers=headers)
    assert r.status_code == 200, r.text
    db.expire_all()
    ticket = db.get(Ticket, t.id)
    assert ticket is not None and ticket.status == Status.dispatched and ticket.reopen_count == 1
    reopened = db.scalars(
        select(Notification).where(Notification.ticket_id == t.id, Notification.template == "reopened")
    ).all()
    assert reopened and "根本没人来修" in reopened[0].body
    assert (
        client.post(f"/api/v1/public/surveys/{task.token}", json={"satisfaction": "satisfied"}).status_code
        == 409
    )


def test_auto_reopen_and_policy_complaints_stay_closed(db: Session, actors: Actors, now: datetime) -> None:
    settings = get_settings()
    settings.follow_up_reopen = "auto"
    try:
        t, task, _ = _ready(db, actors, now)
        service.record(
            db,
            task=task,
            resolved=None,
            satisfaction=None,
            comment="问题没解决，敷衍了事",
            via="survey",
            principal=actors.operator,
        )
        assert db.get(Ticket, t.id).status == Status.dispatched  # type: ignore[union-attr]
        u, other, _ = _ready(db, actors, now)
        service.record(
            db,
            task=other,
            resolved=None,
            satisfaction=Satisfaction.unsatisfied,
            comment="不满意，政策规定我不符合条件",
            via="survey",
            principal=actors.operator,
        )
        assert other.outcome == "closed" and db.get(Ticket, u.id).status == Status.closed  # type: ignore[union-attr]
    finally:
        settings.follow_up_reopen = "review"


def test_no_contact_means_no_follow_up(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(
        db,
        actors,
        Status.follow_up,
        now=now,
        citizen={"name": "王女士", "phone": "13911112222", "no_contact": True},
    )
    counts = service.sweep(db, now=t.updated_at + timedelta(days=5))
    assert counts["skipped_no_contact"] == 1 and counts["sent"] == 0
    assert db.get(Ticket, t.id).status == Status.closed  # type: ignore[union-attr]
    assert not db.scalars(
        select(Notification).where(Notification.ticket_id == t.id, Notification.channel == "sms")
    ).all()


def test_unanswered_survey_becomes_a_call_with_a_script(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t, task, _ = _ready(db, actors, now)
    service.sweep(db, now=task.due_at)
    assert service.sweep(db, now=task.due_at + timedelta(days=3))["to_call"] == 1
    db.commit()
    headers = principal_token(db, actors.operator)
    queue = client.get("/api/v1/follow-ups", headers=headers).json()
    mine = next(q for q in queue if q["id"] == task.id)
    assert (
        mine["method"] == "call" and t.number in mine["script"][0] and mine["citizen_phone"] == "13812345678"
    )
    r = client.post(
        f"/api/v1/follow-ups/{task.id}/record",
        json={"resolved": True, "satisfaction": "basically_satisfied"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert client.get("/api/v1/follow-ups", headers=principal_token(db, actors.zjj)).status_code == 403
