"""Enumerations of tickets: channels, request types, urgency, link kinds, satisfaction, assignments."""

from enum import StrEnum


class Channel(StrEnum):
    phone = "phone"  # 电话
    web = "web"  # 网站
    app = "app"  # 移动客户端/小程序
    sms = "sms"  # 短信
    grid = "grid"  # 网格员上报
    open311 = "open311"
    email = "email"
    letter = "letter"  # 来信
    walk_in = "walk_in"  # 来访
    other = "other"


class RequestType(StrEnum):
    consult = "consult"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 建议
    praise = "praise"  # 表扬


# a request of these types may be published when its citizen chooses so (publication.service); never a
# 举报 (report), whose author must stay unknown
PUBLISHABLE_TYPES = frozenset(
    {RequestType.consult, RequestType.help, RequestType.complaint, RequestType.suggestion, RequestType.praise}
)


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    emergency = "emergency"  # 特急: 110/119/120/122 matters, handed off at once


class LinkKind(StrEnum):
    duplicate_of = "duplicate_of"  # 并单: this ticket was merged into the other
    related = "related"


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


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
