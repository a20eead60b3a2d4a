"""The working calendar deadlines and digests count: which days are working days, and how far
ahead that is known.

Three sources, the first that knows a day decides it:

1. ``JIESU_CALENDAR_OVERRIDES`` (``config.sla.CALENDAR_OVERRIDES``): single days;
2. the district's calendar file (``JIESU_CALENDAR_FILE``, :mod:`handlers.workflow.calendar_file`):
   whole years, written from the State Council's yearly notice;
3. the chinese-calendar library: whole years, up to the one it was released with.

A day none of them knows is counted Monday to Friday, with a warning in the log: the Spring
Festival would then be working days. :func:`coverage` says up to which day the calendar is known,
so that ``/healthz``, the dashboard and ``jiesu serve``'s start can say so in time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from config import sla
from handlers.workflow.calendar_file import CalendarFile

logger = logging.getLogger(__name__)

_NO_FILE = CalendarFile("", frozenset(), {})


class _Installed:
    """The district's file in use (replaced, never merged, by :func:`install_calendar`)."""

    file: CalendarFile = _NO_FILE


def library_years() -> tuple[int, int]:
    """The first and last year chinese-calendar has data for."""
    known = chinese_calendar.holidays
    return min(known).year, max(known).year


@functools.lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    override = sla.CALENDAR_OVERRIDES.get(day.isoformat())
    if override is not None:
        return override
    file = _Installed.file
    listed = file.days.get(day)
    if listed is not None:
        return listed
    if day.year in file.years:
        return day.weekday() < 5
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Nobody knows this year: fall back to Monday-Friday and say so (once per day asked).
        logger.warning(
            "no holiday data for %s; counting Monday-Friday (set JIESU_CALENDAR_FILE)", day.year
        )
        return day.weekday() < 5


def apply_calendar_overrides(overrides: Mapping[str, bool]) -> None:
    """Add the deployment's own calendar days (``JIESU_CALENDAR_OVERRIDES``) to the policy's.

    Called once at start; the days count for every deadline and digest from then on.
    """
    for day, working in overrides.items():
        date.fromisoformat(day)  # a clear error at start for a malformed day
        sla.CALENDAR_OVERRIDES[day] = bool(working)
    is_working_day.cache_clear()


def install_calendar(
    file: CalendarFile | None, overrides: Mapping[str, bool] | None = None
) -> None:
    """Use ``file`` (None: none) from now on, and add ``overrides``. Called at each start."""
    _Installed.file = file or _NO_FILE
    is_working_day.cache_clear()
    if overrides:
        apply_calendar_overrides(overrides)
    if file is not None:
        _log_disagreements(file)


def _log_disagreements(file: CalendarFile) -> None:
    """A file's year that the library knows too: where they differ the file wins, but it is more
    likely a typo than a change to a published notice, so say so."""
    first, last = library_years()
    differ = [
        day
        for day, working in sorted(file.days.items())
        if first <= day.year <= last and bool(chinese_calendar.is_workday(day)) != working
    ]
    if differ:
        shown = ", ".join(day.isoformat() for day in differ[:5])
        logger.warning(
            "calendar file %s differs from chinese-calendar on %d days (%s); the file wins",
            file.source,
            len(differ),
            shown,
        )


@dataclass(frozen=True)
class Coverage:
    """How far the calendar reaches: every day up to ``covered_until`` is known."""

    library: tuple[int, int]
    file_source: str
    file_years: tuple[int, ...]
    override_days: int
    covered_until: date

    def summary(self) -> str:
        parts = [f"chinese-calendar {self.library[0]}-{self.library[1]}"]
        if self.file_years:
            years = ", ".join(str(year) for year in self.file_years)
            parts.append(f"file {self.file_source} ({years})")
        if self.override_days:
            parts.append(f"{self.override_days} override days")
        return (
            f"working calendar known from {self.library[0]}-01-01 to "
            f"{self.covered_until.isoformat()}: {'; '.join(parts)}"
        )

    def days_left(self, today: date) -> int:
        return (self.covered_until - today).days

    def warning(self, today: date, horizon_days: int) -> str | None:
        """English, for logs and ``/healthz``; None while the next ``horizon_days`` are known."""
        if today + timedelta(days=horizon_days) <= self.covered_until:
            return None
        return (
            f"the working calendar ends on {self.covered_until.isoformat()} "
            f"({self.days_left(today)} days from {today.isoformat()}); after it deadlines count "
            "Monday-Friday and holidays such as the Spring Festival as working days. Write the "
            "State Council's holiday notice for the next year into the file named by "
            "JIESU_CALENDAR_FILE and restart"
        )


def coverage() -> Coverage:
    """How far the calendar reaches: the library's years, then the file's as long as each
    follows the one before, then the override days that follow on without a gap."""
    first, last = library_years()
    file = _Installed.file
    year = last
    while year + 1 in file.years:
        year += 1
    until = date(year, 12, 31)
    while (until + timedelta(days=1)).isoformat() in sla.CALENDAR_OVERRIDES:
        until += timedelta(days=1)
    return Coverage(
        library=(first, last),
        file_source=file.source,
        file_years=tuple(sorted(file.years)),
        override_days=len(sla.CALENDAR_OVERRIDES),
        covered_until=until,
    )
