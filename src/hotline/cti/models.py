from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.cti.enums import CallbackStatus, CallStatus
from hotline.db import Base, utcnow
from hotline.privacy.crypto import EncryptedText


class CallRecord(Base):
    __tablename__ = "call_records"
    __table_args__ = (Index("ix_call_records_offered", "offered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # the switch's id: events of one call update it
    caller_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # kept for the call-back, encrypted at rest; shown by role
    caller_phone: Mapped[str | None] = mapped_column(EncryptedText)
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    status: Mapped[CallStatus] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def wait_seconds(self) -> float | None:
        end = self.answered_at or self.ended_at
        return (end - self.offered_at).total_seconds() if end else None

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at and self.ended_at:
            return (self.ended_at - self.answered_at).total_seconds()
        return None


class CallbackTask(Base):
    """漏接回拨: call back a caller whose call was not answered."""

    __tablename__ = "callback_tasks"
    __table_args__ = (Index("ix_callback_tasks_status", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_phone: Mapped[str | None] = mapped_column(EncryptedText)
    due_at: Mapped[datetime]
    status: Mapped[CallbackStatus] = mapped_column(String(16), default=CallbackStatus.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
