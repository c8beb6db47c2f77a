from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hotline.supervision.enums import CaseStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_code: str = Field(min_length=1, max_length=64)
    ticket_id: int | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    reason: Text
    required_response: Text = Field(description="what the department must report")
    deadline: datetime


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int | None
    department_id: int
    subject: str
    reason: str
    required_response: str
    deadline: datetime
    status: CaseStatus
    opened_at: datetime
    response: str | None
    responded_at: datetime | None
    closed_at: datetime | None
    closing_comment: str | None
    overdue: bool = False


class RespondIn(BaseModel):
    response: Text


class CloseIn(BaseModel):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class DeadlineActionOut(BaseModel):
    """A warning, overdue mark, reminder or escalation the deadline watch fired."""

    kind: str  # sign_warning | sign_overdue | handle_warning | overdue | reminder | escalation
    deadline: datetime  # the deadline it was about
    at: datetime
    assignment_id: int
    data: dict[str, Any]
