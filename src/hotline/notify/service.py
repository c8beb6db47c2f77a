"""Queue messages from templates, and deliver what is due (claimed row by row, so several workers
never send the same message twice; a claim left by a killed worker is taken over after a while)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hotline import outbox, texts
from hotline.accounts.models import User
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import NotFound
from hotline.notify.channels import Channel, DeliveryError, channels
from hotline.notify.enums import NotificationStatus, NotifyChannel
from hotline.notify.models import Notification
from hotline.org.models import Department

log = logging.getLogger(__name__)


def render(template: str, params: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of a message from its template (hotline.texts: the centre's wording)."""
    t = texts.notification(template)
    safe = {k: ("" if v is None else v) for k, v in params.items()}
    return t["subject"].format(**safe), t["body"].format(**safe)


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    template: str,
    params: dict[str, Any],
    ticket_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Notification:
    now = now or utcnow()
    subject, body = render(template, params)
    row = Notification(
        channel=channel,
        recipient=recipient,
        user_id=user_id,
        ticket_id=ticket_id,
        template=template,
        subject=subject,
        body=body,
        params={k: str(v) for k, v in params.items()},
        created_at=now,
        next_attempt_at=now,
        status=NotificationStatus.sent if channel == NotifyChannel.in_app else NotificationStatus.pending,
        sent_at=now if channel == NotifyChannel.in_app else None,
    )
    session.add(row)
    return row


def notify_department(
    session: Session,
    *,
    department_id: int,
    template: str,
    params: dict[str, Any],
    ticket_id: int | None,
    now: datetime | None = None,
    sms: bool = True,
) -> int:
    """In-app to every active user of the department, and an SMS to its duty phone if it has one;
    returns how many messages were queued."""
    directory = Directory(session)
    directory.notify(
        department_id, template=template, params=params, ticket_id=ticket_id, now=now or utcnow(), sms=sms
    )
    return directory.write()


class Directory:
    """Who to tell in each department (its active users, its duty phone), looked up once per sweep;
    the messages are collected and written in one bulk insert (`write`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[int, tuple[list[int], str | None]] = {}
        self._rows: list[dict[str, Any]] = []

    def recipients(self, department_id: int) -> tuple[list[int], str | None]:
        if department_id not in self._cache:
            users = list(
                self.session.scalars(
                    select(User.id).where(User.department_id == department_id, User.active.is_(True))
                )
            )
            dept = self.session.get(Department, department_id)
            self._cache[department_id] = (users, dept.phone if dept is not None else None)
        return self._cache[department_id]

    def notify(
        self,
        department_id: int,
        *,
        template: str,
        params: dict[str, Any],
        ticket_id: int | None,
        now: datetime,
        sms: bool = True,
    ) -> None:
        users, phone = self.recipients(department_id)
        subject, body = render(template, params)
        base = {
            "template": template,
            "subject": subject,
            "body": body,
            "ticket_id": ticket_id,
            "created_at": now,
            "next_attempt_at": now,
            "params": {k: str(v) for k, v in params.items()},
            "attempts": 0,
        }
        for user_id in users:
            self._rows.append(
                base
                | {
                    "channel": NotifyChannel.in_app,
                    "recipient": str(user_id),
                    "user_id": user_id,
                    "status": NotificationStatus.sent,
                    "sent_at": now,
                }
            )
        if sms and phone:
            self._rows.append(
                base
                | {
                    "channel": NotifyChannel.sms,
                    "recipient": phone,
                    "user_id": None,
                    "status": NotificationStatus.pending,
                    "sent_at": None,
                }
            )

    def write(self) -> int:
        """Insert the collected messages (one statement); returns how many."""
        if self._rows:
            self.session.execute(insert(Notification), self._rows)
        n, self._rows = len(self._rows), []
        return n


def deliver_due(
    session_factory: Any,
    *,
    now: datetime | None = None,
    limit: int = 100,
    registry: dict[str, Channel] | None = None,
) -> dict[str, int]:
    """Send what is due through its channel (the outbox: each message claimed before it is sent)."""
    settings = get_settings()
    by_name = registry or channels(settings)

    def send(session: Session, row: Notification) -> None:
        channel = by_name.get(row.channel)
        if channel is None:  # a plugin's channel not installed (now): tried again until attempts run out
            raise DeliveryError(f"no channel {row.channel} is installed")
        row.provider_id = channel.send(
            recipient=row.recipient, subject=row.subject, body=row.body, key=f"notification-{row.id}"
        )
        row.sent_at = utcnow()

    box = outbox.Outbox(
        Notification,
        done=NotificationStatus.sent,
        max_attempts=settings.notify_max_attempts,
        retry_seconds=settings.notify_retry_seconds,
    )
    return outbox.deliver_due(session_factory, box, send, now=now, limit=limit)


def inbox(
    session: Session, *, user_id: int, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    stmt = select(Notification).where(
        Notification.channel == NotifyChannel.in_app, Notification.user_id == user_id
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def waiting(session: Session) -> int:
    """Messages not yet sent (waiting for their first or next attempt)."""
    return outbox.waiting(session, Notification)


def mark_read(session: Session, *, notification_id: int, principal: Principal) -> Notification:
    """Mark one of the principal's in-app messages read (another's is not found)."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != principal.user_id:
        raise NotFound("notification_not_found", id=notification_id)
    n.read_at = n.read_at or utcnow()
    return n


def delivery_log(
    session: Session,
    *,
    status: NotificationStatus | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[Notification]:
    """Every message sent or being sent, newest first."""
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Notification.status == status)
    if channel:
        stmt = stmt.where(Notification.channel == channel)
    return list(session.scalars(stmt))
