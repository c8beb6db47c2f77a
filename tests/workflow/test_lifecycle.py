"""Whole paths through the lifecycle: deadlines stored, returns arbitrated, extensions, hand-down,
co-handling, pause and resume, merge, reopen — and the event log that records each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from hotline.errors import Conflict, InvalidInput, InvalidTransition
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import (
    AssignmentRole,
    AssignmentStatus,
    LinkKind,
    RequestType,
    Satisfaction,
    Urgency,
)
from hotline.tickets.models import Assignment, TicketEvent, TicketLink
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from hotline.workflow.enums import ExtensionStatus
from tests.factories import Actors, make_ticket, ticket_in

SH = ZoneInfo("Asia/Shanghai")


def _assignments(db: Session, ticket_id: int) -> list[Assignment]:
    return list(
        db.scalars(select(Assignment).where(Assignment.ticket_id == ticket_id).order_by(Assignment.id))
    )


def _events(db: Session, ticket_id: int) -> list[TicketEvent]:
    return list(
        db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
    )


def test_full_path_with_stored_deadlines_across_national_day(db: Session, actors: Actors) -> None:
    registered = datetime(2026, 9, 30, 9, 0, tzinfo=SH)  # Wednesday, the last working day before the holiday
    t = make_ticket(db, actors, now=registered, request_type=RequestType.complaint)
    assert t.number.startswith("20260930-")
    wf.dispatch(
        db,
        ticket_id=t.id,
        department_id=actors.dept_id("ZJJ", db),
        principal=actors.dispatcher,
        now=registered + timedelta(hours=7),
    )  # 16:00
    (lead,) = _assignments(db, t.id)
    # sign-for: 2 working hours → 1.5 h on 30 Sept and 0.5 h on 8 Oct
    assert lead.sign_due_at == datetime(2026, 10, 8, 9, 0, tzinfo=SH)
    # complaint: 13 working days, counting Saturday 10 Oct (调休)
    assert t.due_at == lead.due_at == datetime(2026, 10, 23, 17, 30, tzinfo=SH)

    wf.sign(db, ticket_id=t.id, principal=actors.zjj, now=datetime(2026, 10, 8, 8, 45, tzinfo=SH))
    wf.reply(
        db, ticket_id=t.id, reply="已维修", principal=actors.zjj, now=datetime(2026, 10, 9, 10, tzinfo=SH)
    )
    wf.reject_reply(
        db,
        ticket_id=t.id,
        comment="未说明维修时间和责任人",
        principal=actors.dispatcher,
        now=datetime(2026, 10, 9, 11, tzinfo=SH),
    )
    assert t.status == Status.processing and lead.status == AssignmentStatus.signed
    wf.reply(
        db,
        ticket_id=t.id,
        reply="10月9日由市政维修队张师傅更换灯泡，已恢复照明。",
        principal=actors.zjj,
        now=datetime(2026, 10, 9, 15, tzinfo=SH),
    )
    wf.approve_reply(
        db, ticket_id=t.id, principal=actors.dispatcher, now=datetime(2026, 10, 9, 16, tzinfo=SH)
    )
    wf.record_follow_up(
        db,
        ticket_id=t.id,
        resolved=False,
        satisfaction=Satisfaction.unsatisfied,
        principal=actors.operator,
        now=datetime(2026, 10, 10, 10, tzinfo=SH),
    )
    assert t.status == Status.closed and t.closed_at is not None
    wf.reopen(
        db,
        ticket_id=t.id,
        reason="市民反映路灯又不亮了",
        principal=actors.dispatcher,
        now=datetime(2026, 10, 12, 9, tzinfo=SH),
    )
    assert t.status == Status.dispatched and t.reopen_count == 1
    assert t.resolved is None and t.satisfaction is None and t.closed_at is None
    assert _assignments(db, t.id)[-1].department_id == actors.dept_id("ZJJ", db)

    events = _events(db, t.id)
    assert [e.action for e in events] == [
        "register",
        "dispatch",
        "sign",
        "reply",
        "reject_reply",
        "reply",
        "approve_reply",
        "record_follow_up",
        "reopen",
    ]
    assert [(e.from_status, e.to_status) for e in events[:3]] == [
        (None, "registered"),
        ("registered", "dispatched"),
        ("dispatched", "processing"),
    ]
    assert events[1].actor_id == actors.dispatcher.user_id and events[1].actor_role == "dispatcher"
    assert events[4].comment == "未说明维修时间和责任人"
    assert events[7].data == {"resolved": False, "satisfaction": "unsatisfied"}
    assert events[8].data["previous"] == {"resolved": False, "satisfaction": "unsatisfied"}


def test_emergency_deadline_in_calendar_hours(db: Session, actors: Actors) -> None:
    night = datetime(2026, 10, 3, 22, 0, tzinfo=SH)  # a holiday night
    t = make_ticket(db, actors, now=night, urgency=Urgency.emergency)
    wf.dispatch(
        db, ticket_id=t.id, department_id=actors.dept_id("ZJJ", db), principal=actors.dispatcher, now=night
    )
    assert t.due_at == night + timedelta(hours=4)
    assert _assignments(db, t.id)[0].sign_due_at == night + timedelta(minutes=30)


def test_return_accepted_redispatches_with_fresh_deadlines(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.returned, now=now)
    first = _assignments(db, t.id)[0]
    assert first.status == AssignmentStatus.returned and first.return_reason == "不属于本单位职责"
    with pytest.raises(InvalidInput):
        wf.accept_return(
            db, ticket_id=t.id, department_id=first.department_id, principal=actors.dispatcher, now=now
        )
    later = now + timedelta(days=1)
    wf.accept_return(
        db,
        ticket_id=t.id,
        department_id=actors.dept_id("CGJ", db),
        principal=actors.dispatcher,
        comment="同意退单，改派城管局",
        now=later,
    )
    old, new = _assignments(db, t.id)
    assert old.status == AssignmentStatus.cancelled
    assert new.department_id == actors.dept_id("CGJ", db) and new.status == AssignmentStatus.pending
    assert new.created_at == later and t.dispatched_at == later
    assert t.status == Status.dispatched and t.lead_department_id == new.department_id
    # the old department's assignment is void: it can no longer act on it
    with pytest.raises(InvalidTransition):
        wf.sign(db, ticket_id=t.id, principal=actors.zjj, now=later)
    wf.sign(db, ticket_id=t.id, principal=actors.cgj, now=later)
    assert t.status == Status.processing


def test_return_rejected_goes_back_to_where_it_was(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    wf.return_ticket(
        db,
        ticket_id=t.id,
        reason="应由街道办理",
        basis="《物业管理条例》第十条",
        principal=actors.zjj,
        now=now,
    )
    wf.reject_return(db, ticket_id=t.id, comment="路灯维护属于贵局职责", principal=actors.dispatcher, now=now)
    (a,) = _assignments(db, t.id)
    assert t.status == Status.processing and a.status == AssignmentStatus.signed
    assert a.return_basis == "《物业管理条例》第十条"


def test_extension_moves_the_stored_deadlines(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    before = t.due_at
    assert before is not None
    ext = wf.request_extension(
        db, ticket_id=t.id, days=5, reason="需等待材料到货", principal=actors.zjj, now=now
    )
    with pytest.raises(Conflict):
        wf.request_extension(db, ticket_id=t.id, days=1, reason="again", principal=actors.zjj, now=now)
    wf.decide_extension(
        db, ticket_id=t.id, extension_id=ext.id, approve=True, days=3, principal=actors.dispatcher, now=now
    )
    assert ext.status == ExtensionStatus.approved and ext.old_due_at == before
    # help request: 3 working days from Wed 16 Sept = Thu, Fri, and Sunday 20 Sept (a make-up day)
    assert before == datetime(2026, 9, 20, 17, 30, tzinfo=SH)
    assert t.due_at == ext.new_due_at == datetime(2026, 9, 23, 17, 30, tzinfo=SH)
    assert _assignments(db, t.id)[0].due_at == t.due_at
    with pytest.raises(Conflict):
        wf.decide_extension(
            db, ticket_id=t.id, extension_id=ext.id, approve=False, principal=actors.dispatcher, now=now
        )


def test_extension_must_be_asked_before_the_deadline(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    assert t.due_at is not None
    with pytest.raises(Conflict):
        wf.request_extension(
            db,
            ticket_id=t.id,
            days=2,
            reason="太晚了",
            principal=actors.zjj,
            now=t.due_at + timedelta(minutes=1),
        )


def test_denied_extension_keeps_the_deadline(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    before = t.due_at
    ext = wf.request_extension(db, ticket_id=t.id, days=5, reason="人手不足", principal=actors.zjj, now=now)
    wf.decide_extension(
        db,
        ticket_id=t.id,
        extension_id=ext.id,
        approve=False,
        comment="理由不充分",
        principal=actors.dispatcher,
        now=now,
    )
    assert ext.status == ExtensionStatus.denied and t.due_at == before


def test_pause_and_resume_shift_deadline_by_paused_working_time(db: Session, actors: Actors) -> None:
    start = datetime(2026, 9, 16, 10, 0, tzinfo=SH)
    t = ticket_in(db, actors, Status.processing, now=start)
    due = t.due_at
    assert due is not None
    paused = datetime(2026, 9, 17, 15, 30, tzinfo=SH)  # Thursday
    wf.suspend(db, ticket_id=t.id, reason="请市民补充照片", principal=actors.zjj, now=paused)
    assert t.status == Status.waiting_citizen and t.paused_at == paused
    # overdue filter ignores paused tickets
    rows, _ = ticket_service.list_tickets(
        db,
        principal=actors.dispatcher,
        filters=ticket_service.TicketFilter(overdue=True),
        now=due + timedelta(days=3),
    )
    assert t.id not in [r.id for r in rows]
    resumed = datetime(2026, 9, 18, 9, 30, tzinfo=SH)  # Friday: 2 h on Thu + 1 h on Fri
    wf.resume(db, ticket_id=t.id, principal=actors.zjj, now=resumed)
    assert t.status == Status.processing and t.paused_at is None
    # due was Sunday 20 Sept 17:30 (make-up day); +3 working hours → Monday 21 Sept 11:30
    assert due == datetime(2026, 9, 20, 17, 30, tzinfo=SH)
    assert t.due_at == datetime(2026, 9, 21, 11, 30, tzinfo=SH)
    assert _events(db, t.id)[-1].data["paused_working_seconds"] == 3 * 3600


def test_hand_down_keeps_overall_deadline_and_moves_the_work(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.dispatched, now=now, dept="HB-ZX")
    wf.sign(db, ticket_id=t.id, principal=actors.hb_center, now=now)
    with pytest.raises(InvalidInput):  # 城管局 is not below 湖滨区分中心
        wf.hand_down(
            db, ticket_id=t.id, department_id=actors.dept_id("CGJ", db), principal=actors.hb_center, now=now
        )
    wf.hand_down(
        db,
        ticket_id=t.id,
        department_id=actors.dept_id("HB-HX", db),
        principal=actors.hb_center,
        instructions="请湖心街道核实处理",
        now=now,
    )
    parent, child = _assignments(db, t.id)
    assert parent.status == AssignmentStatus.handed_down
    assert child.parent_id == parent.id and child.due_at == parent.due_at == t.due_at
    assert t.status == Status.dispatched and t.lead_department_id == actors.dept_id("HB-HX", db)
    wf.sign(db, ticket_id=t.id, principal=actors.hb_hx, now=now)
    wf.reply(db, ticket_id=t.id, reply="街道已处理", principal=actors.hb_hx, now=now)
    assert t.status == Status.replied
    # the district centre still sees the ticket (it handed it down) but can no longer reply
    assert ticket_service.get_ticket(db, ticket_id=t.id, principal=actors.hb_center).id == t.id


def test_co_handlers_sign_and_reply_without_moving_the_ticket(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = make_ticket(db, actors, now=now)
    with pytest.raises(InvalidInput):
        wf.dispatch(
            db,
            ticket_id=t.id,
            department_id=actors.dept_id("ZJJ", db),
            principal=actors.dispatcher,
            co_department_ids=[actors.dept_id("ZJJ", db)],
            now=now,
        )
    wf.dispatch(
        db,
        ticket_id=t.id,
        department_id=actors.dept_id("ZJJ", db),
        principal=actors.dispatcher,
        co_department_ids=[actors.dept_id("CGJ", db)],
        now=now,
    )
    lead, co = _assignments(db, t.id)
    assert (lead.role, co.role) == (AssignmentRole.lead, AssignmentRole.co)
    wf.sign(db, ticket_id=t.id, principal=actors.cgj, now=now)
    assert t.status == Status.dispatched and co.status == AssignmentStatus.signed
    wf.reply(db, ticket_id=t.id, reply="城管局已配合清理占道", principal=actors.cgj, now=now)
    assert t.status == Status.dispatched and co.status == AssignmentStatus.replied
    wf.sign(db, ticket_id=t.id, principal=actors.zjj, now=now)
    assert t.status == Status.processing
    co_events = [e for e in _events(db, t.id) if e.department_id == co.department_id]
    assert [(e.action, e.to_status) for e in co_events] == [("sign", None), ("reply", None)]


def test_merge_links_and_cancels(db: Session, actors: Actors, now: datetime) -> None:
    master = make_ticket(db, actors, now=now, title="同一路灯")
    dup = make_ticket(db, actors, now=now, title="同一路灯（重复来电）")
    with pytest.raises(InvalidInput):
        wf.merge(db, ticket_id=dup.id, master_id=dup.id, principal=actors.operator, now=now)
    wf.merge(db, ticket_id=dup.id, master_id=master.id, principal=actors.operator, now=now)
    assert dup.status == Status.merged and dup.master_id == master.id
    link = db.scalar(select(TicketLink).where(TicketLink.ticket_id == dup.id))
    assert link is not None and link.other_id == master.id and link.kind == LinkKind.duplicate_of
    assert _events(db, master.id)[-1].action == "merged_in"
    third = make_ticket(db, actors, now=now, title="再一次")
    with pytest.raises(InvalidInput):  # merging into a merged ticket is refused
        wf.merge(db, ticket_id=third.id, master_id=dup.id, principal=actors.operator, now=now)


def test_hand_off_records_service_and_reference(db: Session, actors: Actors, now: datetime) -> None:
    t = make_ticket(db, actors, now=now, content="小区3栋起火，有人被困！")
    wf.hand_off(
        db, ticket_id=t.id, service="119", reference="119-20260916-0042", principal=actors.operator, now=now
    )
    assert t.status == Status.handed_off and t.urgency == Urgency.emergency
    assert _events(db, t.id)[-1].data == {
        "service": "119",
        "reference": "119-20260916-0042",
        "handed_at": now.isoformat(),
    }


def test_withdraw_cancels_open_assignments(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.dispatched, now=now)
    wf.withdraw(db, ticket_id=t.id, reason="市民来电撤回", principal=actors.operator, now=now)
    assert t.status == Status.closed and _assignments(db, t.id)[0].status == AssignmentStatus.cancelled


def test_event_log_is_append_only_in_the_database(db: Session, actors: Actors, now: datetime) -> None:
    t = make_ticket(db, actors, now=now)
    event_id = _events(db, t.id)[0].id
    db.commit()
    for statement in (
        "UPDATE ticket_events SET comment = 'x' WHERE id = :id",
        "DELETE FROM ticket_events WHERE id = :id",
    ):
        nested = db.begin_nested()
        with pytest.raises(DatabaseError, match="append-only"):
            db.execute(text(statement), {"id": event_id})
        nested.rollback()
    assert _events(db, t.id)[0].comment is None


def test_inbox_lists_own_open_assignments_soonest_first(db: Session, actors: Actors, now: datetime) -> None:
    a = ticket_in(db, actors, Status.dispatched, now=now)
    b = ticket_in(db, actors, Status.processing, now=now - timedelta(days=2))
    ticket_in(db, actors, Status.dispatched, now=now, dept="CGJ")
    items = wf.inbox(db, principal=actors.zjj, now=now)
    ids = [t.id for _, t, _ in items]
    assert ids.index(b.id) < ids.index(a.id)
    assert all(assignment.department_id == actors.zjj.department_id for assignment, _, _ in items)
    later = now.astimezone(UTC) + timedelta(days=30)
    late = wf.inbox(db, principal=actors.zjj, now=later)
    assert all(hours_left < 0 for _, _, hours_left in late)
