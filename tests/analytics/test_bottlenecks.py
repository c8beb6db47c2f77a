"""Bottlenecks: time in each workflow step from the event log, and the troubled units."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hotline.analytics import bottlenecks, facts
from hotline.analytics.store import Store
from tests.analytics.conftest import History
from tests.analytics.test_rates import SEPT


def test_steps_have_median_p90_and_what_still_waits(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    taken = now + timedelta(days=30)
    facts.refresh(db, store, now=taken)
    steps = {s["step"]: s for s in bottlenecks.steps(store.connect(), SEPT)}
    # the factory moves each ticket one step every 10 minutes
    assert steps["dispatched"]["median_hours"] == pytest.approx(10 / 60, abs=0.01)
    assert steps["dispatched"]["still_open"] == 0
    processing = steps["processing"]
    assert processing["finished"] == 2  # happy and unhappy were replied
    assert processing["median_hours"] == pytest.approx(10 / 60, abs=0.01)
    assert processing["still_open"] == 1  # late is still there, since its sign-for
    signed_at = now + timedelta(minutes=20)
    assert processing["oldest_open_hours"] == pytest.approx(
        (taken - signed_at).total_seconds() / 3600, abs=0.1
    )
    # the returned ticket waits for arbitration; the merged and closed ones are not steps
    assert steps["returned"]["still_open"] == 1
    assert "closed" not in steps and "merged" not in steps
    # registered → direct answer, merged, master still registered: the centre's intake step
    assert steps["registered"]["still_open"] == 1  # the master


def test_units_rank_the_troubled(db: Session, history: History, store: Store, now: datetime) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    (zjj,) = bottlenecks.units(store.connect(), SEPT)
    assert zjj["name"] == "市住房和城乡建设局"
    assert (zjj["tickets"], zjj["returned"], zjj["overdue"], zjj["late"], zjj["reopened"]) == (4, 1, 1, 1, 0)
    assert zjj["troubled_share"] == 0.5  # returned and late, of four
    by_dept = bottlenecks.steps(store.connect(), SEPT, by="department")
    assert {r["name"] for r in by_dept if r["step"] == "processing"} == {"市住房和城乡建设局"}
