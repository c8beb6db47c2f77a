"""Working-day arithmetic across Chinese holidays and make-up working days (调休)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hotline.sla.calendar import Unit, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
cal = WorkCalendar(tz=SH, work_start=time(8, 30), work_end=time(17, 30))


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_national_day_week_and_make_up_saturday() -> None:
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, a make-up working day
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, a make-up working day
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_three_working_days_across_national_day() -> None:
    # dispatched Wednesday 30 Sept: the 3 working days are 8 Oct, 9 Oct and Saturday 10 Oct (调休)
    due = cal.add_working_days(local(2026, 9, 30, 10), 3)
    assert due == local(2026, 10, 10, 17, 30)


def test_thirteen_working_days_across_national_day() -> None:
    assert cal.add_working_days(local(2026, 9, 30, 10), 13) == local(2026, 10, 23, 17, 30)


def test_spring_festival_counts_make_up_saturday() -> None:
    # Friday 13 Feb + 1 working day = Saturday 14 Feb (make-up); + 2 = Tuesday 24 Feb after the holiday
    assert cal.add_working_days(local(2026, 2, 13, 9), 1) == local(2026, 2, 14, 17, 30)
    assert cal.add_working_days(local(2026, 2, 13, 9), 2) == local(2026, 2, 24, 17, 30)


def test_working_hours_skip_the_holiday() -> None:
    # sign-for within 2 working hours, registered 16:30 on the last day before the holiday
    due = cal.add(local(2026, 9, 30, 16, 30), 2, Unit.working_hours)
    assert due == local(2026, 10, 8, 9, 30)


def test_working_hours_start_counting_at_opening_time() -> None:
    assert cal.add(local(2026, 10, 8, 6, 0), 1, Unit.working_hours) == local(2026, 10, 8, 9, 30)
    # at night: the next morning
    assert cal.add(local(2026, 10, 8, 20, 0), 0.5, Unit.working_hours) == local(2026, 10, 9, 9, 0)


def test_calendar_hours_ignore_holidays() -> None:
    assert cal.add(local(2026, 10, 1, 10), 4, Unit.calendar_hours) == local(2026, 10, 1, 14)


def test_zero_working_days_is_end_of_today_or_next_working_day() -> None:
    assert cal.add_working_days(local(2026, 9, 30, 10), 0) == local(2026, 9, 30, 17, 30)
    assert cal.add_working_days(local(2026, 10, 2, 10), 0) == local(2026, 10, 8, 17, 30)


def test_working_seconds_between_spans_the_holiday() -> None:
    # 16:30 on 30 Sept to 09:30 on 8 Oct: one hour before the holiday and one after
    assert cal.working_seconds_between(local(2026, 9, 30, 16, 30), local(2026, 10, 8, 9, 30)) == 2 * 3600
    assert cal.working_seconds_between(local(2026, 10, 8), local(2026, 9, 30)) == 0


def test_pause_shifts_deadline_by_working_time_only() -> None:
    deadline = local(2026, 10, 12, 17, 30)
    # paused from Wednesday 30 Sept 15:30 to Thursday 8 Oct 09:30 → 2 + 1 = 3 working hours
    shifted = cal.shift_by_working_time(deadline, local(2026, 9, 30, 15, 30), local(2026, 10, 8, 9, 30))
    assert shifted == local(2026, 10, 13, 11, 30)


def test_overrides_win_and_unknown_years_fall_back_to_weekdays() -> None:
    custom = WorkCalendar(tz=SH, overrides={date(2027, 1, 1): False, date(2027, 1, 2): True})
    assert not custom.is_workday(date(2027, 1, 1))  # Friday made a holiday by the centre
    assert custom.is_workday(date(2027, 1, 2))  # Saturday made a working day
    assert not custom.is_workday(date(2027, 1, 3))  # Sunday, no data: weekend
    assert custom.is_workday(date(2027, 1, 4))  # Monday, no data: weekday
    # a deadline set in late 2026 that runs into 2027 is still computed
    due = custom.add_working_days(local(2026, 12, 30, 10), 3)
    assert due == local(2027, 1, 4, 17, 30)  # 31 Dec, 2 Jan (make-up), 4 Jan


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_days(datetime(2026, 10, 8, 10), 1)


def test_result_is_timezone_aware_and_comparable_with_utc() -> None:
    due = cal.add_working_days(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 3)
    assert due.astimezone(UTC) == datetime(2026, 10, 10, 9, 30, tzinfo=UTC)
