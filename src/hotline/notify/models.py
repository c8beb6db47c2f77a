"""Every message the platform sends, with its delivery state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.notify.enums import NotificationStatus
from hotline.outbox import OutboxRow
from hotline.privacy.crypto import EncryptedText


class Notification(OutboxRow, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_user", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # in_app | sms | email
    recipient: Mapped[str] = mapped_column(EncryptedText)  # user id, phone or address; encrypted at rest
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    template: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[NotificationStatus] = mapped_column(String(16), default=NotificationStatus.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(100))  # the gateway's message id
