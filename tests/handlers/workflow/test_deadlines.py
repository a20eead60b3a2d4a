"""Deadlines count the Chinese working calendar, holidays and make-up working days included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from config import sla
from handlers.clock import LOCAL_TZ, local
from handlers.workflow.calendar import install_calendar
from handlers.workflow.calendar_file import load_calendar_file
from handlers.workflow.deadlines import add_working_days, deadlines_for, is_working_day
from tests.handlers.workflow.calendar_fixture import write_made_up_2027


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


def test_national_day_holiday_and_makeup_day() -> None:
    assert not is_working_day(date(2025, 10, 1))  # 国庆
    assert is_working_day(date(2025, 9, 28))  # a Sunday made a working day (调休)
    assert not is_working_day(date(2025, 10, 4))  # a Saturday inside the holiday


def test_working_days_skip_the_golden_week() -> None:
    due = add_working_days(at(2025, 9, 30), 2)
    # 1-8 October 2025 are holidays; 9 and 10 October are the first two working days.
    assert local(due).date() == date(2025, 10, 10)
    assert local(due).hour == 17 and local(due).minute == 30


def test_general_complaint_gets_seven_working_days() -> None:
    deadlines = deadlines_for("complaint", "一般", False, at(2026, 11, 23))  # a Monday
    assert local(deadlines.completion).date() == date(2026, 12, 2)
    assert deadlines.first_contact == at(2026, 11, 24)  # 24 hours


def test_urgent_is_counted_in_hours() -> None:
    start = at(2026, 11, 21, 22)  # a Saturday night
    deadlines = deadlines_for("complaint", "急", False, start)
    assert (deadlines.first_contact - start).total_seconds() == 2 * 3600
    assert (deadlines.completion - start).total_seconds() == 24 * 3600


def test_difficult_gets_the_longer_limit() -> None:
    start = at(2026, 11, 23)
    normal = deadlines_for("complaint", "一般", False, start)
    hard = deadlines_for("complaint", "一般", True, start)
    assert hard.completion > normal.completion


def test_calendar_override_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """For years the calendar library does not know yet, a deployment lists its own days."""
    monkeypatch.setitem(sla.CALENDAR_OVERRIDES, "2026-11-24", False)
    is_working_day.cache_clear()
    try:
        assert not is_working_day(date(2026, 11, 24))
    finally:
        is_working_day.cache_clear()


def test_a_calendar_file_keeps_the_spring_festival_out_of_deadlines(tmp_path: Path) -> None:
    """2027 is past the library's data: without a file, Monday-Friday would count the Spring
    Festival as working days. With the district's file (made-up dates here) it does not."""
    install_calendar(load_calendar_file(write_made_up_2027(tmp_path)))
    try:
        start = at(2027, 2, 5)  # a Friday, the day before the (made-up) holiday
        deadlines = deadlines_for("complaint", "一般", False, start)
        # 6-13 February off; the 14th (a Sunday) and the 20th (a Saturday) are make-up days:
        # 14, 15, 16, 17, 18, 19, 20 are the seven working days.
        assert local(deadlines.completion).date() == date(2027, 2, 20)
    finally:
        install_calendar(None)
    # The fallback it replaces: Monday-Friday would have ended on the 16th, mid-holiday.
    fallback = add_working_days(at(2027, 2, 5), 7)
    assert local(fallback).date() == date(2027, 2, 16)
