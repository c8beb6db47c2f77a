"""Enumerations of notifications."""

from enum import StrEnum


class NotificationStatus(StrEnum):
    pending = "pending"  # waiting for its first or next attempt
    sending = "sending"  # claimed by a worker
    sent = "sent"
    failed = "failed"  # given up: refused, or every attempt spent


class NotifyChannel(StrEnum):
    in_app = "in_app"  # read in the console; delivery is the record itself
    sms = "sms"
    email = "email"
