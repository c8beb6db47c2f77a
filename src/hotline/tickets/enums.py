"""Enumerations of tickets: channels, request types, urgency, link kinds."""

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
