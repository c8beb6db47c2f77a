"""Enumerations of screening (甄别): what a flag says, where its review stands, callers' grades."""

from enum import StrEnum


class FlagKind(StrEnum):
    emergency = "emergency"  # 紧急警情: hand over to 110/119/120/122
    threat = "threat"  # 威胁 (to others, or of self-harm)
    abusive = "abusive"  # 辱骂
    private_domain = "private_domain"  # 私人事务: family disputes, private debts
    out_of_remit = "out_of_remit"  # 非热线受理范围: courts, litigation, other hotlines
    frequent = "frequent"  # 频繁来电
    repeated_content = "repeated_content"  # 重复诉求
    caller_status = "caller_status"  # the caller is graylisted or blacklisted


class FlagStatus(StrEnum):
    pending = "pending"  # waiting for a person
    confirmed = "confirmed"
    dismissed = "dismissed"


class CallerLevel(StrEnum):
    normal = "normal"
    noted = "noted"  # 记录
    warned = "warned"  # 提醒
    graylist = "graylist"  # 灰名单: needs a reason and an expiry
    blacklist = "blacklist"  # 黑名单: needs a reason and an expiry


class AppealStatus(StrEnum):
    none = "none"
    pending = "pending"
    upheld = "upheld"  # the grade stands
    lifted = "lifted"


class CallerDecisionKind(StrEnum):
    decision = "decision"
    appeal = "appeal"
    appeal_decision = "appeal_decision"
    expired = "expired"
