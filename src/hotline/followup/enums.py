"""Enumerations of follow-up (回访)."""

from enum import StrEnum


class FollowUpMethod(StrEnum):
    sms_survey = "sms_survey"  # a link sent by SMS
    call = "call"  # an operator calls


class FollowUpStatus(StrEnum):
    pending = "pending"  # not yet sent or called
    sent = "sent"  # the survey link went out
    answered = "answered"
    skipped = "skipped"  # the citizen asked for no contact
    review = "review"  # unsatisfied with a reason: a dispatcher decides on a reopen
    done = "done"


class FollowUpOutcome(StrEnum):
    closed = "closed"
    reopened = "reopened"  # 重办
    needs_review = "needs_review"
    kept_closed = "kept_closed"
