"""Enumerations of the large-model tier."""

from enum import StrEnum


class LlmCallStatus(StrEnum):
    ok = "ok"
    error = "error"  # the endpoint failed (timeout, 5xx, a malformed reply)
    refused = "refused"  # not sent: over the daily budget


class LlmVerdict(StrEnum):
    """What the checks made of a reply."""

    passed = "passed"  # shown (marked generated), perhaps with parts replaced by 【待填写】
    withheld = "withheld"  # not shown: the offline result instead, with the reason
