"""Pydantic schemas of SLA rules and calendar days."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from hotline.sla.calendar import Unit
from hotline.tickets.enums import RequestType, Urgency


class SlaRuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    request_type: RequestType | None = None
    urgency: Urgency | None = None
    category_code: str | None = None
    sign_amount: float = Field(gt=0, le=10_000)
    sign_unit: Unit
    handle_amount: float = Field(gt=0, le=10_000)
    handle_unit: Unit


class SlaRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    request_type: str | None
    urgency: str | None
    category_id: int | None
    sign_amount: float
    sign_unit: Unit
    handle_amount: float
    handle_unit: Unit
    active: bool


class CalendarDayIn(BaseModel):
    day: date
    is_workday: bool
    name: str = Field(default="", max_length=100)


class CalendarDayOut(CalendarDayIn):
    model_config = ConfigDict(from_attributes=True)


class Deadlines(BaseModel):
    rule_id: int | None
    sign_due_at: datetime
    due_at: datetime
