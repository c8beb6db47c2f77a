"""Tables of SLA rules and of calendar overrides (holidays and make-up working days)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from hotline.sla.calendar import Unit


class CalendarDay(Base):
    """A day whose status the centre sets itself: a holiday (False) or a make-up working day (True)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100), default="")


class SlaRule(Base):
    """Sign-for and handling limits; null fields match anything, the most specific rule wins."""

    __tablename__ = "sla_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    request_type: Mapped[str | None] = mapped_column(String(16))
    urgency: Mapped[str | None] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    sign_amount: Mapped[float]
    sign_unit: Mapped[Unit] = mapped_column(String(16))
    handle_amount: Mapped[float]
    handle_unit: Mapped[Unit] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
