"""HTTP API of notifications: a user's in-app messages, and the delivery log for the centre."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.errors import NotFound
from hotline.http.deps import CurrentPrincipal, DbSession, PageSize, require
from hotline.notify import service
from hotline.notify.models import Notification

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Centre = Annotated[Principal, Depends(require(Permission.manage_notifications))]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    recipient: str
    ticket_id: int | None
    template: str
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


@router.get("/mine", response_model=list[NotificationOut])
def mine(db: DbSession, principal: CurrentPrincipal, unread: bool = False) -> list[NotificationOut]:
    """My in-app messages, newest first."""
    if principal.user_id is None:
        return []
    return [
        NotificationOut.model_validate(n)
        for n in service.inbox(db, user_id=principal.user_id, unread_only=unread)
    ]


@router.post("/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: int, db: DbSession, principal: CurrentPrincipal) -> NotificationOut:
    n = db.get(Notification, notification_id)
    if n is None or n.user_id != principal.user_id:
        raise NotFound("notification_not_found", id=notification_id)
    n.read_at = n.read_at or utcnow()
    return NotificationOut.model_validate(n)


@router.get("", response_model=list[NotificationOut])
def delivery_log(
    db: DbSession,
    _: Centre,
    status: str | None = None,
    channel: str | None = None,
    limit: PageSize = 100,
) -> list[NotificationOut]:
    """Every message sent or being sent, with its status and last error (the centre's delivery log)."""
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Notification.status == status)
    if channel:
        stmt = stmt.where(Notification.channel == channel)
    return [NotificationOut.model_validate(n) for n in db.scalars(stmt)]
