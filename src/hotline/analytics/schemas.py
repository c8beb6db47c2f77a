"""Request and response bodies of analytics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class MineIn(BaseModel):
    period: str = Field(max_length=32, description="2026-10, 2026-W43, … or a span 2018-11..2020-01")


class Meta(BaseModel):
    """What every figure is taken over: local days from start to end (exclusive), the basis, and when
    the facts were last taken."""

    start: date
    end: date
    basis: str  # adjusted: screened-out requests not counted | raw
    as_of: datetime | None


class RateDefOut(BaseModel):
    key: str
    zh: str
    en: str
    table: str
    denominator: str
    numerator: str | None
    weight: str | None
    evaluation: bool
    lower_is_better: bool


class DimensionDefOut(BaseModel):
    key: str
    zh: str
    en: str
    columns: dict[str, str]
    dim: str | None


class DefinitionsOut(BaseModel):
    rates: list[RateDefOut]
    dimensions: list[DimensionDefOut]


class Figure(BaseModel):
    """One rate over a group (a unit, a period, or everything): numerator, denominator, value."""

    rate: str
    period: str | None = None
    key: int | str | None = None
    name: str | None = None
    numerator: float
    denominator: int
    value: float | None


class SummaryRow(Figure):
    zh: str
    en: str
    lower_is_better: bool
    previous: float | None
    previous_numerator: float
    previous_denominator: int
    change: float | None  # in rate points
    # 满意率 and 解决率: how their answers were read — citizen (chosen), machine, person (confirmed),
    # before (recorded before readings were kept) — and to_confirm (waiting for a person, in no rate)
    readings: dict[str, int] | None = None


class SummaryOut(Meta):
    rates: list[SummaryRow]


class RateTableOut(Meta):
    rate: str
    rows: list[Figure]


class DrillOut(Meta):
    """The rows behind a figure: tickets (number, title, status, department) or calls."""

    rate: str
    part: str  # numerator | denominator | rest
    total: int
    items: list[dict[str, Any]]


class RankFigure(BaseModel):
    numerator: float
    denominator: int
    value: float | None


class RankingRow(BaseModel):
    key: int | str
    name: str | None
    rates: dict[str, RankFigure]
    score: float | None
    rank: int | None  # None: too few cases to be ranked
    lower_is_better: bool | None = None


class RankingOut(Meta):
    rows: list[RankingRow]


class StepRow(BaseModel):
    step: str
    step_zh: str
    key: int | str | None = None
    name: str | None = None
    passes: int
    finished: int
    median_hours: float | None
    p90_hours: float | None
    still_open: int
    oldest_open_hours: float | None


class StepsOut(Meta):
    rows: list[StepRow]


class UnitRow(BaseModel):
    key: int | str
    name: str | None
    tickets: int
    returned: int
    overdue: int
    late: int
    reopened: int
    troubled: int
    troubled_share: float | None


class UnitsOut(Meta):
    rows: list[UnitRow]


class HotspotRow(BaseModel):
    topic_id: int | None
    title: str | None
    keywords: list[str]
    place: str | None
    district_id: int | None
    district: str | None
    category_l1_id: int | None
    category: str | None
    tickets: int
    people: int
    supports: int | None
    recent: int
    open: int
    first_at: datetime
    last_at: datetime
    span_days: float
    heat: float


class HotspotsOut(Meta):
    rows: list[HotspotRow]


class TopicTicket(BaseModel):
    id: int
    number: str
    title: str
    created_at: datetime
    status: str
    supports: int
    similarity: float


class TopicOut(BaseModel):
    id: int
    title: str
    keywords: list[str]
    place: str | None
    size: int
    tickets: list[TopicTicket]


class MineOut(BaseModel):
    run_id: int
    period: str
    tickets: int
    topics: int
    clustered: int
    seconds: float
    refreshed_months: list[str]


class EmergingRow(BaseModel):
    category_id: int
    category: str | None
    place: int
    place_name: str | None
    recent: int
    baseline: float
    z: float


class EmergingOut(BaseModel):
    end: date
    as_of: datetime | None
    rows: list[EmergingRow]


class RepeatCaller(BaseModel):
    caller: str  # a stable pseudonym, never the number
    tickets: int
    categories: int
    numbers: list[str]
    first_at: datetime
    last_at: datetime


class RepeatPlace(BaseModel):
    area_id: int
    area: str | None
    category_id: int
    category: str | None
    tickets: int
    people: int
    numbers: list[str]


class RepeatsOut(Meta):
    callers: list[RepeatCaller]
    places: list[RepeatPlace]


class RefreshOut(BaseModel):
    months: list[str]
    tickets: int
    assignments: int
    steps: int
    calls: int
    seconds: float
