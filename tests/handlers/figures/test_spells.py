"""先行联系率 and 按时办结率 charged to each unit's own spells (issue 16, point 2).

A case returned by unit A after A's deadlines had passed is A's miss; the next unit B is judged
by its own, fresh deadlines. A spell that ended before its deadline without the milestone is
not due; with the milestone recorded it counts as made. Cases without spells keep being counted
from their own fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from config import figures as config
from handlers.clock import LOCAL_TZ
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from models import Case, CaseStatus, Unit, UnitSpell

FIRST, END = date(2026, 3, 1), date(2026, 4, 1)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, int(hour), round((hour % 1) * 60), tzinfo=LOCAL_TZ).astimezone(
        UTC
    )


async def spell(case: Case, unit: Unit, **fields: Any) -> UnitSpell:
    return await UnitSpell.create(case=case, unit=unit, **fields)


def parts(figures: Any, unit: str, key: str) -> tuple[float, int, dict[str, int]]:
    row = next(u for u in figures.units if u.code == unit)
    rate = row.rates[key]
    return rate.numerator, rate.denominator, dict(rate.parts)


@pytest.mark.usefixtures("db")
async def test_time_with_a_unit_that_returned_the_case_is_charged_to_that_unit() -> None:
    a = await Unit.create(code="U-A", name="甲街道")
    b = await Unit.create(code="U-B", name="乙局")
    # Returned by A after both its deadlines had passed, no contact: A's misses. B got the case
    # on the 5th, contacted it in time and finished it in time.
    c1 = await Case.create(
        number="c1", unit=b, status=CaseStatus.COMPLETED, created_at=at(2, 9),
        first_contact_due_at=at(5, 11), first_contact_at=at(5, 10),
        completion_due_at=at(9, 9), completed_at=at(8, 9),
    )  # fmt: skip
    await spell(
        c1, a, started_at=at(2, 9), ended_at=at(5, 9), end_reason="returned",
        first_contact_due_at=at(2, 11), completion_due_at=at(4, 9),
    )  # fmt: skip
    await spell(
        c1, b, started_at=at(5, 9), first_contact_due_at=at(5, 11), first_contact_at=at(5, 10),
        completion_due_at=at(9, 9), completed_at=at(8, 9),
    )  # fmt: skip
    # Returned by A before its deadlines: not due for A, nothing charged; B has not yet
    # contacted it and its deadline is still ahead: not due for B either.
    c2 = await Case.create(
        number="c2", unit=b, status=CaseStatus.SIGNED, created_at=at(19, 9),
        first_contact_due_at=at(21, 9), completion_due_at=at(25, 9),
    )  # fmt: skip
    await spell(
        c2, a, started_at=at(19, 9), ended_at=at(19, 10), end_reason="returned",
        first_contact_due_at=at(19, 11), completion_due_at=at(22, 9),
    )  # fmt: skip
    await spell(
        c2, b, started_at=at(20, 9), first_contact_due_at=at(21, 9), completion_due_at=at(25, 9)
    )
    # A contacted before returning, ahead of the deadline: made for A.
    c3 = await Case.create(
        number="c3", unit=b, status=CaseStatus.SIGNED, created_at=at(10, 9),
        first_contact_due_at=at(12, 9), completion_due_at=at(30, 9),
    )  # fmt: skip
    await spell(
        c3, a, started_at=at(10, 9), ended_at=at(10, 12), end_reason="returned",
        first_contact_due_at=at(10, 11), first_contact_at=at(10, 10),
        completion_due_at=at(14, 9),
    )  # fmt: skip
    await spell(
        c3, b, started_at=at(11, 9), first_contact_due_at=at(12, 9), first_contact_at=at(12, 10),
        completion_due_at=at(30, 9),
    )  # fmt: skip
    # Old history without spells: counted from the case, for the unit that has it (A, late).
    await Case.create(
        number="c4", unit=a, status=CaseStatus.COMPLETED, created_at=at(3, 9),
        first_contact_due_at=at(3, 11), first_contact_at=at(3, 12),
        completion_due_at=at(6, 9), completed_at=at(5, 9),
    )  # fmt: skip

    figures = await compute_figures(FigureFilters(FIRST, END), NOW)
    assert parts(figures, "U-A", config.FIRST_CONTACT) == (
        1, 3, {"met": 1, "late": 1, "missing": 1},
    )  # fmt: skip
    assert parts(figures, "U-A", config.ON_TIME) == (1, 2, {"met": 1, "late": 0, "overdue": 1})
    assert parts(figures, "U-B", config.FIRST_CONTACT) == (
        1, 2, {"met": 1, "late": 1, "missing": 0},
    )  # fmt: skip
    assert parts(figures, "U-B", config.ON_TIME) == (1, 1, {"met": 1, "late": 0, "overdue": 0})
    district = figures.rates[config.FIRST_CONTACT]
    assert (district.numerator, district.denominator) == (2, 5)
    # The unit filter selects the unit's own spells.
    only_a = await compute_figures(FigureFilters(FIRST, END, unit_id=a.id), NOW)
    assert only_a.rates[config.FIRST_CONTACT].denominator == 3
    assert only_a.rates[config.ON_TIME].parts["overdue"] == 1
    # By the deadline's day: A's miss of c1 is on the 2nd, B's made deadline on the 5th.
    daily = {day.day: day.rates[config.FIRST_CONTACT] for day in figures.days}
    assert daily[date(2026, 3, 2)].parts["missing"] == 1
    assert daily[date(2026, 3, 5)].parts["met"] == 1
