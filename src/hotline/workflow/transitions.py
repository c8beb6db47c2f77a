"""The one transition table of the ticket lifecycle: action → allowed sources, targets and roles.

An action not allowed from the ticket's current status is an InvalidTransition (HTTP 409); a role
not listed is a PermissionDenied (HTTP 403). Services look actions up here and nowhere else; the role
groups are accounts.policy's, and every action is logged as the tickets.events.EventKind of its name.
Registering a request is not a transition (it has no status to come from): Permission.register_ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.accounts.enums import Role
from hotline.accounts.policy import CENTRE, CENTRE_STAFF, DEPARTMENT, INTAKE, MACHINES
from hotline.errors import InvalidTransition, PermissionDenied
from hotline.tickets.states import Status

S = Status


class Action(StrEnum):
    answer_directly = "answer_directly"  # 直接答复
    dispatch = "dispatch"  # 派单
    sign = "sign"  # 签收
    hand_down = "hand_down"  # 转办 (to a unit below)
    return_ = "return"  # 退单
    accept_return = "accept_return"  # 退单审核通过, re-dispatch
    reject_return = "reject_return"  # 退单驳回, back to the department
    request_extension = "request_extension"  # 申请延期
    decide_extension = "decide_extension"  # 延期审批
    suspend = "suspend"  # 挂起, waiting for the citizen
    resume = "resume"  # 恢复办理
    reply = "reply"  # 办结反馈
    approve_reply = "approve_reply"  # 审核通过
    reject_reply = "reject_reply"  # 审核退回
    record_follow_up = "record_follow_up"  # 回访
    close = "close"  # 归档 without follow-up (no contact wanted / unreachable)
    reopen = "reopen"  # 重办
    merge = "merge"  # 并单
    hand_off = "hand_off"  # 移交 110/119/120/122
    withdraw = "withdraw"  # 撤单 at the citizen's request
    comment = "comment"  # 备注
    set_confidential = "set_confidential"  # 保密: never public, whatever the citizen chose


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    targets: tuple[Status, ...]  # empty: the status does not change
    roles: frozenset[Role]
    by_department: bool = False  # acted on through the acting department's own assignment


def _t(
    sources: set[Status], targets: tuple[Status, ...], roles: frozenset[Role], dept: bool = False
) -> Transition:
    return Transition(frozenset(sources), targets, roles | MACHINES, dept)


ALL = set(Status)
LIVE = {S.registered, S.dispatched, S.processing, S.returned, S.waiting_citizen, S.replied, S.follow_up}

TRANSITIONS: dict[Action, Transition] = {
    Action.answer_directly: _t({S.registered}, (S.follow_up,), INTAKE),
    Action.dispatch: _t({S.registered}, (S.dispatched,), INTAKE),
    Action.sign: _t({S.dispatched}, (S.processing,), DEPARTMENT, dept=True),
    Action.hand_down: _t({S.dispatched, S.processing}, (S.dispatched,), DEPARTMENT, dept=True),
    Action.return_: _t({S.dispatched, S.processing}, (S.returned,), DEPARTMENT, dept=True),
    Action.accept_return: _t({S.returned}, (S.dispatched,), CENTRE),
    Action.reject_return: _t({S.returned}, (S.dispatched, S.processing), CENTRE),
    Action.request_extension: _t({S.processing}, (), DEPARTMENT, dept=True),
    Action.decide_extension: _t({S.processing, S.waiting_citizen, S.replied}, (), CENTRE),
    Action.suspend: _t({S.processing}, (S.waiting_citizen,), DEPARTMENT | CENTRE, dept=True),
    Action.resume: _t({S.waiting_citizen}, (S.processing,), DEPARTMENT | CENTRE, dept=True),
    Action.reply: _t({S.processing}, (S.replied,), DEPARTMENT, dept=True),
    Action.approve_reply: _t({S.replied}, (S.follow_up,), CENTRE),
    Action.reject_reply: _t({S.replied}, (S.processing,), CENTRE),
    Action.record_follow_up: _t({S.follow_up}, (S.closed,), INTAKE),
    Action.close: _t({S.follow_up}, (S.closed,), CENTRE),
    Action.reopen: _t({S.follow_up, S.closed}, (S.dispatched,), CENTRE),
    Action.merge: _t({S.registered, S.returned}, (S.merged,), INTAKE),
    Action.hand_off: _t({S.registered}, (S.handed_off,), INTAKE),
    Action.withdraw: _t({S.registered, S.dispatched}, (S.closed,), INTAKE),
    Action.comment: _t(ALL, (), CENTRE_STAFF | DEPARTMENT),
    Action.set_confidential: _t(ALL, (), INTAKE),
}


def check(action: Action, current: Status, role: Role) -> Transition:
    """Return the transition for `action` from `current`, or raise if the status or role forbids it."""
    rule = TRANSITIONS[action]
    if role not in rule.roles:
        raise PermissionDenied("role_forbidden", action=action.value, role=role.value)
    if current not in rule.sources:
        raise InvalidTransition("invalid_transition", action=action.value, status=current.value)
    return rule


def allowed_actions(current: Status, role: Role) -> list[Action]:
    """Return the actions `role` may take on a ticket in `current` status (for the UI)."""
    return [a for a, t in TRANSITIONS.items() if current in t.sources and role in t.roles]
