"""Every action from every status: allowed exactly where the transition table says, refused elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.enums import Role
from hotline.accounts.principal import Principal
from hotline.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from hotline.tickets.enums import EventKind, Satisfaction
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.states import STATUSES, Status
from hotline.workflow import service as wf
from hotline.workflow.enums import ExtensionStatus
from hotline.workflow.transitions import TRANSITIONS, Action, allowed_actions, check
from tests.factories import Actors, make_ticket, ticket_in

Perform = Callable[[Session, Actors, Ticket, datetime], object]


def _actor_for_department_action(a: Actors) -> Principal:
    return a.zjj  # the lead department of tickets built by ticket_in


def _decide_pending_extension(db: Session, a: Actors, t: Ticket, now: datetime) -> object:
    pending = wf.list_extensions(db, principal=a.dispatcher, status=ExtensionStatus.pending)
    ext_id = next((e.id for e in pending if e.ticket_id == t.id), -1)
    return wf.decide_extension(
        db, ticket_id=t.id, extension_id=ext_id, approve=True, principal=a.dispatcher, now=now
    )


def _build(db: Session, a: Actors, action: Action, status: Status, now: datetime) -> Ticket:
    """Return a ticket in `status` that has what `action` needs (a pending extension, a unit below)."""
    if action == Action.decide_extension and status in TRANSITIONS[action].sources:
        t = ticket_in(db, a, Status.processing, now=now)
        wf.request_extension(db, ticket_id=t.id, days=2, reason="需协调施工队", principal=a.zjj, now=now)
        if status == Status.waiting_citizen:
            wf.suspend(db, ticket_id=t.id, reason="待补材料", principal=a.zjj, now=now)
        elif status == Status.replied:
            wf.reply(db, ticket_id=t.id, reply="已处理", principal=a.zjj, now=now)
        assert t.status == status
        return t
    # hand-down is done by an area centre that has units below it
    return ticket_in(db, a, status, now=now, dept="HB-ZX" if action == Action.hand_down else "ZJJ")


PERFORM: dict[Action, Perform] = {
    Action.answer_directly: lambda db, a, t, n: wf.answer_directly(
        db, ticket_id=t.id, answer="按政策答复", principal=a.operator, now=n
    ),
    Action.dispatch: lambda db, a, t, n: wf.dispatch(
        db, ticket_id=t.id, department_id=a.dept_id("CGJ", db), principal=a.dispatcher, now=n
    ),
    Action.sign: lambda db, a, t, n: wf.sign(db, ticket_id=t.id, principal=a.zjj, now=n),
    Action.hand_down: lambda db, a, t, n: wf.hand_down(
        db, ticket_id=t.id, department_id=a.dept_id("HB-HX", db), principal=a.hb_center, now=n
    ),
    Action.return_: lambda db, a, t, n: wf.return_ticket(
        db, ticket_id=t.id, reason="非本单位职责", principal=a.zjj, now=n
    ),
    Action.accept_return: lambda db, a, t, n: wf.accept_return(
        db, ticket_id=t.id, department_id=a.dept_id("CGJ", db), principal=a.dispatcher, now=n
    ),
    Action.reject_return: lambda db, a, t, n: wf.reject_return(
        db, ticket_id=t.id, comment="属于贵单位职责", principal=a.dispatcher, now=n
    ),
    Action.request_extension: lambda db, a, t, n: wf.request_extension(
        db, ticket_id=t.id, days=2, reason="需协调", principal=a.zjj, now=n
    ),
    Action.decide_extension: _decide_pending_extension,
    Action.suspend: lambda db, a, t, n: wf.suspend(
        db, ticket_id=t.id, reason="待补材料", principal=a.zjj, now=n
    ),
    Action.resume: lambda db, a, t, n: wf.resume(db, ticket_id=t.id, principal=a.zjj, now=n),
    Action.reply: lambda db, a, t, n: wf.reply(
        db, ticket_id=t.id, reply="已处理完毕", principal=a.zjj, now=n
    ),
    Action.approve_reply: lambda db, a, t, n: wf.approve_reply(
        db, ticket_id=t.id, principal=a.dispatcher, now=n
    ),
    Action.reject_reply: lambda db, a, t, n: wf.reject_reply(
        db, ticket_id=t.id, comment="答复不完整", principal=a.dispatcher, now=n
    ),
    Action.record_follow_up: lambda db, a, t, n: wf.record_follow_up(
        db, ticket_id=t.id, resolved=True, satisfaction=Satisfaction.satisfied, principal=a.operator, now=n
    ),
    Action.close: lambda db, a, t, n: wf.close(
        db, ticket_id=t.id, comment="市民要求不回访", principal=a.dispatcher, now=n
    ),
    Action.reopen: lambda db, a, t, n: wf.reopen(
        db, ticket_id=t.id, reason="市民不满意", principal=a.dispatcher, now=n
    ),
    Action.merge: lambda db, a, t, n: wf.merge(
        db,
        ticket_id=t.id,
        master_id=make_ticket(db, a, now=n, title="主工单").id,
        principal=a.operator,
        now=n,
    ),
    Action.hand_off: lambda db, a, t, n: wf.hand_off(
        db, ticket_id=t.id, service="120", principal=a.operator, now=n
    ),
    Action.withdraw: lambda db, a, t, n: wf.withdraw(
        db, ticket_id=t.id, reason="市民撤回", principal=a.operator, now=n
    ),
    Action.comment: lambda db, a, t, n: wf.add_comment(
        db, ticket_id=t.id, comment="备注", principal=a.operator, now=n
    ),
    Action.set_confidential: lambda db, a, t, n: wf.set_confidential(
        db, ticket_id=t.id, confidential=True, comment="涉及个人隐私", principal=a.operator, now=n
    ),
}


def test_every_action_has_a_transition_a_test_driver_and_an_event_kind() -> None:
    # registering creates the ticket (Permission.register_ticket); every action is a row of the table
    assert set(TRANSITIONS) == set(Action)
    assert set(PERFORM) == set(TRANSITIONS)
    assert {a.value for a in Action} <= {k.value for k in EventKind}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_action_allowed_exactly_from_its_sources(
    db: Session, actors: Actors, now: datetime, action: Action, status: Status
) -> None:
    ticket = _build(db, actors, action, status, now)
    events_before = db.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    )
    rule = TRANSITIONS[action]
    later = now + timedelta(hours=3)
    if status in rule.sources:
        PERFORM[action](db, actors, ticket, later)
        db.refresh(ticket)
        if rule.targets:
            assert ticket.status in rule.targets
        else:
            assert ticket.status == status
        last = db.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id.desc())
        ).first()
        assert last is not None and last.action == action.value
    else:
        # a department holding no assignment on the ticket cannot see it (404) or act on it (403);
        # otherwise the status refuses (409)
        refusals = (
            (InvalidTransition, NotFound, PermissionDenied) if rule.by_department else (InvalidTransition,)
        )
        with pytest.raises(refusals):
            PERFORM[action](db, actors, ticket, later)
        db.refresh(ticket)
        assert ticket.status == status
        events_after = db.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        )
        assert events_after == events_before


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_roles_not_in_the_table_are_refused(action: Action) -> None:
    rule = TRANSITIONS[action]
    source = next(iter(rule.sources))
    for role in Role:
        if role in rule.roles:
            assert check(action, source, role) is rule
        else:
            with pytest.raises(PermissionDenied):
                check(action, source, role)


def test_leader_cannot_dispatch_and_handler_cannot_review(db: Session, actors: Actors, now: datetime) -> None:
    t = ticket_in(db, actors, Status.registered, now=now)
    with pytest.raises(PermissionDenied):
        wf.dispatch(
            db, ticket_id=t.id, department_id=actors.dept_id("ZJJ", db), principal=actors.leader, now=now
        )
    r = ticket_in(db, actors, Status.replied, now=now)
    with pytest.raises(DomainError):
        wf.approve_reply(db, ticket_id=r.id, principal=actors.zjj, now=now)
    assert r.status == Status.replied


def test_allowed_actions_follow_the_table() -> None:
    assert Action.dispatch in allowed_actions(Status.registered, Role.dispatcher)
    assert Action.sign in allowed_actions(Status.dispatched, Role.handler)
    assert Action.sign not in allowed_actions(Status.dispatched, Role.operator)
    assert allowed_actions(Status.merged, Role.handler) == [Action.comment]


def test_every_status_has_a_category_and_labels() -> None:
    assert set(STATUSES) == set(Status)
    assert all(i.label_zh and i.label_en for i in STATUSES.values())
