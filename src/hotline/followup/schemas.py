"""Request and response bodies of follow-up (回访)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hotline.tickets.enums import Satisfaction


class AnswerIn(BaseModel):
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    comment: str | None = Field(default=None, max_length=2000)


class TaskOut(BaseModel):
    id: int
    ticket_id: int
    number: str
    title: str
    method: str
    status: str
    due_at: datetime
    citizen_name: str | None
    citizen_phone: str | None
    reply: str | None
    script: list[str]
    classification: dict[str, Any] = Field(
        description="the follow-up reader's reading of the comment: satisfaction, resolved, within_power, "
        "confidence, cues, needs_person and why"
    )
    comment: str | None
    satisfaction: str | None = None
    resolved: bool | None = None
    read_by: str | None = Field(default=None, description="citizen | machine | person")


class SmsReplyIn(BaseModel):
    """A citizen's SMS reply, as the SMS gateway relays it (a mobile-originated message)."""

    phone: str = Field(min_length=3, max_length=32, description="the number the reply came from")
    text: str = Field(min_length=1, max_length=2000)


class SmsReplyOut(BaseModel):
    task_id: int
    number: str = Field(description="the ticket's number")
    status: str = Field(description="done | review | confirm (a person confirms the reading)")


class ConfirmIn(BaseModel):
    """What a person reads in an answer the reader was not sure of."""

    satisfaction: Satisfaction
    resolved: bool | None = Field(
        description="the answer says resolved (true), not resolved (false), or does not say (null: counted as "
        "resolved unless unsatisfied)"
    )
    within_power: bool = Field(
        default=True,
        description="unsatisfied about the department's own work (true) or about policy (false)",
    )


class DecisionIn(BaseModel):
    reopen: bool


class SurveyOut(BaseModel):
    number: str
    title: str
    reply: str | None
    answered: bool
