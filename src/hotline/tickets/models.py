"""Tables of tickets (工单) and what belongs to each: its assignments to departments, links,
attachments, supports, the append-only event log, the contact-view log and the number counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.categories.models import Category
from hotline.db import Base, utcnow
from hotline.org.models import Area, Department
from hotline.privacy.crypto import EncryptedText
from hotline.tickets.enums import (
    AssignmentRole,
    AssignmentStatus,
    Channel,
    EventKind,
    LinkKind,
    RequestType,
    Satisfaction,
    Urgency,
)
from hotline.tickets.states import Status


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_tickets_status_due", "status", "due_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_caller_content", "citizen_phone_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # 20261125-000123
    tracking_code: Mapped[str] = mapped_column(String(16))  # lets a citizen look the ticket up
    channel: Mapped[Channel] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)  # idempotency_scope()
    request_hash: Mapped[str | None] = mapped_column(String(64))

    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    request_type: Mapped[RequestType] = mapped_column(String(16))
    request_type_read: Mapped[bool | None]  # read by the platform (type_reading), not said by a person
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    urgency: Mapped[Urgency] = mapped_column(String(16), default=Urgency.normal)

    citizen_name: Mapped[str | None] = mapped_column(String(100))
    # personal data at rest: encrypted with the data keys; looked up by the blind index (phone hash)
    citizen_phone: Mapped[str | None] = mapped_column(EncryptedText)
    citizen_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    citizen_id_number: Mapped[str | None] = mapped_column(EncryptedText)  # 身份证号, when given
    # sha256 of the normalised content: "the same text again" is one indexed lookup (screening)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    no_contact: Mapped[bool] = mapped_column(default=False)  # citizen asked not to be called back
    # 公开: the citizen agreed to publish the request (redacted); staff may mark it confidential (保密),
    # which no choice overrides — the rule is hotline.publication
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())

    address: Mapped[str | None] = mapped_column(String(500))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    status: Mapped[Status] = mapped_column(String(24), default=Status.registered, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)

    dispatched_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # handling deadline, stored; moved only by extension or pause
    paused_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    answered_directly: Mapped[bool] = mapped_column(default=False)  # 直接答复, first-contact resolution
    answer: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(default=0)
    supports: Mapped[int] = mapped_column(default=0, server_default="0")  # 点赞/附议
    master_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)  # 并单 master

    resolved: Mapped[bool | None]  # the citizen's word at follow-up
    satisfaction: Mapped[Satisfaction | None] = mapped_column(String(24))
    followed_up_at: Mapped[datetime | None]

    # a confirmed screening flag (private matter, out of remit, nuisance) takes it out of departments'
    # evaluation; raw figures still count it
    evaluation_excluded: Mapped[bool] = mapped_column(default=False, server_default=false())
    exclusion_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)

    category: Mapped[Category | None] = relationship()
    area: Mapped[Area | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as given


class Attachment(Base):
    """Metadata of a file attached to a ticket; the bytes live in object storage."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    url: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


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


class TicketLink(Base):
    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "other_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[LinkKind] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TicketEvent(Base):
    """One change to a ticket. Append-only: the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[EventKind] = mapped_column(String(32), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TicketSupport(Base):
    """One person's support (点赞/附议) of a published request; one per person and ticket."""

    __tablename__ = "ticket_supports"
    __table_args__ = (UniqueConstraint("ticket_id", "supporter_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    supporter_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactView(Base):
    """Who was shown citizens' full contact details, when, where (个人信息查看记录). Append-only."""

    __tablename__ = "contact_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(32))  # api_detail | api_list | web_ticket | export | calls
    ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(default=0)


class TicketCounter(Base):
    """Per-day sequence behind readable ticket numbers."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
