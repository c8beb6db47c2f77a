"""Tables of analytics: hotspot mining runs, their topics and which topic each ticket belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class HotspotRun(Base):
    """One pass of topic mining over a period; its topics replace those of earlier runs of the period."""

    __tablename__ = "hotspot_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(
        String(32), index=True
    )  # 2026-10 | 2026-W43 | 2026-10-05 | 2018-11..2020-01
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_tickets: Mapped[int]
    n_topics: Mapped[int]
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Topic(Base):
    """A cluster of tickets about the same problem: a hotspot when big or hot enough."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("hotspot_runs.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    place: Mapped[str | None] = mapped_column(String(200))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    size: Mapped[int]
    example_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class TicketTopic(Base):
    """Which topic of the latest run of its period a ticket belongs to."""

    __tablename__ = "ticket_topics"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float]
