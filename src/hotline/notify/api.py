"""HTTP API of notifications: a user's in-app messages, and the delivery log for the centre."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.http.deps import CurrentPrincipal, DbSession, LogPageSize, require
from hotline.notify import service
from hotline.notify.enums import NotificationStatus
from hotline.notify.schemas import NotificationOut

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Centre = Annotated[Principal, Depends(require(Permission.manage_notifications))]


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
    """Mark one of my in-app messages read."""
    return NotificationOut.model_validate(
        service.mark_read(db, notification_id=notification_id, principal=principal)
    )


@router.get("", response_model=list[NotificationOut])
def delivery_log(
    db: DbSession,
    _: Centre,
    status: NotificationStatus | None = None,
    channel: str | None = None,
    limit: LogPageSize = 100,
) -> list[NotificationOut]:
    """Every message sent or being sent, with its status and last error (the centre's delivery log)."""
    rows = service.delivery_log(db, status=status, channel=channel, limit=limit)
    return [NotificationOut.model_validate(n) for n in rows]
