"""HTTP API of webhooks (admins): subscriptions, the delivery log, replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.errors import NotFound
from hotline.http.deps import AdminPrincipal, DbSession, PageSize
from hotline.webhooks import service
from hotline.webhooks.models import WebhookDelivery, WebhookSubscription

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class SubscriptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(min_length=1, description=", ".join(service.EVENTS))
    secret: str | None = Field(
        default=None, min_length=16, max_length=128, description="generated when omitted"
    )


def _sub(s: WebhookSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "id": s.id,
        "name": s.name,
        "url": s.url,
        "events": s.events,
        "active": s.active,
        "created_at": s.created_at,
    }
    if with_secret:
        out["secret"] = s.secret  # shown once, at creation
    return out


def _delivery(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event": d.event,
        "event_id": d.event_id,
        "status": d.status,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
        "next_attempt_at": d.next_attempt_at,
        "replay_of_id": d.replay_of_id,
        "payload": d.payload,
    }


@router.post("", status_code=status.HTTP_201_CREATED)
def subscribe(body: SubscriptionIn, db: DbSession, _: AdminPrincipal) -> dict[str, Any]:
    """Register a subscriber; the signing secret is returned once."""
    return _sub(
        service.subscribe(db, name=body.name, url=body.url, events=body.events, secret=body.secret),
        with_secret=True,
    )


@router.get("")
def subscriptions(db: DbSession, _: AdminPrincipal) -> list[dict[str, Any]]:
    return [_sub(s) for s in db.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))]


@router.delete("/{subscription_id}")
def unsubscribe(subscription_id: int, db: DbSession, _: AdminPrincipal) -> dict[str, Any]:
    s = db.get(WebhookSubscription, subscription_id)
    if s is None:
        raise NotFound("webhook_not_found", id=subscription_id)
    s.active = False
    return _sub(s)


@router.get("/{subscription_id}/deliveries")
def deliveries(
    subscription_id: int,
    db: DbSession,
    _: AdminPrincipal,
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit: PageSize = 100,
) -> list[dict[str, Any]]:
    """The delivery log, newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status_:
        stmt = stmt.where(WebhookDelivery.status == status_)
    return [_delivery(d) for d in db.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))]


@router.post("/deliveries/{delivery_id}/replay", status_code=status.HTTP_201_CREATED)
def replay(delivery_id: int, db: DbSession, _: AdminPrincipal) -> dict[str, Any]:
    """Send a delivery again (the replay button)."""
    return _delivery(service.replay(db, delivery_id=delivery_id))
