"""The scheduler's analytics step: facts re-taken every HOTLINE_ANALYTICS_REFRESH_MINUTES, the
current month's hotspots mined every HOTLINE_HOTSPOT_MINE_HOURS, each only when due."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.analytics import rates
from hotline.analytics.rates import Filter
from hotline.analytics.store import Store
from hotline.config import get_settings
from hotline.jobs.scheduler import tick
from hotline.tickets.states import Status
from tests import factories


def test_tick_keeps_analytics_fresh(
    db: Session,
    session_maker: sessionmaker[Session],
    actors: factories.Actors,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "analytics_dir", str(tmp_path / "analytics"))
    factories.ticket_in(db, actors, Status.closed, now=now)
    db.commit()
    first = tick(session_maker, now=now + timedelta(hours=1))["analytics"]
    assert first["months"] == ["2026-09"] and first["hotspots"] == 0  # one ticket: no topic
    flt = Filter(now.date().replace(day=1), now.date().replace(day=28))
    assert rates.compute(Store().connect(), "satisfaction", flt)[0]["denominator"] == 1
    soon = tick(session_maker, now=now + timedelta(hours=1, minutes=5))["analytics"]
    assert soon == {}  # neither is due
    factories.ticket_in(db, actors, Status.closed, now=now + timedelta(hours=2))
    db.commit()
    later = tick(session_maker, now=now + timedelta(hours=1, minutes=11))["analytics"]
    assert later["months"] == ["2026-09"] and "hotspots" not in later
    assert rates.compute(Store().connect(), "satisfaction", flt)[0]["denominator"] == 2
    next_day = tick(session_maker, now=now + timedelta(days=1, hours=2))["analytics"]
    assert "hotspots" in next_day  # mined again after a day
