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
    confirm = "confirm"  # a free-text answer whose reading a person confirms before it counts
    review = "review"  # unsatisfied with a reason: a dispatcher decides on a reopen
    done = "done"


class FollowUpOutcome(StrEnum):
    closed = "closed"
    reopened = "reopened"  # 重办
    needs_review = "needs_review"
    kept_closed = "kept_closed"
    superseded = "superseded"  # waited for a person while the ticket moved on (reopened, closed, withdrawn)


class ReadBy(StrEnum):
    """Who decided what a follow-up answer says (the rates count each apart)."""

    citizen = "citizen"  # the citizen's own choice (the survey's buttons, an operator's tick on a call)
    machine = "machine"  # read from free text by the follow-up reader, confidently
    person = "person"  # a person confirmed or corrected the reader (a label the reader learns from)
    before = "before"  # recorded before readings were kept (migration 0016)
