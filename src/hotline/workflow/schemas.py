"""Pydantic schemas of workflow actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hotline.accounts.enums import Role
from hotline.tickets.enums import Satisfaction
from hotline.tickets.states import Status, StatusCategory
from hotline.workflow.enums import DuplicateStatus
from hotline.workflow.transitions import Action

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DispatchIn(_Action):
    department_id: int
    co_department_ids: list[int] = Field(default_factory=list, max_length=10)
    instructions: Comment | None = None
    category_code: str | None = Field(
        default=None, max_length=255, description="correct the ticket's category while dispatching"
    )


class AnswerIn(_Action):
    answer: Required
    knowledge_article_id: int | None = None


class HandDownIn(_Action):
    department_id: int
    instructions: Comment | None = None


class ReturnIn(_Action):
    reason: Required
    basis: Comment | None = Field(default=None, description="the rule or remit that puts it elsewhere")


class AcceptReturnIn(DispatchIn):
    comment: Comment | None = None


class CommentIn(_Action):
    comment: Required


class ConfidentialIn(_Action):
    confidential: bool
    comment: Required


class ExtensionIn(_Action):
    days: int = Field(ge=1, le=60)
    reason: Required


class ExtensionDecisionIn(_Action):
    approve: bool
    days: int | None = Field(default=None, ge=1, le=60, description="approve fewer days than asked")
    comment: Comment | None = None


class ReplyIn(_Action):
    reply: Required


class ReviewIn(_Action):
    comment: Comment | None = None


class RejectReplyIn(_Action):
    comment: Required


class FollowUpIn(_Action):
    resolved: bool
    satisfaction: Satisfaction
    comment: Comment | None = None


class ReopenIn(_Action):
    reason: Required
    department_id: int | None = Field(default=None, description="defaults to the last lead department")


class MergeIn(_Action):
    master_id: int
    comment: Comment | None = None


class HandOffIn(_Action):
    service: Annotated[str, StringConstraints(pattern=r"^(110|119|120|122)$")]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    comment: Comment | None = None


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    assignment_id: int
    requested_days: int
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decision_comment: str | None
    old_due_at: datetime
    new_due_at: datetime | None


class InboxItem(BaseModel):
    assignment_id: int
    ticket_id: int
    number: str
    title: str
    role: str
    status: str
    sign_due_at: datetime
    due_at: datetime
    working_hours_left: float = Field(description="working time to the handling deadline; negative when late")


class DuplicateOut(BaseModel):
    """A merge suggestion (并单): an earlier ticket this one probably repeats."""

    id: int
    ticket_id: int
    candidate_id: int  # the suggested master
    candidate_number: str
    candidate_title: str
    candidate_status: str
    score: float
    reasons: dict[str, Any]
    status: DuplicateStatus
    created_at: datetime
    # in the queue: the ticket that would be merged
    ticket_number: str | None = None
    ticket_title: str | None = None
    ticket_status: str | None = None


class DuplicateDecisionIn(_Action):
    merge: bool
    comment: str | None = Field(default=None, max_length=1000)


class DuplicateDecisionOut(BaseModel):
    id: int
    status: DuplicateStatus
    ticket_id: int
    candidate_id: int


class StateOut(BaseModel):
    status: Status
    category: StatusCategory
    label_zh: str
    label_en: str
    pauses_clock: bool


class TransitionOut(BaseModel):
    """One row of the transition table."""

    model_config = ConfigDict(populate_by_name=True)

    action: Action
    sources: list[Status] = Field(serialization_alias="from")
    targets: list[Status] = Field(serialization_alias="to", description="empty: the status does not change")
    roles: list[Role]
    by_department: bool
