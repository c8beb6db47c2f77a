"""HTTP API of webhooks (admins): subscriptions, the delivery log, replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from hotline.http.deps import AdminPrincipal, DbSession, LogPageSize
from hotline.webhooks import service
from hotline.webhooks.enums import DeliveryStatus
from hotline.webhooks.schemas import DeliveryOut, NewSubscriptionOut, SubscriptionIn, SubscriptionOut

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewSubscriptionOut)
def subscribe(body: SubscriptionIn, db: DbSession, _: AdminPrincipal) -> NewSubscriptionOut:
    """Register a subscriber; the signing secret is returned once."""
    sub = service.subscribe(db, name=body.name, url=body.url, events=body.events, secret=body.secret)
    return NewSubscriptionOut.model_validate(sub)


@router.get("", response_model=list[SubscriptionOut])
def subscriptions(db: DbSession, _: AdminPrincipal) -> list[SubscriptionOut]:
    return [SubscriptionOut.model_validate(s) for s in service.list_subscriptions(db)]


@router.delete("/{subscription_id}", response_model=SubscriptionOut)
def unsubscribe(subscription_id: int, db: DbSession, _: AdminPrincipal) -> SubscriptionOut:
    """Stop delivering to a subscriber (its log is kept)."""
    return SubscriptionOut.model_validate(service.unsubscribe(db, subscription_id=subscription_id))


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryOut])
def deliveries(
    subscription_id: int,
    db: DbSession,
    _: AdminPrincipal,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: LogPageSize = 100,
) -> list[DeliveryOut]:
    """The delivery log, newest first."""
    rows = service.deliveries(db, subscription_id=subscription_id, status=status_, limit=limit)
    return [DeliveryOut.model_validate(d) for d in rows]


@router.post(
    "/deliveries/{delivery_id}/replay", status_code=status.HTTP_201_CREATED, response_model=DeliveryOut
)
def replay(delivery_id: int, db: DbSession, _: AdminPrincipal) -> DeliveryOut:
    """Send a delivery again (the replay button)."""
    return DeliveryOut.model_validate(service.replay(db, delivery_id=delivery_id))
