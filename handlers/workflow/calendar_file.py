"""A district's working-calendar file: the State Council's yearly holiday notice, line by line.

chinese-calendar knows the years it was released with; each November or December the General
Office of the State Council publishes the next year's holidays (国务院办公厅关于某年部分节假日安排
的通知). A district writes them into a CSV file (UTF-8, with or without a BOM; Excel's "CSV UTF-8"
does) and points ``JIESU_CALENDAR_FILE`` at it. ``config/holidays.example.csv`` is the 2026 notice
in this form::

    # 国务院办公厅关于2026年部分节假日安排的通知
    year,kind,first,last,name
    2026,放假,2026-01-01,2026-01-03,元旦
    2026,上班,2026-01-04,,元旦

- ``year``: the notice's year. Its dates are in that year, or in the December before (a New
  Year's holiday that joins the old year's last weekend).
- ``kind``: ``放假`` (or ``holiday``) for days off, ``上班`` (or ``workday``) for make-up working
  days (调休上班), which are always a Saturday or a Sunday.
- ``first``, ``last``: the days, ``YYYY-MM-DD``, both included; ``last`` empty = ``first`` only.
- ``name``: the festival, as the notice names it (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节,
  国庆节); a line may name two (``国庆节、中秋节``).

Empty lines and lines starting with ``#`` are skipped. A year in the file is the whole year: days
not listed are working days Monday to Friday and days off at the weekend. So that a half-written
year cannot pass for a whole one, each year must name all seven festivals.

Every mistake is a :class:`CalendarFileError` naming the file and the line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HEADER = ("year", "kind", "first", "last", "name")
KINDS: Mapping[str, bool] = {"放假": False, "holiday": False, "上班": True, "workday": True}
# What each festival's name contains: every notice lists these seven.
FESTIVALS = ("元旦", "春节", "清明", "劳动", "端午", "中秋", "国庆")
LONGEST_SPAN_DAYS = 15  # no holiday in a notice has been longer than 9 days
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarFileError(ValueError):
    """A calendar file that cannot be used, with where and why."""


@dataclass(frozen=True)
class CalendarFile:
    """What a file says: the years it covers and, for each listed day, working (True) or not."""

    source: str
    years: frozenset[int]
    days: Mapping[date, bool]


@dataclass
class _Reading:
    source: str
    days: dict[date, bool]
    where: dict[date, int]  # the line each day was listed on
    names: dict[int, list[str]]  # festival names per year
    first_line: dict[int, int]  # where each year starts, for messages

    def fail(self, line: int, problem: str) -> CalendarFileError:
        return CalendarFileError(f"calendar file {self.source}, line {line}: {problem}")


def load_calendar_file(path: Path) -> CalendarFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileError(f"calendar file {path}: cannot read it ({exc})") from None
    return parse_calendar(text, str(path))


def parse_calendar(text: str, source: str) -> CalendarFile:
    reading = _Reading(source, {}, {}, {}, {})
    header_seen = False
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [field.strip() for field in next(csv.reader([stripped]))]
        if not header_seen:
            if tuple(field.lower() for field in fields) != HEADER:
                raise reading.fail(number, f"expected the header line {','.join(HEADER)}")
            header_seen = True
            continue
        _read_line(reading, number, fields)
    if not reading.days:
        raise CalendarFileError(f"calendar file {source}: no holidays in it")
    for year, names in sorted(reading.names.items()):
        missing = [f for f in FESTIVALS if not any(f in name for name in names)]
        if missing:
            raise CalendarFileError(
                f"calendar file {source}, year {year} (from line {reading.first_line[year]}): "
                f"no line names {'、'.join(missing)}; the notice lists 元旦、春节、清明节、"
                "劳动节、端午节、中秋节、国庆节, and a year left half written would count the "
                "missing holidays as working days"
            )
    return CalendarFile(source, frozenset(reading.names), dict(reading.days))


def _read_line(reading: _Reading, number: int, fields: list[str]) -> None:
    if len(fields) != len(HEADER):
        raise reading.fail(number, f"{len(fields)} fields, expected 5 fields: {','.join(HEADER)}")
    year_text, kind_text, first_text, last_text, name = fields
    if not (year_text.isascii() and year_text.isdigit() and 2000 <= int(year_text) <= 2100):
        raise reading.fail(number, f"year {year_text!r} is not a year like 2027")
    year = int(year_text)
    working = KINDS.get(kind_text.lower())
    if working is None:
        raise reading.fail(
            number, f"kind {kind_text!r} is neither 放假 (holiday) nor 上班 (workday)"
        )
    first = _day(reading, number, first_text)
    last = _day(reading, number, last_text) if last_text else first
    if last < first:
        raise reading.fail(number, f"{last} is before {first}")
    if (last - first).days >= LONGEST_SPAN_DAYS:
        raise reading.fail(number, f"{first} to {last} is longer than {LONGEST_SPAN_DAYS} days")
    if not working and not name:
        raise reading.fail(number, "a holiday needs its name (元旦, 春节, ...)")
    reading.first_line.setdefault(year, number)
    reading.names.setdefault(year, []).append(name)
    day = first
    while day <= last:
        _add_day(reading, number, year, day, working)
        day += timedelta(days=1)


def _day(reading: _Reading, number: int, text: str) -> date:
    if not ISO_DAY.fullmatch(text):
        raise reading.fail(number, f"{text!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise reading.fail(number, f"{text} is not a date of the calendar") from None


def _add_day(reading: _Reading, number: int, year: int, day: date, working: bool) -> None:
    if not (day.year == year or (day.year == year - 1 and day.month == 12)):
        raise reading.fail(
            number,
            f"{day} is not in {year}'s notice (its dates are in {year}, or December {year - 1})",
        )
    if working and day.weekday() < 5:
        raise reading.fail(
            number,
            f"{day} is a {WEEKDAYS[day.weekday()]}; make-up working days (调休上班) are "
            "Saturdays or Sundays",
        )
    earlier = reading.where.get(day)
    if earlier is not None:
        if reading.days[day] != working:
            was = "上班" if reading.days[day] else "放假"
            raise reading.fail(
                number,
                f"{day} is listed as {'上班' if working else '放假'} here and as {was} on "
                f"line {earlier}",
            )
        raise reading.fail(number, f"{day} is listed twice (also on line {earlier})")
    reading.days[day] = working
    reading.where[day] = number
