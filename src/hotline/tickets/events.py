"""The append-only event log of tickets: every kind of event, and the one module that writes them.

Every change to a ticket — a workflow step, a suggestion applied, a screening decision, a supervision
case, a missed deadline, an import — is one row of `ticket_events`, written here and nowhere else.
Analytics, webhooks and the ticket page read the log back; the database refuses UPDATE and DELETE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.tickets.enums import EventKind
from hotline.tickets.models import Ticket, TicketEvent

LABELS: dict[EventKind, tuple[str, str]] = {
    EventKind.register: ("受理", "Registered"),
    EventKind.answer_directly: ("直接答复", "Answered on the spot"),
    EventKind.dispatch: ("派单", "Dispatched"),
    EventKind.sign: ("签收", "Signed for"),
    EventKind.hand_down: ("转办", "Handed down"),
    EventKind.return_: ("退单", "Returned"),
    EventKind.accept_return: ("退单改派", "Return accepted"),
    EventKind.reject_return: ("退单驳回", "Return refused"),
    EventKind.request_extension: ("申请延期", "Extension asked"),
    EventKind.decide_extension: ("延期审批", "Extension decided"),
    EventKind.suspend: ("挂起", "Suspended"),
    EventKind.resume: ("恢复办理", "Resumed"),
    EventKind.reply: ("办结反馈", "Replied"),
    EventKind.approve_reply: ("审核通过", "Reply approved"),
    EventKind.reject_reply: ("审核退回", "Reply sent back"),
    EventKind.record_follow_up: ("回访", "Followed up"),
    EventKind.close: ("归档", "Closed"),
    EventKind.reopen: ("重办", "Reopened"),
    EventKind.merge: ("并单", "Merged"),
    EventKind.hand_off: ("移交应急", "Handed off"),
    EventKind.withdraw: ("撤单", "Withdrawn"),
    EventKind.comment: ("备注", "Comment"),
    EventKind.set_confidential: ("保密设置", "Confidentiality"),
    EventKind.merged_in: ("并入工单", "Merged in"),
    EventKind.imported: ("导入", "Imported"),
    EventKind.suggestion_applied: ("采纳智能派单", "Suggestion applied"),
    EventKind.screening_confirmed: ("确认甄别", "Flag confirmed"),
    EventKind.screening_dismissed: ("排除甄别", "Flag dismissed"),
    EventKind.follow_up_to_confirm: ("回访答复待确认", "Follow-up answer to confirm"),
    EventKind.request_read: ("按内容识别", "Read from the request"),
    EventKind.supervision_opened: ("督办立案", "Supervision opened"),
    EventKind.supervision_responded: ("督办回复", "Supervision answered"),
    EventKind.supervision_closed: ("督办结案", "Supervision closed"),
    EventKind.sign_overdue: ("签收超时", "Sign-for overdue"),
    EventKind.overdue: ("办理超期", "Overdue"),
    EventKind.reminder: ("催办", "Reminder"),
    EventKind.escalation: ("超期升级", "Escalated"),
}


@dataclass(frozen=True)
class Event:
    """One event to append (for `record_many`)."""

    ticket_id: int
    kind: EventKind
    at: datetime
    principal: Principal
    from_status: str | None = None
    to_status: str | None = None
    assignment_id: int | None = None
    department_id: int | None = None
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "created_at": self.at,
            "actor_id": self.principal.user_id,
            "actor_role": self.principal.role.value,
            "action": self.kind.value,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "assignment_id": self.assignment_id,
            "department_id": self.department_id,
            "comment": self.comment,
            "data": self.data,
        }


def record(
    session: Session,
    *,
    ticket: Ticket,
    kind: EventKind,
    principal: Principal,
    from_status: str | None = None,
    to_status: str | None = None,
    assignment_id: int | None = None,
    department_id: int | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one event to the ticket's log: pending changes are flushed first, then one INSERT (the
    log is read back by queries, never as loaded objects)."""
    session.flush()
    event = Event(
        ticket_id=ticket.id,
        kind=kind,
        at=now or utcnow(),
        principal=principal,
        from_status=from_status,
        to_status=to_status,
        assignment_id=assignment_id,
        department_id=department_id,
        comment=comment,
        data=data or {},
    )
    session.execute(_INSERT, event.row())


def record_many(session: Session, events: Iterable[Event]) -> int:
    """Append many events in one INSERT (the deadline watch's marks); returns how many."""
    rows = [e.row() for e in events]
    if rows:
        session.execute(_INSERT, rows)
    return len(rows)


def label(kind: str, language: str = "zh") -> str:
    """The event kind's name for a person, in Chinese or English (the raw kind if unknown)."""
    try:
        zh, en = LABELS[EventKind(kind)]
    except ValueError:
        return kind
    return zh if language == "zh" else en


_INSERT = insert(cast(Table, TicketEvent.__table__))  # Core: no ORM object to build and flush
