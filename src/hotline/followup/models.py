from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.followup.enums import FollowUpMethod, FollowUpOutcome, FollowUpStatus, ReadBy


class FollowUpTask(Base):
    __tablename__ = "follow_up_tasks"
    __table_args__ = (
        Index("ix_follow_up_tasks_due", "status", "due_at"),
        UniqueConstraint("ticket_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)  # a reopened ticket is followed up again
    method: Mapped[FollowUpMethod] = mapped_column(String(16))
    status: Mapped[FollowUpStatus] = mapped_column(String(16), default=FollowUpStatus.pending)
    due_at: Mapped[datetime]
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answered_via: Mapped[str | None] = mapped_column(String(16))  # survey | call
    resolved: Mapped[bool | None]
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[dict[str, Any]] = mapped_column(
        default=dict
    )  # the reader's reading of the comment
    read_by: Mapped[ReadBy | None] = mapped_column(String(16))
    confidence: Mapped[float | None]  # the reader's, when it read the comment
    within_power: Mapped[bool | None]  # unsatisfied about the department's own work (not policy)
    outcome: Mapped[FollowUpOutcome | None] = mapped_column(String(24))
