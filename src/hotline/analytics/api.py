"""HTTP API of analytics: rates with drill-down, rankings, bottlenecks, hotspots, reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.analytics import bottlenecks, facts, hotspots, rates, report, service
from hotline.analytics.rates import Filter
from hotline.analytics.schemas import (
    DefinitionsOut,
    DimensionDefOut,
    DrillOut,
    EmergingOut,
    HotspotsOut,
    MineIn,
    MineOut,
    RankingOut,
    RateDefOut,
    RateTableOut,
    RefreshOut,
    RepeatsOut,
    StepsOut,
    SummaryOut,
    TopicOut,
    UnitsOut,
)
from hotline.analytics.store import Store
from hotline.http.deps import DbSession, LogPageSize, PageSize, require

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Viewer = Annotated[
    Principal,
    Depends(require(Permission.read_figures)),
]
Centre = Annotated[Principal, Depends(require(Permission.refresh_figures))]


def store_of(request: Request) -> Store:
    """The process's analytics store (a test may set its own on app.state)."""
    return getattr(request.app.state, "analytics_store", None) or Store()


StoreDep = Annotated[Store, Depends(store_of)]


def filter_params(
    period: Annotated[
        str | None, Query(description="2026-10, 2026-W43, 2026, 2026-10-05 or a span 2018-11..2020-01")
    ] = None,
    start: Annotated[date | None, Query(description="first local day (with end)")] = None,
    end: Annotated[date | None, Query(description="day after the last (exclusive)")] = None,
    department: int | None = None,
    district: int | None = None,
    street: int | None = None,
    category: Annotated[int | None, Query(description="first-level category id")] = None,
    channel: str | None = None,
    basis: Annotated[
        Literal["adjusted", "raw"], Query(description="adjusted: screened-out requests not counted")
    ] = "adjusted",
) -> Filter:
    where = {
        "department": department,
        "district": district,
        "street": street,
        "category": category,
        "channel": channel,
    }
    return service.make_filter(period=period, start=start, end=end, where=where, basis=basis)


FilterDep = Annotated[Filter, Depends(filter_params)]


def _meta(store: Store, flt: Filter) -> dict[str, Any]:
    return {"start": flt.start, "end": flt.end, "basis": flt.basis, "as_of": service.as_of(store)}


@router.get("/definitions", response_model=DefinitionsOut)
def definitions(_: Viewer) -> DefinitionsOut:
    """What each rate counts (numerator and denominator over the facts) and what it can be broken down by."""
    return DefinitionsOut(
        rates=[RateDefOut(**r.__dict__) for r in rates.definitions().values()],
        dimensions=[DimensionDefOut(**d.__dict__) for d in rates.dimensions().values()],
    )


@router.get("/rates", response_model=SummaryOut)
def summary(db: DbSession, principal: Viewer, store: StoreDep, flt: FilterDep) -> SummaryOut:
    """Every rate over the period, with the period before and the change (in rate points)."""
    scope = service.scope_of(db, principal)
    return SummaryOut(**_meta(store, flt), rates=rates.summary(store.connect(), flt, scope=scope))


@router.get("/rates/{rate}", response_model=RateTableOut)
def rate_table(
    rate: str,
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    by: str | None = None,
    every: Annotated[Literal["day", "week", "month"] | None, Query(description="a row per period")] = None,
) -> RateTableOut:
    """One rate by a dimension and/or per period: numerator, denominator and value of each row."""
    scope = service.scope_of(db, principal)
    rows = rates.compute(store.connect(), rate, flt, by=by, period=every, scope=scope)
    return RateTableOut(**_meta(store, flt), rate=rate, rows=rows)


@router.get("/rates/{rate}/tickets", response_model=DrillOut)
def rate_tickets(
    rate: str,
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    part: Literal["numerator", "denominator", "rest"] = "denominator",
    every: Literal["day", "week", "month"] | None = None,
    at: Annotated[str | None, Query(description="the period row to drill into (with every)")] = None,
    limit: LogPageSize = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DrillOut:
    """The tickets behind a figure: its denominator, its numerator, or the rest (those that lowered it)."""
    scope = service.scope_of(db, principal)
    found = rates.drilldown(
        store.connect(),
        rate,
        flt,
        part=part,
        period=every,
        period_value=at,
        scope=scope,
        limit=limit,
        offset=offset,
    )
    return DrillOut(**_meta(store, flt), **found)


@router.get("/rankings", response_model=RankingOut)
def rankings(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    by: Literal["department", "district", "street"] = "department",
    rate: Annotated[str | None, Query(description="rank by one rate; default: the composite score")] = None,
) -> RankingOut:
    """Departments or areas ranked (综合评价 by HOTLINE_RANKING_WEIGHTS, or by one rate)."""
    scope = service.scope_of(db, principal)
    rows = rates.ranking(store.connect(), flt, by=by, rate=rate, scope=scope)
    return RankingOut(**_meta(store, flt), rows=rows)


@router.get("/bottlenecks/steps", response_model=StepsOut)
def bottleneck_steps(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    by: Literal["department", "category", "district"] | None = None,
) -> StepsOut:
    """Time in each workflow step (median, p90) and tickets still waiting there, slowest first."""
    scope = service.scope_of(db, principal)
    return StepsOut(**_meta(store, flt), rows=bottlenecks.steps(store.connect(), flt, by=by, scope=scope))


@router.get("/bottlenecks/units", response_model=UnitsOut)
def bottleneck_units(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    by: Literal["department", "district", "street", "category"] = "department",
) -> UnitsOut:
    """Per unit: returned, overdue, late and reopened tickets, the most troubled first."""
    scope = service.scope_of(db, principal)
    return UnitsOut(**_meta(store, flt), rows=bottlenecks.units(store.connect(), flt, by=by, scope=scope))


@router.get("/hotspots", response_model=HotspotsOut)
def hotspot_list(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    limit: PageSize = 20,
    min_tickets: Annotated[int | None, Query(ge=1)] = None,
) -> HotspotsOut:
    """The hottest topics of the period with tickets, people, supports, span and heat index."""
    scope = service.scope_of(db, principal)
    rows = hotspots.top(store.connect(), flt, limit=limit, min_tickets=min_tickets, scope=scope)
    return HotspotsOut(**_meta(store, flt), rows=rows)


@router.get("/hotspots/{topic_id}", response_model=TopicOut)
def hotspot_detail(topic_id: int, db: DbSession, principal: Viewer, limit: LogPageSize = 50) -> TopicOut:
    """A topic and its tickets (those you may see), the most central first."""
    return TopicOut(**hotspots.members(db, topic_id=topic_id, limit=limit, principal=principal))


@router.post("/hotspots/mine", response_model=MineOut)
def hotspot_mine(body: MineIn, db: DbSession, _: Centre, store: StoreDep) -> MineOut:
    """Mine the topics of a period again (the scheduler does the current month daily), then re-take
    the facts of its months."""
    start, end = service.period_range(body.period)
    mined = hotspots.mine(db, period=body.period, start=start, end=end, store=store)
    refreshed = facts.refresh(db, store)
    return MineOut(**mined.__dict__, refreshed_months=refreshed.months)


@router.get("/emerging", response_model=EmergingOut)
def emerging(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    end: date | None = None,
    by: Literal["district", "street"] = "district",
    window_days: Annotated[int, Query(ge=1, le=31)] = 7,
    min_count: Annotated[int, Query(ge=1)] = 5,
) -> EmergingOut:
    """Problems rising suddenly against their baseline (新发问题)."""
    scope = service.scope_of(db, principal)
    end = end or service.make_filter().end
    rows = hotspots.emerging(
        store.connect(), end=end, by=by, window_days=window_days, min_count=min_count, scope=scope
    )
    return EmergingOut(end=end, as_of=service.as_of(store), rows=rows)


@router.get("/repeats", response_model=RepeatsOut)
def repeats(
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    flt: FilterDep,
    min_tickets: Annotated[int, Query(ge=2)] = 3,
) -> RepeatsOut:
    """Repeat requests: callers and places with several tickets in the period (重复诉求)."""
    scope = service.scope_of(db, principal)
    found = hotspots.repeats(store.connect(), flt, min_tickets=min_tickets, scope=scope)
    return RepeatsOut(**_meta(store, flt), **found)


@router.post("/refresh", response_model=RefreshOut)
def refresh(db: DbSession, _: Centre, store: StoreDep, full: bool = False) -> RefreshOut:
    """Bring the facts up to date now (the scheduler does it every HOTLINE_ANALYTICS_REFRESH_MINUTES)."""
    return RefreshOut(**facts.refresh(db, store, full=full).__dict__)


@router.get("/reports/{period}.{fmt}")
def report_file(
    period: str,
    fmt: str,
    db: DbSession,
    principal: Viewer,
    store: StoreDep,
    narrative: bool = False,
) -> Response:
    """The report of a period as html, pdf or xlsx (narrative=true: a paragraph by the large model, if
    one is configured, marked as generated)."""
    scope = service.scope_of(db, principal)
    if fmt not in report.FORMATS:
        from hotline.errors import InvalidInput

        raise InvalidInput("report_format", format=fmt)
    built = report.build(
        store.connect(),
        period=period,
        scope=scope,
        session=db,
        narrative=narrative,
        as_of=str(service.as_of(store) or ""),
    )
    body, media = report.render(built, fmt)
    headers = {"Content-Disposition": f'inline; filename="hotline-report-{period}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


# -- duplicates (并单) -----------------------------------------------------------------------------------
