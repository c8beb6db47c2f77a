"""Request and response bodies of screening (甄别)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hotline.screening.enums import AppealStatus, CallerDecisionKind, CallerLevel, FlagKind, FlagStatus


class ReviewIn(BaseModel):
    confirm: bool
    comment: str | None = Field(default=None, max_length=1000)


class DecisionIn(BaseModel):
    level: str = Field(description="normal | noted | warned | graylist | blacklist")
    reason: str = Field(min_length=2, max_length=1000)
    expires_at: datetime | None = None


class AppealIn(BaseModel):
    text: str = Field(min_length=2, max_length=2000)


class AppealDecisionIn(BaseModel):
    lift: bool
    reason: str = Field(min_length=2, max_length=1000)


class CheckIn(BaseModel):
    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=1, max_length=20_000)


class FlagOut(BaseModel):
    """A screening flag: what was found, why, whom to refer the caller to, and its review."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    kind: FlagKind
    reason: str
    details: dict[str, Any]
    referral: str | None
    status: FlagStatus
    created_at: datetime
    reviewed_at: datetime | None
    review_comment: str | None
    number: str | None = None  # in the review queue: the ticket's number and title
    title: str | None = None


class CallerDecisionOut(BaseModel):
    kind: CallerDecisionKind
    level: CallerLevel
    reason: str
    expires_at: datetime | None
    at: datetime


class CallerOut(BaseModel):
    """A caller's grade (by the hash of their number) and the script for the operator."""

    caller_hash: str
    level: CallerLevel
    reason: str | None = None
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    appeal: str | None = None
    appeal_status: AppealStatus | None = None
    script: str | None
    history: list[CallerDecisionOut] | None = None


class EmergencyOut(BaseModel):
    ticket_id: int
    number: str
    title: str
    created_at: datetime


class FindingOut(BaseModel):
    kind: FlagKind
    reason: str
    cues: list[str]
    referral: str | None
    details: dict[str, Any]


class CheckOut(BaseModel):
    """What screening finds in a text (nothing stored); an emergency names its service."""

    emergency: bool
    service: str | None
    findings: list[FindingOut]


class KindRate(BaseModel):
    flagged: int = 0
    pending: int = 0
    confirmed: int = 0
    dismissed: int = 0
    share: float | None = None  # of the period's requests
    confirmed_share: float | None = None  # of those decided


class FlagRatesOut(BaseModel):
    start: datetime
    end: datetime
    tickets: int
    kinds: dict[FlagKind, KindRate]


class VersionBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    active: bool
    created_at: datetime
    created_by: str | None
    source: str
    metrics: dict[str, Any]


class ModelInfoOut(BaseModel):
    serving: str  # "v3", or "packaged"
    embedding_model: str
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    versions: list[VersionBrief]


class TrainOut(BaseModel):
    version: int
    active: bool
    reason: str | None  # why it was kept inactive
    metrics: dict[str, Any]


class RawAdjusted(BaseModel):
    raw: int
    adjusted: int
    excluded: int | None = None


class RateRawAdjusted(BaseModel):
    raw: float | None
    adjusted: float | None
    numerator_raw: int
    denominator_raw: int
    numerator_adjusted: int
    denominator_adjusted: int


class FairnessOut(BaseModel):
    """A department's figures raw and adjusted (without tickets excluded after a confirmed flag)."""

    department_id: int
    tickets: RawAdjusted
    closed_late: RawAdjusted
    unsatisfied_rate: RateRawAdjusted
