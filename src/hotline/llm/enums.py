"""Enumerations of the large-model tier."""

from enum import StrEnum


class LlmCallStatus(StrEnum):
    ok = "ok"
    error = "error"  # the endpoint failed (timeout, 5xx, a malformed reply)
    refused = "refused"  # not sent: over the daily budget
