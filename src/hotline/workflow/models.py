"""Workflow's own tables: extension requests (延期), duplicate candidates (并单 suggestions) and the
words they are found by; the assignments it moves are the ticket core's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.workflow.enums import DuplicateStatus, ExtensionStatus


class ExtensionRequest(Base):
    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    requested_days: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ExtensionStatus] = mapped_column(String(16), default=ExtensionStatus.pending)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    old_due_at: Mapped[datetime]
    new_due_at: Mapped[datetime | None]


class DuplicateCandidate(Base):
    """An earlier ticket that looks like the same problem at the same place (并单 suggestion)."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        UniqueConstraint("ticket_id", "candidate_id"),
        Index("ix_duplicate_candidates_status", "status", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))  # the suggested master
    score: Mapped[float]
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DuplicateStatus] = mapped_column(String(16), default=DuplicateStatus.open)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TicketWords(Base):
    """A ticket's words (segmented once, for duplicate detection): kept apart from the ticket row so
    that filling them in never contends with the ticket's own updates."""

    __tablename__ = "ticket_words"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    words: Mapped[str] = mapped_column(Text)
