"""Tables of dispatch: the routing table (派单目录), landmarks, and suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.dispatch.enums import Decision


class RoutingRule(Base):
    """One line of the routing table: category (and its subtree) × area (and its subtree) → lead
    department, or the local unit of a kind that serves the area (属地), plus optional co-handlers."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    local_kind: Mapped[str | None] = mapped_column(String(24))  # DepartmentKind serving the area
    co_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Landmark(Base):
    """A place name of the centre's gazetteer (road, estate, market, school…) in an area."""

    __tablename__ = "landmarks"
    __table_args__ = (UniqueConstraint("name", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    kind: Mapped[str] = mapped_column(String(24), default="landmark")


class DispatchSuggestion(Base):
    """What the models suggested for a ticket, with the model version, and what was decided."""

    __tablename__ = "dispatch_suggestions"
    __table_args__ = (Index("ix_dispatch_suggestions_decision", "decision", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    confidence: Mapped[float]
    decision: Mapped[Decision] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
