"""Deadline actions (one row per assignment and kind: the guard against firing twice) and
supervision cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.supervision.enums import CaseStatus, DeadlineKind


class DeadlineAction(Base):
    __tablename__ = "deadline_actions"
    __table_args__ = (UniqueConstraint("assignment_id", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(String(24))
    due_at: Mapped[datetime]  # the deadline it is about (an extension makes a new one)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SupervisionCase(Base):
    """督办件: a dispatcher or leader asks a department for a response on a ticket or a matter."""

    __tablename__ = "supervision_cases"
    __table_args__ = (Index("ix_supervision_cases_status", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    required_response: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime]
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.open)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closing_comment: Mapped[str | None] = mapped_column(Text)
