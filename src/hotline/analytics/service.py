"""What the API and CLI call: the store of the running process, a principal's scope, periods."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.enums import Role
from hotline.accounts.principal import Principal
from hotline.analytics.rates import Filter, Scope, month_range
from hotline.analytics.store import Store
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import InvalidInput
from hotline.org.models import Area

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def period_range(period: str) -> tuple[date, date]:
    """The local days (end exclusive) of a period: 2026-10 (month), 2026-W43 (ISO week), 2026 (year),
    2026-10-05 (day), or a span of two of them, "2018-11..2020-01" (from the first's start to the
    second's end: a problem that runs for years is one topic)."""
    if ".." in period:
        first, _, last = period.partition("..")
        if ".." in last or not first or not last:
            raise InvalidInput("analytics_bad_period", period=period)
        start, end = period_range(first)[0], period_range(last)[1]
        if end <= start:
            raise InvalidInput("analytics_bad_period", period=period)
        return start, end
    if m := _WEEK.match(period):
        try:
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise InvalidInput("analytics_bad_period", period=period) from exc
        return start, start + timedelta(days=7)
    if re.fullmatch(r"\d{4}", period):
        return date(int(period), 1, 1), date(int(period) + 1, 1, 1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        try:
            day = date.fromisoformat(period)
        except ValueError as exc:
            raise InvalidInput("analytics_bad_period", period=period) from exc
        return day, day + timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return month_range(period)
    raise InvalidInput("analytics_bad_period", period=period)


def make_filter(
    *,
    period: str | None = None,
    start: date | None = None,
    end: date | None = None,
    where: dict[str, Any] | None = None,
    basis: str = "adjusted",
) -> Filter:
    """A filter from a named period or a start/end pair; neither → the current month so far."""
    if period:
        start, end = period_range(period)
    elif start is None or end is None:
        from zoneinfo import ZoneInfo

        today = utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()
        start = start or today.replace(day=1)
        end = end or today + timedelta(days=1)
    if basis not in ("adjusted", "raw"):
        raise InvalidInput("analytics_bad_basis", basis=basis)
    return Filter(start, end, {k: v for k, v in (where or {}).items() if v is not None}, basis)  # type: ignore[arg-type]


def scope_of(session: Session, principal: Principal) -> Scope:
    """Leaders and the centre see every figure; an area centre its area's; a department its own."""
    area_level, area_id = None, None
    if principal.role == Role.area_center and principal.area_path:
        ids = [int(x) for x in principal.area_path.strip("/").split("/") if x]
        if ids:
            area_id = ids[-1]
            area_level = session.scalar(select(Area.level).where(Area.id == area_id))
    return Scope.of(principal, area_level, area_id)


def as_of(store: Store) -> datetime | None:
    """When the facts were last taken."""
    stamp = store.state().get("refreshed_at")
    return datetime.fromisoformat(stamp) if stamp else None
