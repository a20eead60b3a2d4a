"""Closing a month: once, even when two processes close it at the same moment; ranks shared
by equal scores; units without cases not ranked."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from handlers.clock import LOCAL_TZ
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from handlers.figures.ranking import month_days, previous_month, rank_units
from handlers.figures.snapshots import SnapshotError, close_month, month_of_filters
from handlers.staff.audit import StaffActor
from models import AuditEvent, Case, CaseStatus, FigureSnapshot, Unit

ACTOR = StaffActor(None, "tester", "admin", via="test")
AFTER = datetime(2026, 4, 2, 9, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


async def contacted(number: str, unit: Unit, in_time: bool) -> Case:
    return await Case.create(
        number=number, unit=unit, status=CaseStatus.IN_PROGRESS, created_at=at(2, 9),
        first_contact_due_at=at(2, 11), first_contact_at=at(2, 10 if in_time else 12),
        completion_due_at=at(20, 9), completed_at=at(10, 9),
    )  # fmt: skip


@pytest.mark.usefixtures("db")
async def test_two_closes_at_once_store_the_month_once() -> None:
    await Unit.create(code="U-A", name="甲")
    results = await asyncio.gather(
        close_month("2026-03", AFTER, ACTOR),
        close_month("2026-03", AFTER, ACTOR),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], SnapshotError)
    assert await FigureSnapshot.filter(period="2026-03").count() == 2  # district and U-A
    assert await AuditEvent.filter(action="figures.close_month").count() == 1


@pytest.mark.usefixtures("db")
async def test_a_month_not_over_cannot_be_closed() -> None:
    with pytest.raises(SnapshotError, match="尚未结束"):
        await close_month("2026-04", AFTER, ACTOR)
    assert not await FigureSnapshot.exists()


@pytest.mark.usefixtures("db")
async def test_equal_scores_share_a_rank_and_idle_units_are_not_ranked() -> None:
    a = await Unit.create(code="U-A", name="甲")
    b = await Unit.create(code="U-B", name="乙")
    c = await Unit.create(code="U-C", name="丙")
    await Unit.create(code="U-D", name="丁")  # no case: not ranked
    await contacted("a1", a, True)
    await contacted("b1", b, True)
    await contacted("c1", c, False)
    first, end = month_days("2026-03")
    rows = await rank_units(await compute_figures(FigureFilters(first, end), AFTER))
    ranks = [(row.code, row.rank, row.score) for row in rows]
    # 先行联系 100%, 按时办结 100%, 满意 none (100%), 重复 0%, 重办 0%: 100 points.
    assert ranks == [("U-A", 1, 100.0), ("U-B", 1, 100.0), ("U-C", 3, 75.0), ("U-D", None, None)]


def test_months() -> None:
    assert previous_month(date(2026, 1, 5)) == "2025-12"
    assert month_days("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    for bad in ("2026-00", "2026-13", "2026-1", "202603", "", "2026-03-01", "٢٠٢٦-٠٣"):
        with pytest.raises(ValueError):
            month_days(bad)


def test_only_a_whole_month_in_the_years_that_close_is_a_closed_month() -> None:
    assert month_of_filters(FigureFilters(date(2026, 3, 1), date(2026, 4, 1))) == "2026-03"
    assert month_of_filters(FigureFilters(date(2026, 3, 1), date(2026, 3, 31))) is None
    assert month_of_filters(FigureFilters(date(2026, 3, 2), date(2026, 4, 1))) is None
    assert month_of_filters(FigureFilters(date(2026, 3, 1), date(2026, 4, 1), grid_id=1)) is None
    assert month_of_filters(FigureFilters(date(1, 1, 1), date(1, 2, 1))) is None
