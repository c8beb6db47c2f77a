"""The deadline watch: each warning, overdue mark, reminder and escalation fires once, at its time,
for the right department; paused tickets wait; an extension is a new deadline; two workers sweeping
at once never act twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.notify.models import Notification
from hotline.org import service as org_service
from hotline.supervision import watch
from hotline.supervision.models import DeadlineAction
from hotline.tickets.models import Assignment, TicketEvent
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests.factories import Actors, ticket_in


def _kinds(db: Session, ticket_id: int) -> list[str]:
    return [a.kind for a in watch.actions_for(db, ticket_id=ticket_id)]


def _lead(db: Session, ticket_id: int) -> Assignment:
    return db.scalars(
        select(Assignment).where(Assignment.ticket_id == ticket_id).order_by(Assignment.id.desc())
    ).first()  # type: ignore[return-value]


def test_sign_for_warning_then_overdue_once_each(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.dispatched, now=now)
    a = _lead(db, t.id)
    assert watch.sweep(db, now=now)["sign_warning"] == 0
    before = a.sign_due_at - timedelta(minutes=30)
    assert watch.sweep(db, now=before)["sign_warning"] == 1
    assert watch.sweep(db, now=before + timedelta(minutes=1))["sign_warning"] == 0
    warned = db.scalars(
        select(Notification).where(Notification.ticket_id == t.id, Notification.template == "sign_warning")
    ).all()
    assert actors.zjj.user_id in {n.user_id for n in warned} and all(n.channel == "in_app" for n in warned)
    after = a.sign_due_at + timedelta(minutes=1)
    assert watch.sweep(db, now=after)["sign_overdue"] == 1
    assert watch.sweep(db, now=after)["sign_overdue"] == 0
    assert _kinds(db, t.id) == ["sign_warning", "sign_overdue"]
    assert (
        db.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id == t.id, TicketEvent.action == "sign_overdue")
        )
        == 1
    )


def test_handling_warning_overdue_reminder_and_escalation(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    a = _lead(db, t.id)
    due = a.due_at
    assert watch.sweep(db, now=due - timedelta(hours=2))["handle_warning"] == 1
    counts = watch.sweep(db, now=due + timedelta(minutes=5))
    assert counts["overdue"] == 1 and counts["reminder"] == 0
    # the next working day after the miss: 催办
    later = due + timedelta(days=1)
    while watch.sweep(db, now=later)["reminder"] == 0 and later < due + timedelta(days=7):
        later += timedelta(hours=6)
    assert "reminder" in _kinds(db, t.id)
    # three overdue working days (the default): the area centre serving 湖心一社区 is told
    far = due + timedelta(days=10)
    assert watch.sweep(db, now=far)["escalation"] == 1
    assert watch.sweep(db, now=far)["escalation"] == 0
    hb_center = org_service.get_department_by_code(db, code="HB-ZX").id
    event = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "escalation")
    ).one()
    assert event.department_id == hb_center and event.data == {"overdue_working_days": 3}
    told = db.scalars(
        select(Notification.user_id).where(
            Notification.template == "escalation", Notification.ticket_id == t.id
        )
    ).all()
    assert actors.hb_center.user_id in told
    assert _kinds(db, t.id) == ["handle_warning", "overdue", "reminder", "escalation"]


def test_paused_tickets_wait_and_an_extension_is_a_new_deadline(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    a = _lead(db, t.id)
    wf.suspend(
        db, ticket_id=t.id, reason="等待市民补充材料", principal=actors.zjj, now=now + timedelta(minutes=30)
    )
    assert watch.sweep(db, now=a.due_at + timedelta(hours=1))["overdue"] == 0
    wf.resume(db, ticket_id=t.id, principal=actors.zjj, now=now + timedelta(hours=1))
    db.refresh(a)
    assert watch.sweep(db, now=a.due_at + timedelta(minutes=1))["overdue"] == 1
    old_due = a.due_at
    a.due_at = old_due + timedelta(days=5)  # as an approved extension does
    db.flush()
    assert watch.sweep(db, now=old_due + timedelta(days=1))["overdue"] == 0
    assert watch.sweep(db, now=a.due_at + timedelta(minutes=1))["overdue"] == 1


def test_two_workers_sweeping_at_once_act_once(committing_engine: Engine) -> None:
    factory = sessionmaker(committing_engine, expire_on_commit=False)
    with factory() as s:
        from tests.factories import actors as load_actors

        people = load_actors(s)
        base = datetime(2026, 9, 16, 2, 0, tzinfo=UTC)
        ids = [ticket_in(s, people, Status.processing, now=base).id for _ in range(12)]
        s.commit()
        due = max(_lead(s, i).due_at for i in ids)
    moment = due + timedelta(minutes=5)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            with factory() as s:
                results.append(watch.sweep(s, now=moment))
                s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(r["overdue"] for r in results) == 12
    with factory() as s:
        rows = s.scalars(
            select(DeadlineAction).where(DeadlineAction.ticket_id.in_(ids), DeadlineAction.kind == "overdue")
        ).all()
        assert sorted(r.ticket_id for r in rows) == sorted(ids)
        events = s.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id.in_(ids), TicketEvent.action == "overdue")
        )
        assert events == 12
