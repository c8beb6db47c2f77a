"""Request and response bodies of calls (CTI): call events and CDRs, call-backs, the figures."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.cti.enums import CallbackStatus, CallStatus


class CallIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=64)
    caller: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9][0-9\- ]{2,30}$")
    offered_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    queue: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=64)

    @field_validator("offered_at", "answered_at", "ended_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("times need a timezone offset, e.g. 2026-11-27T09:00:00+08:00")
        return v


class CallsIn(BaseModel):
    calls: list[CallIn] = Field(min_length=1, max_length=5000)


class IngestOut(BaseModel):
    created: int
    updated: int
    callbacks: int  # call-backs made for missed callers


class LinkIn(BaseModel):
    ticket_id: int


class CallOut(BaseModel):
    """A call record; the caller's number masked unless the reader may see it."""

    model_config = ConfigDict(from_attributes=True)

    call_id: str
    caller: str | None
    status: CallStatus
    queue: str | None
    agent: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    ticket_id: int | None


class CallbackOut(BaseModel):
    id: int
    call_id: str
    caller: str | None
    due_at: datetime
    status: CallbackStatus
    note: str | None
    ticket_id: int | None


class CallbackDoneIn(BaseModel):
    reached: bool
    note: str | None = Field(default=None, max_length=1000)
    ticket_id: int | None = None


class CallStats(BaseModel):
    """接通率 (answered / offered) and the 15-second answer rate, with numerators and denominators."""

    model_config = ConfigDict(populate_by_name=True)

    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    offered: int
    answered: int
    abandoned: int
    connection_rate: float | None
    answered_within_15s: int
    answer_rate_15s: float | None
    median_wait_seconds: float | None
    callbacks_pending: int
