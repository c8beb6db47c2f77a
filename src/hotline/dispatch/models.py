"""Tables of dispatch: the matter list (派单目录: matters, their revisions and the list's versions), the
category routing table (its fallback), landmarks, and suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Subquery,
    Text,
    UniqueConstraint,
    func,
    select,
)
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
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), index=True)
    catalog_version: Mapped[int | None]  # the matter list's version the suggestion was made with


def latest_suggestions() -> Subquery:
    """Each ticket's latest suggestion: a subquery of (ticket_id, id), to join on."""
    return (
        select(DispatchSuggestion.ticket_id, func.max(DispatchSuggestion.id).label("id"))
        .group_by(DispatchSuggestion.ticket_id)
        .subquery()
    )


class Matter(Base):
    """One matter (事项) of the matter list (派单目录): what it is (name, description, example phrasings,
    keywords), which category it counts under, who handles it (a department, or the local unit of a
    kind serving the place: 属地) with which co-handlers, where it applies, and the basis (三定方案,
    权责清单) that makes it that unit's duty. Edits make a new revision (MatterRevision) and a new
    version of the list (MatterCatalog)."""

    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    local_kind: Mapped[str | None] = mapped_column(String(24))
    co_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    basis: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(default=False)  # the basis is a demo text, not real law
    active: Mapped[bool] = mapped_column(default=True, index=True)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    # the matter's texts as sentence vectors (float16, one row per text), and the model that made them
    vectors: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    vector_model: Mapped[str | None] = mapped_column(String(64))


class MatterRevision(Base):
    """A matter as it was after one change (append-only): what a dispatch's reason referred to."""

    __tablename__ = "matter_revisions"
    __table_args__ = (UniqueConstraint("matter_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    revision: Mapped[int]
    catalog_version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(100))


class MatterCatalog(Base):
    """One version of the matter list: every import or edit makes the next; a suggestion records the
    version it used."""

    __tablename__ = "matter_catalog_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200))  # an import's file, or the matter edited
    matters: Mapped[int]  # active matters in this version
    digest: Mapped[str] = mapped_column(
        String(64)
    )  # what the active matters say (a cache key of the matcher)
