"""Ticket statuses as data: each with a category, labels, whether it pauses the SLA clock and whether
the handling department owes work in it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StatusCategory(StrEnum):
    open = "open"
    processing = "processing"
    closed = "closed"


class Status(StrEnum):
    registered = "registered"  # 已受理, awaiting dispatch or a direct answer
    dispatched = "dispatched"  # 已派单, awaiting sign-for
    processing = "processing"  # 办理中
    returned = "returned"  # 已退单, awaiting arbitration
    waiting_citizen = "waiting_citizen"  # 待补充材料 (clock paused)
    replied = "replied"  # 已办结反馈, awaiting centre review
    follow_up = "follow_up"  # 待回访
    closed = "closed"  # 已归档
    merged = "merged"  # 已并单
    handed_off = "handed_off"  # 已移交 110/119/120/122


@dataclass(frozen=True)
class StatusInfo:
    category: StatusCategory
    label_zh: str
    label_en: str
    pauses_clock: bool = False
    # whether the handling department still owes work (counts towards overdue)
    handling: bool = False


STATUSES: dict[Status, StatusInfo] = {
    Status.registered: StatusInfo(StatusCategory.open, "已受理", "Registered"),
    Status.dispatched: StatusInfo(StatusCategory.open, "已派单", "Dispatched", handling=True),
    Status.returned: StatusInfo(StatusCategory.open, "已退单", "Returned"),
    Status.processing: StatusInfo(StatusCategory.processing, "办理中", "Processing", handling=True),
    Status.waiting_citizen: StatusInfo(
        StatusCategory.processing, "待补充材料", "Waiting for citizen", pauses_clock=True
    ),
    Status.replied: StatusInfo(StatusCategory.processing, "待审核", "Replied, under review"),
    Status.follow_up: StatusInfo(StatusCategory.processing, "待回访", "Awaiting follow-up"),
    Status.closed: StatusInfo(StatusCategory.closed, "已归档", "Closed"),
    Status.merged: StatusInfo(StatusCategory.closed, "已并单", "Merged"),
    Status.handed_off: StatusInfo(StatusCategory.closed, "已移交应急", "Handed to emergency services"),
}


# work is owed by the handling department: a deadline passed in one of these is "overdue"
HANDLING_STATUSES = [s for s, info in STATUSES.items() if info.handling]
# the SLA clock stands still in these (the watch leaves them alone; leaving one moves the deadlines)
PAUSED_STATUSES = [s for s, info in STATUSES.items() if info.pauses_clock]
