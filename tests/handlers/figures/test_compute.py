"""The figures units are judged by, on a small hand-built district with known answers.

What a filter selects on its own is ``test_filters.py``; a rate's arithmetic, ``test_results.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from handlers.clock import LOCAL_TZ
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from handlers.figures.results import Figures
from models import (
    Case,
    CaseLink,
    CaseStatus,
    Grid,
    LinkKind,
    Survey,
    SurveyAnswer,
    SurveyStatus,
    Unit,
)

FIRST, END = date(2026, 3, 1), date(2026, 3, 8)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(day: int, hour: float, month: int = 3) -> datetime:
    """A Shanghai time in March 2026 (February with ``month=2``), as stored (UTC)."""
    whole = int(hour)
    minute = round((hour - whole) * 60)
    return datetime(2026, month, day, whole, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass
class District:
    a: Unit
    b: Unit
    g1: Grid
    g2: Grid
    cases: dict[str, Case]


async def case(number: str, **fields: Any) -> Case:
    fields.setdefault("status", CaseStatus.IN_PROGRESS)
    fields.setdefault("category", "城乡建设/市容环卫")
    return await Case.create(number=number, **fields)


async def build() -> District:
    """Nine cases and nine survey rounds; every expected figure below is counted by hand."""
    a = await Unit.create(code="U-A", name="甲街道")
    b = await Unit.create(code="U-B", name="乙局")
    await Unit.create(code="U-OLD", name="已撤并单位", active=False)
    g1 = await Grid.create(code="G1", name="一网格", street="甲街道", unit=a)
    g2 = await Grid.create(code="G2", name="二网格", street="甲街道", unit=a)
    c: dict[str, Case] = {}
    # Contacted and finished in time, surveyed satisfied.
    c["c1"] = await case(
        "c1", unit=a, grid=g1, status=CaseStatus.VISITED, created_at=at(1, 9),
        signed_at=at(1, 9.5), first_contact_due_at=at(1, 11), first_contact_at=at(1, 10),
        completion_due_at=at(3, 9), completed_at=at(2, 9),
    )  # fmt: skip
    # Contacted late, finished late.
    c["c2"] = await case(
        "c2", unit=a, grid=g1, status=CaseStatus.COMPLETED, category="城乡建设/物业管理",
        created_at=at(2, 9), signed_at=at(2, 10), first_contact_due_at=at(2, 11),
        first_contact_at=at(2, 12), completion_due_at=at(4, 9), completed_at=at(5, 9),
    )  # fmt: skip
    # Never contacted, overdue and still open.
    c["c3"] = await case(
        "c3", unit=a, grid=g2, status=CaseStatus.SIGNED, category="环境保护/噪声污染",
        created_at=at(3, 9), signed_at=at(3, 11), first_contact_due_at=at(3, 11),
        completion_due_at=at(5, 9),
    )  # fmt: skip
    # Another unit's question, contacted in time, due after the period.
    c["c4"] = await case(
        "c4", unit=b, grid=g2, kind="question", category="交通运输/道路交通",
        created_at=at(4, 9), signed_at=at(4, 9 + 1 / 6), first_contact_due_at=at(4, 11),
        first_contact_at=at(4, 10.5), completion_due_at=at(20, 9),
    )  # fmt: skip
    # Another resident's report of c4's open problem, merged (集中诉求): no unit of its own, no
    # deadlines; not a repeat.
    c["c5"] = await case(
        "c5", grid=g2, status=CaseStatus.MERGED, category="交通运输/道路交通",
        created_at=at(4, 12), duplicate_of_id=c["c4"].id,
    )  # fmt: skip
    # Withdrawn after its first-contact deadline: volume only.
    c["c6"] = await case(
        "c6", status=CaseStatus.CANCELLED, category="民政/社会救助", created_at=at(5, 9),
        first_contact_due_at=at(5, 11),
    )  # fmt: skip
    # Waiting in the dispatcher queue past both deadlines: the district's misses, no unit's.
    c["c7"] = await case(
        "c7", status=CaseStatus.ACCEPTED, category="", created_at=at(6, 9),
        first_contact_due_at=at(6, 11), completion_due_at=at(7, 9),
    )  # fmt: skip
    # Created before the period, its first contact due 01:00 on 1 March Shanghai time
    # (28 February in UTC): it counts for first contact, not in the volume.
    c["c8"] = await case(
        "c8", unit=a, grid=g1, status=CaseStatus.VISITED, created_at=at(27, 20, month=2),
        first_contact_due_at=at(1, 1), first_contact_at=at(28, 9, month=2),
        completion_due_at=at(28, 20, month=2), completed_at=at(28, 18, month=2),
    )  # fmt: skip
    # Finished, found unsatisfactory and reopened (重办): a fresh deadline after the period.
    c["c9"] = await case(
        "c9", unit=a, grid=g1, created_at=at(1, 8), signed_at=at(1, 8 + 1 / 3),
        first_contact_due_at=at(1, 10), first_contact_at=at(1, 9), reopened_count=1,
        completion_due_at=at(9, 9),
    )  # fmt: skip

    # c8's problem came back on 4 March and reopened it: a 重复诉求 against 甲街道 (U-A).
    await CaseLink.create(
        kind=LinkKind.REPEAT, case=c["c8"], other=None, unit=a, same_resident=True,
        reopened=True, actor="system", at=at(4, 12),
    )  # fmt: skip

    async def survey(on: str, round: int, due: datetime, status: SurveyStatus, **kw: Any) -> None:
        await Survey.create(case=c[on], round=round, due_at=due, status=status, **kw)

    await survey("c1", 1, at(2, 9), SurveyStatus.ANSWERED, answer=SurveyAnswer.SATISFIED)
    await survey("c2", 1, at(6, 9), SurveyStatus.ANSWERED, answer=SurveyAnswer.BASICALLY)
    await survey("c9", 1, at(2, 9), SurveyStatus.ANSWERED, answer=SurveyAnswer.UNSATISFIED)
    await survey("c8", 1, at(28, 9, month=2), SurveyStatus.ANSWERED, answer=SurveyAnswer.SATISFIED)
    await survey("c2", 2, at(7, 9), SurveyStatus.UNRATED)
    await survey("c4", 1, at(5, 9), SurveyStatus.UNREACHABLE)
    # Answered after the round closed: kept, counted as 未评价, not in the rate.
    await survey("c1", 2, at(3, 9), SurveyStatus.UNRATED, answer=SurveyAnswer.SATISFIED, late=True)
    await survey("c5", 1, at(4, 9), SurveyStatus.SKIPPED)
    await survey("c9", 2, at(7, 9), SurveyStatus.SENT)
    return District(a, b, g1, g2, c)


def counts(figures: Figures, key: str) -> tuple[float, int]:
    rate = figures.rates[key]
    return round(rate.numerator, 6), rate.denominator


async def test_every_figure_of_the_district(db: str) -> None:
    d = await build()
    figures = await compute_figures(FigureFilters(FIRST, END), NOW)

    first = figures.rates["first_contact"]
    assert (first.numerator, first.denominator) == (4, 7)
    assert dict(first.parts) == {"met": 4, "late": 1, "missing": 2}
    assert first.label == "先行联系率" and first.met is False
    on_time = figures.rates["on_time"]
    assert (on_time.numerator, on_time.denominator) == (1, 4)
    assert dict(on_time.parts) == {"met": 1, "late": 1, "overdue": 2}
    repeat = figures.rates["repeat"]
    assert (repeat.numerator, repeat.denominator) == (1, 7)
    assert repeat.met is False  # 14% is not under 3%
    satisfaction = figures.rates["satisfaction"]
    assert counts(figures, "satisfaction") == (1.9, 3)
    assert dict(satisfaction.parts) == {"satisfied": 1, "basically": 1, "unsatisfied": 1}
    assert satisfaction.rate == pytest.approx(1.9 / 3) and satisfaction.met is False
    survey = figures.survey
    assert (survey.finished, survey.answered, survey.unrated, survey.unreachable) == (6, 3, 2, 1)
    assert survey.late_answers == 1
    assert survey.unrated_share == pytest.approx(2 / 6)
    assert survey.unreachable_share == pytest.approx(1 / 6)

    assert (figures.reopen.numerator, figures.reopen.denominator) == (1, 3)
    assert figures.medians["sign"].cases == 5
    assert figures.medians["sign"].seconds == pytest.approx(1800, abs=1)
    assert figures.medians["first_contact"].cases == 4
    assert figures.medians["first_contact"].seconds == pytest.approx(4500, abs=1)
    assert figures.medians["finish"].cases == 2
    assert figures.medians["finish"].seconds == pytest.approx(48 * 3600, abs=1)

    volume = figures.volume
    assert volume.total == 8
    assert [(b.key, b.count) for b in volume.by_kind] == [("complaint", 7), ("question", 1)]
    assert volume.by_kind[0].label == "投诉"
    assert [(b.label, b.count) for b in volume.by_category] == [
        ("城乡建设", 3),
        ("交通运输", 2),
        ("未分类", 1),  # ties by key: the empty category first
        ("民政", 1),
        ("环境保护", 1),
    ]
    assert {(b.key, b.count) for b in volume.by_grid} == {("G1", 3), ("G2", 3), ("", 2)}
    assert {(b.key, b.count) for b in volume.by_unit} == {("U-A", 4), ("U-B", 2), ("", 2)}
    assert {(b.key, b.count) for b in volume.by_status} == {
        ("visited", 1),
        ("completed", 1),
        ("signed", 1),
        ("in_progress", 2),
        ("merged", 1),
        ("cancelled", 1),
        ("accepted", 1),
    }

    units = {row.code: row for row in figures.units}
    # Every active unit gets a row; the retired one has nothing and none; the queue has c6, c7.
    assert set(units) == {"U-A", "U-B", ""}
    unit_a, unit_b, queue = units["U-A"], units["U-B"], units[""]
    assert unit_a.name == "甲街道" and unit_a.cases == 4
    assert (unit_a.rates["first_contact"].numerator, unit_a.rates["first_contact"].denominator) == (
        3,
        5,
    )
    assert (unit_a.rates["on_time"].numerator, unit_a.rates["on_time"].denominator) == (1, 3)
    assert (unit_a.rates["repeat"].numerator, unit_a.rates["repeat"].denominator) == (1, 4)
    assert unit_a.rates["satisfaction"].denominator == 3
    # The report merged into c4 is 集中诉求 of c4's unit, not a repeat.
    assert (unit_b.rates["repeat"].numerator, unit_b.rates["repeat"].denominator) == (0, 2)
    assert unit_b.rates["repeat"].parts["concentrated"] == 1
    assert unit_b.rates["first_contact"].met is True
    assert unit_b.rates["satisfaction"].denominator == 0
    assert unit_b.rates["satisfaction"].met is None
    assert queue.name.startswith("未派单") and queue.cases == 2
    assert (queue.rates["first_contact"].numerator, queue.rates["first_contact"].denominator) == (
        0,
        1,
    )

    days = {row.day: row for row in figures.days}
    assert list(days) == [date(2026, 3, n) for n in range(1, 8)]
    assert [days[date(2026, 3, n)].cases for n in range(1, 8)] == [2, 1, 1, 2, 1, 1, 0]
    first_of_march = days[date(2026, 3, 1)].rates["first_contact"]
    assert (first_of_march.numerator, first_of_march.denominator) == (3, 3)  # c1, c8, c9
    assert days[date(2026, 3, 2)].rates["first_contact"].parts["late"] == 1
    assert days[date(2026, 3, 4)].rates["repeat"].numerator == 1
    assert days[date(2026, 3, 2)].rates["satisfaction"].denominator == 2
    assert days[date(2026, 3, 7)].rates["on_time"].parts["overdue"] == 1

    body = figures.as_dict()
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-08", "timezone": "Asia/Shanghai"}
    assert body["rates"]["repeat"]["target"] == 0.03 and body["rates"]["repeat"]["met"] is False
    assert body["rates"]["first_contact"]["target_label"] == "≥100%"
    assert len(body["daily"]) == 7 and body["units"][0]["code"] == "U-A"
    assert d.cases["c1"].number == "c1"


async def test_filters_by_unit_grid_and_category(db: str) -> None:
    d = await build()
    unit_a = await compute_figures(FigureFilters(FIRST, END, unit_id=d.a.id), NOW)
    assert counts(unit_a, "first_contact") == (3, 5)
    assert counts(unit_a, "on_time") == (1, 3)
    assert counts(unit_a, "repeat") == (1, 4)  # c8's problem came back
    assert counts(unit_a, "satisfaction") == (1.9, 3)
    assert unit_a.volume.total == 4
    assert [row.code for row in unit_a.units] == ["U-A"]

    unit_b = await compute_figures(FigureFilters(FIRST, END, unit_id=d.b.id), NOW)
    assert counts(unit_b, "repeat") == (0, 2)  # c4 and the report merged into it
    assert unit_b.volume.total == 2
    assert unit_b.survey.unreachable == 1 and counts(unit_b, "satisfaction") == (0, 0)

    grid = await compute_figures(FigureFilters(FIRST, END, grid_id=d.g2.id), NOW)
    assert counts(grid, "repeat") == (0, 3)  # c8, repeated, is in g1
    assert counts(grid, "first_contact") == (1, 2)  # c3 missed, c4 met

    roads = await compute_figures(FigureFilters(FIRST, END, category_prefix="交通运输"), NOW)
    assert roads.volume.total == 2 and counts(roads, "repeat") == (0, 2)
    building = await compute_figures(FigureFilters(FIRST, END, category_prefix="城乡建设"), NOW)
    assert counts(building, "first_contact") == (3, 4)  # c1, c8, c9 met; c2 late
    assert counts(building, "satisfaction") == (1.9, 3)
    narrow = await compute_figures(
        FigureFilters(FIRST, END, category_prefix="城乡建设/物业管理"), NOW
    )
    assert counts(narrow, "first_contact") == (0, 1) and narrow.volume.total == 1


async def test_a_deadline_counts_once_its_outcome_is_known(db: str) -> None:
    unit = await Unit.create(code="U", name="单位")
    now = at(2, 12)
    ahead = at(3, 9)
    await case("early", unit=unit, created_at=at(2, 9), first_contact_due_at=ahead,
               first_contact_at=at(2, 10), completion_due_at=ahead)  # fmt: skip
    await case("waiting", unit=unit, created_at=at(2, 9), first_contact_due_at=ahead,
               completion_due_at=ahead)  # fmt: skip
    period = FigureFilters(FIRST, END)
    before = await compute_figures(period, now)
    # Contacted early: met at once. Not yet contacted, deadline ahead: not counted yet.
    assert counts(before, "first_contact") == (1, 1)
    assert counts(before, "on_time") == (0, 0) and before.rates["on_time"].rate is None
    assert before.rates["on_time"].met is None
    after = await compute_figures(period, at(3, 10))
    assert counts(after, "first_contact") == (1, 2)
    assert after.rates["first_contact"].parts["missing"] == 1
    assert counts(after, "on_time") == (0, 2)  # both open past their deadline


async def test_an_empty_period(db: str) -> None:
    figures = await compute_figures(FigureFilters(FIRST, END), NOW)
    assert all(rate.denominator == 0 and rate.rate is None for rate in figures.rates.values())
    assert figures.medians["sign"].seconds is None and figures.volume.total == 0
    assert figures.units == () and len(figures.days) == 7
