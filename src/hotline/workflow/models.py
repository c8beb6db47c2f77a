"""Tables of assignments (a ticket sent to a department) and extension requests (延期)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, utcnow
from hotline.org.models import Department
from hotline.workflow.enums import AssignmentRole, AssignmentStatus, ExtensionStatus


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_dept_status", "department_id", "status"),
        # the deadline watch: what is pending or active and due soon
        Index("ix_assignments_status_sign_due", "status", "sign_due_at"),
        Index("ix_assignments_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[AssignmentRole] = mapped_column(String(8))
    status: Mapped[AssignmentStatus] = mapped_column(String(16), default=AssignmentStatus.pending)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))  # set by 转办
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sign_due_at: Mapped[datetime]
    due_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    return_basis: Mapped[str | None] = mapped_column(Text)  # the rule that puts it outside the remit
    instructions: Mapped[str | None] = mapped_column(Text)  # 派单意见

    department: Mapped[Department] = relationship()

    @property
    def department_name(self) -> str:
        return self.department.name


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
