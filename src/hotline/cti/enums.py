"""Enumerations of calls and call-backs."""

from enum import StrEnum


class CallStatus(StrEnum):
    ringing = "ringing"  # offered, not yet answered or ended
    answered = "answered"
    abandoned = "abandoned"  # the caller hung up before an agent answered


class CallbackStatus(StrEnum):
    pending = "pending"  # 待回拨
    done = "done"  # reached
    unreachable = "unreachable"
    superseded = "superseded"  # the caller got through again before the call-back
