"""Enumerations of notifications."""

from enum import StrEnum

from hotline import outbox


class NotificationStatus(StrEnum):
    pending = outbox.PENDING  # waiting for its first or next attempt
    sending = outbox.SENDING  # claimed by a worker
    sent = "sent"
    failed = outbox.FAILED  # given up: refused, or every attempt spent


class NotifyChannel(StrEnum):
    in_app = "in_app"  # read in the console; delivery is the record itself
    sms = "sms"
    email = "email"
