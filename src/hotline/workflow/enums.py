"""Enumerations of assignments (派单记录) and extension requests."""

from enum import StrEnum


class AssignmentRole(StrEnum):
    lead = "lead"  # 主办
    co = "co"  # 协办


class AssignmentStatus(StrEnum):
    pending = "pending"  # 待签收
    signed = "signed"  # 已签收, handling
    replied = "replied"  # 已反馈
    returned = "returned"  # 已退单, awaiting arbitration
    handed_down = "handed_down"  # 已转办 to a unit below
    cancelled = "cancelled"  # void: return accepted, reopened elsewhere, ticket withdrawn or merged


ACTIVE_ASSIGNMENT = (AssignmentStatus.pending, AssignmentStatus.signed)


class ExtensionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
