"""The rates over a history whose every figure is known: numerators, denominators, drill-down,
scoping, the adjusted basis, the period before, and refreshes that follow the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hotline.analytics import facts, rates, service
from hotline.analytics.rates import Filter, Scope
from hotline.analytics.store import Store
from hotline.config import get_settings
from hotline.errors import InvalidInput, PermissionDenied
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests import factories
from tests.analytics.conftest import History

SEPT = Filter(date(2026, 9, 1), date(2026, 10, 1))


def figures(store: Store, flt: Filter = SEPT, scope: Scope = rates.ALL) -> dict[str, tuple[float, int]]:
    return {
        r["rate"]: (r["numerator"], r["denominator"])
        for r in rates.summary(store.connect(), flt, scope=scope)
    }


def test_every_rate_counts_what_its_definition_says(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))  # every deadline of September has passed
    f = figures(store)
    assert f["satisfaction"] == (1, 2)  # happy satisfied, unhappy not
    assert f["resolution"] == (1, 2)
    assert f["direct_answer"] == (1, 6)  # 7 tickets, the merged one not counted
    assert f["dispatch_accuracy"] == (3, 4)  # happy, unhappy, late kept their first department; returned not
    assert f["return"] == (1, 4)  # four assignments, one returned
    assert f["response"] == (4, 4)  # each signed for (or returned) within its sign-for limit
    assert f["on_time"] == (2, 3)  # happy and unhappy replied in time; late is overdue
    assert f["reopen"] == (0, 2)
    assert f["connection"] == (0, 0)  # no call records


def test_drilldown_lists_the_tickets_behind_a_figure(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    con = store.connect()
    rest = rates.drilldown(con, "on_time", SEPT, part="rest")
    assert [t["number"] for t in rest["items"]] == [history.late.number]
    good = rates.drilldown(con, "satisfaction", SEPT, part="numerator")
    assert [t["number"] for t in good["items"]] == [history.happy.number]
    den = rates.drilldown(con, "satisfaction", SEPT)
    assert {t["number"] for t in den["items"]} == {history.happy.number, history.unhappy.number}
    assert den["total"] == 2


def test_by_department_and_per_day(
    db: Session, history: History, store: Store, actors: factories.Actors, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    zjj = actors.dept_id("ZJJ", db)
    rows = rates.compute(store.connect(), "satisfaction", SEPT, by="department")
    assert [(r["key"], r["name"], r["numerator"], r["denominator"]) for r in rows] == [
        (zjj, "市住房和城乡建设局", 1, 2)
    ]
    daily = rates.compute(store.connect(), "direct_answer", SEPT, period="day")
    assert [(r["period"], r["denominator"]) for r in daily] == [("2026-09-16", 6)]


def test_screened_out_requests_leave_the_evaluation_but_not_the_raw_figures(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    history.unhappy.evaluation_excluded = True
    db.flush()
    facts.refresh(db, store, now=now + timedelta(days=30))
    assert figures(store)["satisfaction"] == (1, 1)
    raw = Filter(SEPT.start, SEPT.end, basis="raw")
    assert figures(store, raw)["satisfaction"] == (1, 2)


def test_change_against_the_period_before(db: Session, history: History, store: Store, now: datetime) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    sat = next(r for r in rates.summary(store.connect(), SEPT) if r["rate"] == "satisfaction")
    assert (sat["previous_numerator"], sat["previous_denominator"]) == (1, 1)  # the August ticket
    assert sat["value"] == 0.5 and sat["previous"] == 1.0 and sat["change"] == -0.5
    assert SEPT.previous() == Filter(date(2026, 8, 1), date(2026, 9, 1))


def test_a_department_sees_only_its_own_figures(
    db: Session, history: History, store: Store, actors: factories.Actors, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    mine = service.scope_of(db, actors.zjj)
    assert figures(store, scope=mine)["satisfaction"] == (1, 2)
    other = service.scope_of(db, actors.cgj)
    assert figures(store, scope=other)["satisfaction"] == (0, 0)
    assert "connection" not in figures(store, scope=other)  # call figures are the centre's
    with pytest.raises(PermissionDenied):
        rates.compute(store.connect(), "connection", SEPT, scope=other)
    assert service.scope_of(db, actors.leader) == rates.ALL


def test_an_area_centre_sees_its_district(
    db: Session, history: History, store: Store, actors: factories.Actors, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    hb = service.scope_of(db, actors.hb_center)  # 湖滨区: every ticket of the history is there
    xc = service.scope_of(db, actors.xc_center)
    assert figures(store, scope=hb)["direct_answer"] == (1, 6)
    assert figures(store, scope=xc)["direct_answer"] == (0, 0)


def test_refresh_follows_new_events_and_passing_deadlines(
    db: Session, history: History, store: Store, actors: factories.Actors, now: datetime
) -> None:
    first = facts.refresh(db, store, now=now + timedelta(hours=3))
    assert first.months == ["2026-08", "2026-09"]
    assert figures(store)["on_time"] == (2, 2)  # late is not due yet
    quiet = facts.refresh(db, store, now=now + timedelta(hours=3, minutes=5))
    assert quiet.months == []  # nothing changed, nothing re-taken
    later = facts.refresh(db, store, now=now + timedelta(days=30))
    assert later.months == ["2026-09"]  # the late ticket's deadline passed without any event
    assert figures(store)["on_time"] == (2, 3)
    wf.reopen(
        db,
        ticket_id=history.happy.id,
        reason="市民反映路灯又坏",
        principal=actors.dispatcher,
        now=now + timedelta(days=31),
    )
    db.flush()
    again = facts.refresh(db, store, now=now + timedelta(days=31, minutes=1))
    assert again.months == ["2026-09"]
    assert figures(store)["reopen"] == (1, 2)


def test_a_full_refresh_takes_everything_again(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    before = figures(store)
    full = facts.refresh(db, store, full=True, now=now + timedelta(days=30))
    assert full.months[0] == "2026-08" and full.tickets == 8
    assert figures(store) == before


def test_ranking_composite_and_single_rate(
    db: Session,
    history: History,
    store: Store,
    actors: factories.Actors,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.ticket_in(db, actors, Status.closed, now=now, dept="CGJ")  # 城管局: 1 of 1 satisfied
    db.flush()
    facts.refresh(db, store, now=now + timedelta(days=30))
    monkeypatch.setattr(get_settings(), "ranking_min_denominator", 1)
    by_sat = rates.ranking(store.connect(), SEPT, by="department", rate="satisfaction")
    assert [(r["name"], r["rank"], r["score"]) for r in by_sat] == [
        ("市城市管理局", 1, 1.0),
        ("市住房和城乡建设局", 2, 0.5),
    ]
    # lower is better for the return rate: 城管局 returned nothing, 住建局 one of four
    by_returns = rates.ranking(store.connect(), SEPT, by="department", rate="return")
    assert [(r["name"], r["score"]) for r in by_returns] == [
        ("市城市管理局", 0.0),
        ("市住房和城乡建设局", 0.25),
    ]
    composite = rates.ranking(store.connect(), SEPT, by="department")
    zjj = next(r for r in composite if r["name"] == "市住房和城乡建设局")
    # weights 0.4 satisfaction (0.5), 0.3 resolution (0.5), 0.2 on time (2/3), 0.1 response (1.0)
    assert zjj["score"] == pytest.approx((0.4 * 0.5 + 0.3 * 0.5 + 0.2 * 2 / 3 + 0.1 * 1.0) / 1.0, abs=1e-4)
    monkeypatch.setattr(get_settings(), "ranking_min_denominator", 10)
    unranked = rates.ranking(store.connect(), SEPT, by="department")
    assert all(r["rank"] is None and r["score"] is None for r in unranked)  # too few cases to rank


def test_bad_requests_are_refused_with_a_reason(store: Store) -> None:
    con = store.connect()
    with pytest.raises(InvalidInput) as e:
        rates.compute(con, "happiness", SEPT)
    assert e.value.message_key == "analytics_unknown_rate"
    with pytest.raises(InvalidInput) as e:
        rates.compute(con, "connection", SEPT, by="department")
    assert e.value.message_key == "analytics_dimension_not_applicable"
    with pytest.raises(InvalidInput):
        Filter(date(2026, 9, 2), date(2026, 9, 1))
    with pytest.raises(InvalidInput):
        service.period_range("2026-13")
    assert service.period_range("2026-W01") == (date(2025, 12, 29), date(2026, 1, 5))
    assert service.period_range("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    # a span of periods: from the first's start to the second's end
    assert service.period_range("2018-11..2020-01") == (date(2018, 11, 1), date(2020, 2, 1))
    assert service.period_range("2017..2020") == (date(2017, 1, 1), date(2021, 1, 1))
    for bad in ("2020..2018", "2018-11..", "2018..2019..2020"):
        with pytest.raises(InvalidInput):
            service.period_range(bad)
    # an empty store answers with zeros, not an error
    assert rates.compute(con, "satisfaction", SEPT)[0]["denominator"] == 0


def test_follow_up_rates_say_how_their_answers_were_read(
    db: Session, actors: factories.Actors, store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from hotline.followup import service as followup
    from hotline.followup.models import FollowUpTask
    from hotline.tickets.enums import Satisfaction

    at = now + timedelta(hours=3)

    def answer(comment: str | None, satisfaction: Satisfaction | None = None) -> FollowUpTask:
        t = factories.ticket_in(db, actors, Status.follow_up, now=now)
        followup.sweep(db, now=t.updated_at + timedelta(minutes=1))
        task = db.scalars(select(FollowUpTask).where(FollowUpTask.ticket_id == t.id)).one()
        return followup.record(
            db,
            task=task,
            resolved=None,
            satisfaction=satisfaction,
            comment=comment,
            via="call",
            principal=actors.operator,
            now=at,
        )

    chosen = answer(None, Satisfaction.satisfied)
    machine = answer("已经修好了，非常满意，谢谢")
    assert (chosen.read_by, machine.read_by) == ("citizen", "machine")
    monkeypatch.setattr(get_settings(), "follow_up_auto_read", False)
    waiting = answer("修好了，就是拖得有点久")
    confirmed = answer("来修过一次，后来又不行了")
    assert waiting.status == confirmed.status == "confirm"
    followup.confirm(
        db,
        task_id=confirmed.id,
        satisfaction=Satisfaction.unsatisfied,
        resolved=False,
        within_power=True,
        principal=actors.operator,
        now=at,
    )
    facts.refresh(db, store, now=now + timedelta(days=30))
    summary = {r["rate"]: r for r in rates.summary(store.connect(), SEPT)}
    for key in ("satisfaction", "resolution"):
        # three answers count; the one waiting for a person does not, and is counted apart
        assert summary[key]["denominator"] == 3
        assert summary[key]["readings"] == {"citizen": 1, "machine": 1, "person": 1, "to_confirm": 1}
    assert summary["satisfaction"]["numerator"] == 2
    assert "readings" not in summary["on_time"]
    # an answer that starts waiting later is seen by the next (incremental) refresh
    answer("嗯，差不多吧")
    facts.refresh(db, store, now=now + timedelta(days=31))
    later = {r["rate"]: r for r in rates.summary(store.connect(), SEPT)}
    assert later["satisfaction"]["readings"]["to_confirm"] == 2


def test_a_store_written_before_readings_were_kept_counts_them_apart(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    import pyarrow.parquet as pq

    facts.refresh(db, store, now=now + timedelta(days=30))
    for f in (store.path / "tickets").glob("*.parquet"):  # as months written by the version before
        table = pq.read_table(f)
        pq.write_table(table.drop_columns(["read_by", "to_confirm"]), f)
    summary = {r["rate"]: r for r in rates.summary(store.connect(), SEPT)}
    assert summary["satisfaction"]["denominator"] == 2
    assert summary["satisfaction"]["readings"] == {
        "citizen": 0,
        "machine": 0,
        "person": 0,
        "before": 2,
        "to_confirm": 0,
    }
