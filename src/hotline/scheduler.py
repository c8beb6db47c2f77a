"""The background sweeps: deadline watch, follow-up tasks, notification delivery.

Runs in-process by default (a daemon thread in each API process, HOTLINE_SCHEDULER=inprocess), or as
`hotline worker` beside API processes started with HOTLINE_SCHEDULER=off. Either way several can run
at once: every action is guarded by a unique key or a row claim in the database, so nothing fires twice;
nothing is kept in memory between ticks, so a restart loses nothing."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.config import get_settings
from hotline.db import utcnow

log = logging.getLogger(__name__)


def tick(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, Any]:
    """One pass of every sweep, each in its own transaction; a failing sweep does not stop the others."""
    from hotline import intake
    from hotline.followup import service as followup
    from hotline.notify import service as notify
    from hotline.supervision import watch
    from hotline.webhooks import service as webhooks

    now = now or utcnow()
    out: dict[str, Any] = {}
    sweeps: list[tuple[str, Any]] = [("deadlines", watch.sweep), ("follow_up", followup.sweep)]
    if get_settings().dispatch_on_intake == "background":
        sweeps.insert(0, ("intake", intake.process_pending))
    for name, run in sweeps:
        try:
            with session_factory() as session:
                out[name] = run(session, now=now)
                session.commit()
        except Exception:
            log.exception("%s sweep failed; next tick tries again", name)
            out[name] = "error"
    try:
        out["analytics"] = _analytics(session_factory, now)
    except Exception:
        log.exception("analytics refresh failed; next tick tries again")
        out["analytics"] = "error"
    for name, deliver in (("notifications", notify.deliver_due), ("webhooks", webhooks.sweep)):
        try:
            out[name] = deliver(session_factory, now=now)
        except Exception:
            log.exception("%s delivery failed; next tick tries again", name)
            out[name] = "error"
    return out


def _analytics(session_factory: sessionmaker[Session], now: datetime) -> Any:
    """Re-take the facts of changed months every HOTLINE_ANALYTICS_REFRESH_MINUTES, and mine the
    current month's hotspots every HOTLINE_HOTSPOT_MINE_HOURS (both skipped when done recently)."""
    from datetime import datetime as dt
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from hotline.analytics import facts, hotspots, service
    from hotline.analytics.models import HotspotRun
    from hotline.analytics.store import Store

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
        due = stamp is None or now.replace(tzinfo=None) - dt.fromisoformat(stamp) >= timedelta(
            minutes=s.analytics_refresh_minutes
        )
        if due or "hotspots" in out:
            out["months"] = facts.refresh(session, store, now=now).months
    return out


class Scheduler:
    """Runs `tick` every interval in a daemon thread until stopped."""

    def __init__(self, session_factory: sessionmaker[Session], interval: float | None = None) -> None:
        self.session_factory = session_factory
        self.interval = interval or get_settings().scheduler_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hotline-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            result = tick(self.session_factory)
            log.debug("scheduler tick: %s", result)
            self._stop.wait(self.interval)
