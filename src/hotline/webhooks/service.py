"""Subscriptions, turning new ticket events into deliveries (a subscription's range of events is
claimed by moving its cursor with a compare-and-set), signed delivery with retries, and replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline import outbox
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import InvalidInput, NotFound
from hotline.tickets.enums import EventKind
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.states import Status
from hotline.webhooks.enums import DeliveryStatus
from hotline.webhooks.models import WebhookDelivery, WebhookSubscription
from hotline.webhooks.schemas import EVENTS

log = logging.getLogger(__name__)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


# the ticket events a subscriber is told of, by the name it subscribes to
PUBLISHED: dict[EventKind, str] = {
    EventKind.register: "ticket.created",
    EventKind.dispatch: "ticket.dispatched",
    EventKind.accept_return: "ticket.dispatched",
    EventKind.reopen: "ticket.dispatched",
    EventKind.reply: "ticket.replied",
    EventKind.overdue: "ticket.overdue",
}


def event_name(e: TicketEvent) -> str | None:
    """The published name of a logged event (any event that closes the ticket is ticket.closed)."""
    if e.action in PUBLISHED:
        return PUBLISHED[EventKind(e.action)]
    if e.to_status == Status.closed:
        return "ticket.closed"
    return None


def subscribe(
    session: Session, *, name: str, url: str, events: list[str], secret: str | None = None
) -> WebhookSubscription:
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise InvalidInput("webhook_events", unknown=", ".join(unknown) or "-", known=", ".join(EVENTS))
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("webhook_url", url=url)
    # start from now: a new subscriber gets what happens from here on, not the whole history
    last = session.scalar(select(TicketEvent.id).order_by(TicketEvent.id.desc()).limit(1)) or 0
    sub = WebhookSubscription(
        name=name, url=url, events=list(events), secret=secret or secrets.token_hex(24), cursor=last
    )
    session.add(sub)
    session.flush()
    return sub


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: check the signature and that the timestamp is fresh."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def enqueue_new_events(
    session_factory: sessionmaker[Session], *, limit: int = 500, now: datetime | None = None
) -> int:
    """Turn ticket events after each subscription's cursor into deliveries. Moving the cursor is a
    compare-and-set: of two workers, one wins the range, the other's transaction is rolled back."""
    now = now or utcnow()
    made = 0
    with session_factory() as session:
        subs = [
            (s.id, s.cursor, list(s.events))
            for s in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))
        ]
    for sub_id, cursor, wanted in subs:
        with session_factory() as session:
            events = list(
                session.scalars(
                    select(TicketEvent).where(TicketEvent.id > cursor).order_by(TicketEvent.id).limit(limit)
                )
            )
            if not events:
                continue
            moved = _rowcount(
                session.execute(
                    update(WebhookSubscription)
                    .where(WebhookSubscription.id == sub_id, WebhookSubscription.cursor == cursor)
                    .values(cursor=events[-1].id)
                )
            )
            if moved != 1:
                session.rollback()
                continue
            tickets = {
                t.id: t
                for t in session.scalars(select(Ticket).where(Ticket.id.in_({e.ticket_id for e in events})))
            }
            for e in events:
                name = event_name(e)
                if name is None or name not in wanted:
                    continue
                session.add(
                    WebhookDelivery(
                        subscription_id=sub_id,
                        event_id=e.id,
                        event=name,
                        payload=_payload(name, e, tickets[e.ticket_id]),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
                made += 1
            session.commit()
    return made


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _payload(name: str, e: TicketEvent, t: Ticket) -> dict[str, Any]:
    # never the citizen's contact details
    return {
        "event": name,
        "event_id": e.id,
        "occurred_at": _iso(e.created_at),
        "ticket": {
            "id": t.id,
            "number": t.number,
            "title": t.title,
            "status": e.to_status or t.status,
            "channel": t.channel,
            "category_id": t.category_id,
            "area_id": t.area_id,
            "lead_department_id": e.department_id or t.lead_department_id,
            "due_at": _iso(t.due_at),
        },
    }


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    now: datetime | None = None,
    limit: int = 100,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, int]:
    """POST what is due to its subscriber, signed (the outbox: each delivery claimed before it is sent);
    anything but a 2xx answer is tried again later."""
    s = get_settings()
    with httpx.Client(timeout=s.webhook_timeout_seconds, transport=transport) as client:

        def send(session: Session, d: WebhookDelivery) -> None:
            sub = session.get(WebhookSubscription, d.subscription_id)
            assert sub is not None
            body = json.dumps(d.payload, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Hotline-Event": d.event,
                "X-Hotline-Delivery": str(d.id),
                "X-Hotline-Signature": sign(sub.secret, int(time.time()), body),
            }
            try:
                r = client.post(sub.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                d.last_status = None
                raise outbox.Retry(f"{type(exc).__name__}: {exc}"[:300]) from exc
            d.last_status = r.status_code
            if not r.is_success:
                raise outbox.Retry(r.text[:300])
            d.delivered_at = utcnow()

        box = outbox.Outbox(
            WebhookDelivery,
            done=DeliveryStatus.delivered,
            max_attempts=s.webhook_max_attempts,
            retry_seconds=s.webhook_retry_seconds,
            in_order=True,  # subscribers get the events in the order they happened
        )
        return outbox.deliver_due(session_factory, box, send, now=now, limit=limit)


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """Every subscriber, the oldest first."""
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def unsubscribe(session: Session, *, subscription_id: int) -> WebhookSubscription:
    """Stop delivering to a subscriber."""
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound("webhook_not_found", id=subscription_id)
    sub.active = False
    return sub


def deliveries(
    session: Session, *, subscription_id: int, status: DeliveryStatus | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    """A subscriber's delivery log, newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def replay(session: Session, *, delivery_id: int, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again, as a new delivery in the log."""
    old = session.get(WebhookDelivery, delivery_id)
    if old is None:
        raise NotFound("delivery_not_found", id=delivery_id)
    now = now or utcnow()
    new = WebhookDelivery(
        subscription_id=old.subscription_id,
        event_id=old.event_id,
        event=old.event,
        payload=old.payload,
        created_at=now,
        next_attempt_at=now,
        replay_of_id=old.id,
    )
    session.add(new)
    session.flush()
    return new


def sweep(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, int]:
    made = enqueue_new_events(session_factory, now=now)
    return {"enqueued": made, **deliver_due(session_factory, now=now)}


def waiting(session: Session) -> int:
    """Deliveries not yet made (waiting for their first or next attempt)."""
    return outbox.waiting(session, WebhookDelivery)
