"""The working calendar past the library's last year: a district's file from the State Council's
notice, checked line by line, merged with the library and the overrides, and how far it reaches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from config import sla
from handlers.workflow.calendar import (
    coverage,
    install_calendar,
    is_working_day,
    library_years,
)
from handlers.workflow.calendar_file import (
    CalendarFileError,
    load_calendar_file,
    parse_calendar,
)
from tests.handlers.workflow.calendar_fixture import MADE_UP_2027, write_made_up_2027

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "holidays.example.csv"
TODAY = date(2026, 12, 7)
HEADER = "year,kind,first,last,name\n"


@pytest.fixture
def made_up_2027(tmp_path: Path) -> Iterator[None]:
    install_calendar(load_calendar_file(write_made_up_2027(tmp_path)))
    try:
        yield
    finally:
        install_calendar(None)


def test_the_example_file_says_what_the_library_says_for_2026() -> None:
    """config/holidays.example.csv is the 2026 notice written in the file's format: read as a
    district's file, every day of 2026 comes out as the library has it."""
    parsed = load_calendar_file(EXAMPLE)
    assert parsed.years == frozenset({2026})
    install_calendar(parsed)
    try:
        day = date(2026, 1, 1)
        wrong = []
        while day.year == 2026:
            if is_working_day(day) != chinese_calendar.is_workday(day):
                wrong.append(day.isoformat())
            day += timedelta(days=1)
        assert wrong == []
    finally:
        install_calendar(None)


def test_the_library_ends_with_2026() -> None:
    """If a newer chinese-calendar knows 2027, the dates in these tests move with it."""
    assert library_years()[1] == 2026


def test_the_file_decides_a_year_the_library_does_not_know(made_up_2027: None) -> None:
    assert not is_working_day(date(2027, 2, 8))  # a Monday in the (made-up) Spring Festival
    assert is_working_day(date(2027, 2, 14))  # a Sunday made a working day
    assert not is_working_day(date(2027, 2, 21))  # an ordinary Sunday
    assert is_working_day(date(2027, 3, 3))  # an ordinary Wednesday


def test_overrides_still_win_over_the_file(
    made_up_2027: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sla.CALENDAR_OVERRIDES, "2027-02-08", True)
    is_working_day.cache_clear()
    try:
        assert is_working_day(date(2027, 2, 8))
    finally:
        is_working_day.cache_clear()


def test_bom_blank_lines_and_comments_are_fine() -> None:
    text = "\ufeff# 国务院办公厅关于2027年部分节假日安排的通知\n\n" + MADE_UP_2027 + "\n  \n"
    assert parse_calendar(text, "x.csv").years == frozenset({2027})


# Coverage: the last day the calendar knows, and the warning


def test_without_a_file_the_calendar_ends_with_the_librarys_last_year() -> None:
    install_calendar(None)
    assert coverage().covered_until == date(2026, 12, 31)


def test_a_file_extends_the_coverage_by_its_years(made_up_2027: None) -> None:
    found = coverage()
    assert found.covered_until == date(2027, 12, 31)
    assert found.file_years == (2027,)
    assert found.warning(TODAY, 60) is None


def test_overrides_extend_the_coverage_day_by_day(monkeypatch: pytest.MonkeyPatch) -> None:
    install_calendar(None)
    monkeypatch.setitem(sla.CALENDAR_OVERRIDES, "2027-01-01", False)
    monkeypatch.setitem(sla.CALENDAR_OVERRIDES, "2027-01-02", False)
    monkeypatch.setitem(sla.CALENDAR_OVERRIDES, "2027-01-05", True)  # a gap: stops at the 2nd
    assert coverage().covered_until == date(2027, 1, 2)


def test_the_warning_comes_60_days_ahead() -> None:
    install_calendar(None)
    found = coverage()
    # 2026-12-07 + 60 days is in 2027, which nothing covers.
    warning = found.warning(TODAY, 60)
    assert warning is not None and "2026-12-31" in warning and "JIESU_CALENDAR_FILE" in warning
    assert found.warning(date(2026, 11, 1), 60) is None  # 60 days on is still 2026
    assert found.warning(date(2026, 11, 1), 61) is not None


def test_the_summary_names_each_source(made_up_2027: None) -> None:
    line = coverage().summary()
    assert "2026" in line and "2027" in line and "2027-12-31" in line


# What a wrong file says: the file and the line


def check_refused(body: str, *expected: str) -> None:
    with pytest.raises(CalendarFileError) as refused:
        parse_calendar(body, "holidays.csv")
    message = str(refused.value)
    for part in expected:
        assert part in message, message


def test_a_date_that_does_not_exist_is_refused_with_its_line() -> None:
    check_refused(HEADER + "2027,放假,2027-02-30,,春节\n", "holidays.csv, line 2", "2027-02-30")


def test_a_date_not_written_as_yyyy_mm_dd_is_refused() -> None:
    check_refused(HEADER + "2027,放假,2027/02/06,,春节\n", "line 2", "YYYY-MM-DD")


def test_a_day_both_holiday_and_working_day_is_refused_naming_both_lines() -> None:
    text = MADE_UP_2027 + "2027,上班,2027-02-07,,春节\n"
    check_refused(text, "line 15", "2027-02-07", "line 4")


def test_a_weekday_make_up_day_is_refused() -> None:
    text = MADE_UP_2027.replace("2027,上班,2027-02-20,,春节", "2027,上班,2027-02-17,,春节")
    check_refused(text, "line 6", "2027-02-17", "Wednesday")


def test_a_day_listed_twice_is_refused() -> None:
    text = MADE_UP_2027 + "2027,放假,2027-10-07,,国庆节\n"
    check_refused(text, "line 15", "2027-10-07", "line 13")


def test_an_unknown_kind_is_refused() -> None:
    check_refused(HEADER + "2027,休息,2027-01-01,,元旦\n", "line 2", "休息", "放假", "上班")


def test_a_span_that_ends_before_it_starts_is_refused() -> None:
    check_refused(HEADER + "2027,放假,2027-01-03,2027-01-01,元旦\n", "line 2", "before")


def test_a_line_with_the_wrong_number_of_fields_is_refused() -> None:
    check_refused(HEADER + "2027,放假,2027-01-01\n", "line 2", "5 fields")


def test_a_file_without_its_header_is_refused() -> None:
    check_refused("2027,放假,2027-01-01,,元旦\n", "line 1", "year,kind,first,last,name")


def test_a_date_outside_the_notices_year_is_refused() -> None:
    check_refused(HEADER + "2027,放假,2028-01-01,,元旦\n", "line 2", "2028-01-01", "2027")


def test_a_holiday_needs_its_name() -> None:
    check_refused(HEADER + "2027,放假,2027-01-01,,\n", "line 2", "name")


def test_a_year_missing_a_festival_is_refused() -> None:
    """A half-written year would count the missing festival as working days: the notice always
    lists all seven."""
    text = MADE_UP_2027.replace("2027,放假,2027-09-15,2027-09-17,中秋节\n", "")
    check_refused(text, "2027", "中秋")


def test_an_empty_file_is_refused() -> None:
    check_refused(HEADER, "no holidays")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="cannot read"):
        load_calendar_file(tmp_path / "nowhere.csv")
