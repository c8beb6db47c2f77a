"""Screening flags (each confirmed or dismissed by a person), callers' graded status, and the log of
every decision about a caller (append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.screening.enums import AppealStatus, CallerDecisionKind, CallerLevel, FlagKind, FlagStatus


class ScreeningFlag(Base):
    __tablename__ = "screening_flags"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind"),
        Index("ix_screening_flags_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[FlagKind] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    referral: Mapped[str | None] = mapped_column(Text)
    status: Mapped[FlagStatus] = mapped_column(String(16), default=FlagStatus.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)


class CallerStatus(Base):
    """The graded response to one caller (by hashed phone): note → warning → graylist → blacklist."""

    __tablename__ = "caller_status"

    caller_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[CallerLevel] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    appeal: Mapped[str | None] = mapped_column(Text)
    appeal_status: Mapped[AppealStatus] = mapped_column(String(16), default=AppealStatus.none)


class CallerDecision(Base):
    """Every decision and appeal about a caller, in order; never changed."""

    __tablename__ = "caller_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[CallerDecisionKind] = mapped_column(String(16))
    level: Mapped[CallerLevel] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
