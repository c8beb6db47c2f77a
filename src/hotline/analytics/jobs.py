"""Analytics' timed work: re-take the facts of changed months every HOTLINE_ANALYTICS_REFRESH_MINUTES
and mine the current month's hotspots every HOTLINE_HOTSPOT_MINE_HOURS (each skipped when done
recently)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.analytics import facts, hotspots, service
from hotline.analytics.models import HotspotRun
from hotline.analytics.store import Store
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.jobs.registry import sweep


@sweep("analytics", order=30, own_sessions=True)
def keep_fresh(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, Any]:
    """Mine and refresh what is due; returns the months re-taken and the topics mined."""
    now = now or utcnow()
    s = get_settings()
    store = Store()
    out: dict[str, Any] = {}
    with session_factory() as session:
        month = now.astimezone(ZoneInfo(s.timezone)).strftime("%Y-%m")
        last_run = session.scalar(select(func.max(HotspotRun.created_at)).where(HotspotRun.period == month))
        if last_run is None or now - last_run >= timedelta(hours=s.hotspot_mine_hours):
            start, end = service.period_range(month)
            out["hotspots"] = hotspots.mine(
                session, period=month, start=start, end=end, store=store, now=now
            ).topics
            session.commit()
        stamp = store.state().get("refreshed_at")
        due = stamp is None or now.replace(tzinfo=None) - datetime.fromisoformat(stamp) >= timedelta(
            minutes=s.analytics_refresh_minutes
        )
        if due or "hotspots" in out:
            out["months"] = facts.refresh(session, store, now=now).months
    return out
