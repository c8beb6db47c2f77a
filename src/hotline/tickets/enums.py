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


class EventKind(StrEnum):
    """What happened. The workflow's actions (workflow.transitions.Action) are logged under their own
    names; the rest are steps that do not move the ticket through the lifecycle."""

    # the lifecycle (one per workflow action)
    register = "register"  # 受理
    answer_directly = "answer_directly"  # 直接答复
    dispatch = "dispatch"  # 派单
    sign = "sign"  # 签收
    hand_down = "hand_down"  # 转办
    return_ = "return"  # 退单
    accept_return = "accept_return"  # 退单改派
    reject_return = "reject_return"  # 退单驳回
    request_extension = "request_extension"  # 申请延期
    decide_extension = "decide_extension"  # 延期审批
    suspend = "suspend"  # 挂起
    resume = "resume"  # 恢复办理
    reply = "reply"  # 办结反馈
    approve_reply = "approve_reply"  # 审核通过
    reject_reply = "reject_reply"  # 审核退回
    record_follow_up = "record_follow_up"  # 回访
    close = "close"  # 归档
    reopen = "reopen"  # 重办
    merge = "merge"  # 并单
    hand_off = "hand_off"  # 移交应急
    withdraw = "withdraw"  # 撤单
    comment = "comment"  # 备注
    set_confidential = "set_confidential"  # 保密设置
    # beside the lifecycle
    merged_in = "merged_in"  # another ticket was merged into this one
    imported = "import"  # 导入 from a historical file
    suggestion_applied = "suggestion_applied"  # 采纳智能派单 (auto, accepted or corrected)
    screening_confirmed = "screening_confirmed"  # 确认甄别
    screening_dismissed = "screening_dismissed"  # 排除甄别
    follow_up_to_confirm = "follow_up_to_confirm"  # 回访答复待人工确认 (the reader was not sure)
    request_read = "request_read"  # 诉求类型/紧急程度按内容识别 (type or urgency the platform set)
    supervision_opened = "supervision_opened"  # 督办立案
    supervision_responded = "supervision_responded"  # 督办回复
    supervision_closed = "supervision_closed"  # 督办结案
    # the deadline watch (supervision.watch)
    sign_overdue = "sign_overdue"  # 签收超时
    overdue = "overdue"  # 办理超期
    reminder = "reminder"  # 催办
    escalation = "escalation"  # 超期升级
