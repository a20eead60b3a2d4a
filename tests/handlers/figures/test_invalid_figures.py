"""Invalid cases (不予受理) leave every rate's denominator and are counted as 无效件数."""

from __future__ import annotations

from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from models import CaseStatus, Survey, SurveyAnswer, SurveyStatus
from tests.handlers.figures.test_compute import END, FIRST, NOW, at, build, case


async def test_invalid_cases_leave_the_rates_and_are_counted(db: str) -> None:
    d = await build()
    before = await compute_figures(FigureFilters(FIRST, END), NOW)
    # Closed as invalid after its first-contact deadline passed without contact, and after a
    # round of an earlier handling was answered: it would be a miss and an answer.
    c10 = await case(
        "c10", unit=d.a, grid=d.g1, status=CaseStatus.INVALID, invalid_reason="no_content",
        created_at=at(2, 9), first_contact_due_at=at(2, 11), completion_due_at=at(4, 9),
        closed_at=at(3, 9),
    )  # fmt: skip
    await Survey.create(
        case=c10, round=1, due_at=at(3, 9), status=SurveyStatus.ANSWERED,
        answer=SurveyAnswer.UNSATISFIED,
    )  # fmt: skip
    await case(
        "c11", unit=d.b, status=CaseStatus.INVALID, invalid_reason="other",
        created_at=at(5, 9), closed_at=at(6, 9),
    )  # fmt: skip
    # Closed as invalid after the period: not this period's 无效件数.
    await case(
        "c12", unit=d.a, status=CaseStatus.INVALID, invalid_reason="duplicate",
        created_at=at(6, 9), closed_at=at(9, 9),
    )  # fmt: skip
    after = await compute_figures(FigureFilters(FIRST, END), NOW)
    for key, rate in before.rates.items():
        assert after.rates[key].numerator == rate.numerator, key
        assert after.rates[key].denominator == rate.denominator, key
    assert after.volume.total == before.volume.total + 3
    assert after.invalid.total == 2 and before.invalid.total == 0
    reasons = {b.key: b.count for b in after.invalid.by_reason}
    assert reasons["no_content"] == 1 and reasons["other"] == 1 and reasons["duplicate"] == 0
    units = {u.code: u for u in after.units}
    assert units["U-A"].invalid == 1 and units["U-B"].invalid == 1
    assert units["U-A"].rates == {u.code: u for u in before.units}["U-A"].rates
    body = after.as_dict()
    assert (
        body["invalid"]["total"] == 2
        and {u["code"]: u["invalid"] for u in body["units"]}["U-B"] == 1
    )
    of_unit = await compute_figures(FigureFilters(FIRST, END, unit_id=d.b.id), NOW)
    assert of_unit.invalid.total == 1
