"""Working-day arithmetic: Chinese public holidays and make-up working days (调休), working hours.

Pure functions over a calendar; no database. Which days are working days comes, in order, from
explicit overrides (the centre's own rows), then the chinese-calendar package for the years it
knows, then Monday-Friday for years not yet published (a warning is logged once per such year).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

_MAX_DAYS = 3660  # never walk more than ten years looking for a working day


class Unit(StrEnum):
    calendar_hours = "calendar_hours"  # emergencies: the clock never stops
    working_hours = "working_hours"  # sign-for limits: only inside working hours of working days
    working_days = "working_days"  # handling limits: until the end of the Nth working day after


class WorkCalendar:
    """A city's working calendar in its own timezone."""

    def __init__(
        self,
        *,
        tz: str | ZoneInfo = "Asia/Shanghai",
        work_start: time = time(8, 30),
        work_end: time = time(17, 30),
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.work_start = work_start
        self.work_end = work_end
        self.overrides = dict(overrides or {})
        self._warned: set[int] = set()

    def is_workday(self, day: date) -> bool:
        """Return whether `day` is a working day."""
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning("no holiday data for %d: counting Monday-Friday; add calendar rows", day.year)
            return day.weekday() < 5

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment.astimezone(self.tz)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.work_start, self.tz),
            datetime.combine(day, self.work_end, self.tz),
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the end of the `days`-th working day after the day of `start`.

        With days=0: the end of the same day if it is a working day and not yet over, else of the next.
        """
        local = self._local(start)
        day = local.date()
        if days <= 0:
            if self.is_workday(day) and local < self._window(day)[1]:
                return self._window(day)[1]
            days = 1
        counted = 0
        for _ in range(_MAX_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
                if counted == days:
                    return self._window(day)[1]
        raise ValueError("no working day within ten years")

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """Return the moment `seconds` of working time after `start`."""
        cursor = self._local(start)
        if seconds <= 0:
            return cursor
        remaining = timedelta(seconds=seconds)
        for _ in range(_MAX_DAYS):
            day = cursor.date()
            if self.is_workday(day):
                open_, close = self._window(day)
                cursor = max(cursor, open_)
                if cursor < close:
                    available = close - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0), self.tz)
        raise ValueError("no working time within ten years")

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Return how much working time lies between two moments (0 if end is not after start)."""
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0.0
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                open_, close = self._window(day)
                lo, hi = max(a, open_), min(b, close)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, amount: float, unit: Unit) -> datetime:
        """Return the deadline `amount` units after `start`."""
        if unit == Unit.calendar_hours:
            return self._local(start) + timedelta(hours=amount)
        if unit == Unit.working_hours:
            return self.add_working_seconds(start, amount * 3600)
        return self.add_working_days(start, int(amount))

    def shift_by_working_time(
        self, deadline: datetime, paused_from: datetime, resumed_at: datetime
    ) -> datetime:
        """Return `deadline` pushed back by the working time spent paused."""
        return self.add_working_seconds(deadline, self.working_seconds_between(paused_from, resumed_at))
