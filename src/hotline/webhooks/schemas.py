"""Request and response bodies of webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hotline.webhooks.enums import DeliveryStatus

EVENTS = ("ticket.created", "ticket.dispatched", "ticket.replied", "ticket.closed", "ticket.overdue")


class SubscriptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(min_length=1, description=", ".join(EVENTS))
    secret: str | None = Field(
        default=None, min_length=16, max_length=128, description="generated when omitted"
    )


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="the signing secret, shown this once")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    event_id: int | None
    status: DeliveryStatus
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime
    replay_of_id: int | None
    payload: dict[str, Any]
