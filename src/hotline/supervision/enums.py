"""Enumerations of supervision (督办): the deadline watch's marks and supervision cases."""

from enum import StrEnum


class DeadlineKind(StrEnum):
    """What the deadline watch fired, once per assignment and deadline."""

    sign_warning = "sign_warning"  # the sign-for deadline is near
    sign_overdue = "sign_overdue"  # 签收超时
    handle_warning = "handle_warning"  # the handling deadline is near
    overdue = "overdue"  # 办理超期
    reminder = "reminder"  # 催办, the working day after the miss
    escalation = "escalation"  # told to the area centre after N overdue working days


class CaseStatus(StrEnum):
    open = "open"  # waiting for the department's response
    responded = "responded"
    closed = "closed"
