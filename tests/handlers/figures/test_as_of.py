"""A closed month is computed as of its end (issue 16, point 3), whatever day it is closed.

March 2026 ends at 00:00 Asia/Shanghai on 1 April; the month is closed on 3 April. What was
recorded on 1 or 2 April (an extension approved, a late first contact, a reopening, a survey
answer) does not change the stored March; the live figures show it where the definitions say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from config import figures as config
from handlers.clock import LOCAL_TZ
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from handlers.figures.snapshots import close_month, figures_of, snapshot_key
from handlers.followup.answers import answer_survey
from handlers.staff.audit import StaffActor
from handlers.timeline import Actor
from handlers.workflow.actions import (
    finish_case,
    record_contact,
    reopen_case,
    request_extension,
)
from handlers.workflow.assign import Target, assign
from handlers.workflow.centre_requests import Decider, decide_extension
from handlers.workflow.invalid import invalidate_case
from models import (
    Case,
    CaseStatus,
    DeadlineChange,
    FigureSnapshot,
    StaffRole,
    StaffUser,
    Survey,
    SurveyStatus,
    Unit,
    UnitSpell,
)
from tests.handlers.workflow.test_actions import World, context, make_world

MARCH = FigureFilters(date(2026, 3, 1), date(2026, 4, 1))
APRIL = FigureFilters(date(2026, 4, 1), date(2026, 5, 1))
ACTOR = StaffActor(None, "tester", "admin", via="test")
DECIDER = Decider(Actor("staff", "centre"), "centre")


def at(month: int, day: int, hour: float) -> datetime:
    minute = round((hour % 1) * 60)
    return datetime(2026, month, day, int(hour), minute, tzinfo=LOCAL_TZ).astimezone(UTC)


CLOSE = at(4, 3, 9)  # a Friday: the month is closed two days after its end


async def held_case(world: World, number: str, **deadlines: Any) -> Case:
    """A case the department signed for on 10 March, with the given deadlines (its spell's)."""
    values: dict[str, Any] = {
        "first_contact_due_at": at(3, 11, 17.5),
        "first_contact_at": at(3, 11, 9),
        "completion_due_at": at(3, 20, 17.5),
    } | deadlines
    case = await Case.create(
        number=number, resident=world.resident, status=CaseStatus.SIGNED,
        category="城乡建设/市政设施", title="路灯坏了", text="政通路路灯坏了", grid=world.g1,
        unit=world.dept, worker=world.dept_staff, created_at=at(3, 10, 9),
        dispatched_at=at(3, 10, 9), signed_at=at(3, 10, 10), **values,
    )  # fmt: skip
    await UnitSpell.create(case=case, unit=world.dept, started_at=at(3, 10, 9), **values)
    return case


def unit_rate(figures: Any, unit: Unit, key: str) -> tuple[float, int, dict[str, int]]:
    row = next(u for u in figures.units if u.unit_id == unit.id)
    rate = row.rates[key]
    return rate.numerator, rate.denominator, dict(rate.parts)


def stored_rate(body: dict[str, Any], key: str) -> tuple[Any, Any, dict[str, int]]:
    rate = body["rates"][key]
    return rate["numerator"], rate["denominator"], rate["parts"]


@pytest.mark.usefixtures("db")
async def test_an_extension_approved_after_the_end_leaves_the_closed_month_a_miss() -> None:
    world = await make_world()
    case = await held_case(world, "x1", completion_due_at=at(3, 31, 17.5))
    # Asked in time, on the last day; approved by the centre on 1 April.
    asked = await request_extension(
        case, world.dept_staff, at(4, 10, 17.5), "需协调供电公司", await context(at(3, 31, 10))
    )
    await decide_extension(asked, True, "同意", DECIDER, await context(at(4, 1, 10)))
    spell = await UnitSpell.get(case_id=case.id)
    assert spell.completion_due_at == at(4, 10, 17.5)

    # Live, the deadline has left March: 0/0 there.
    live = await compute_figures(MARCH, CLOSE)
    assert unit_rate(live, world.dept, config.ON_TIME)[:2] == (0, 0)
    # As of March's end it was due on the 31st and not met: a miss, and that is what is stored.
    frozen = await compute_figures(MARCH, CLOSE, as_of=at(4, 1, 0))
    assert unit_rate(frozen, world.dept, config.ON_TIME) == (
        0, 1, {"met": 0, "late": 0, "overdue": 1},
    )  # fmt: skip
    closed = await close_month("2026-03", CLOSE, ACTOR)
    assert closed.units >= 1
    row = await FigureSnapshot.get(key=snapshot_key("2026-03", world.dept.id))
    assert stored_rate(figures_of(row), config.ON_TIME) == (
        0, 1, {"met": 0, "late": 0, "overdue": 1},
    )  # fmt: skip
    district = await FigureSnapshot.get(key=snapshot_key("2026-03", None))
    assert district.figures["as_of"] == at(4, 1, 0).isoformat()
    # The new deadline is April's, judged in April (finished by it: met).
    april = await compute_figures(APRIL, at(4, 20, 9))
    assert unit_rate(april, world.dept, config.ON_TIME)[:2] == (0, 1)


@pytest.mark.usefixtures("db")
async def test_a_contact_a_reopening_and_an_answer_after_the_end_stay_out_of_the_month() -> None:
    world = await make_world()
    # Contact due on the 31st, made on 1 April: late live, still missing as of the end.
    late = await held_case(world, "x2", first_contact_due_at=at(3, 31, 12), first_contact_at=None)
    await record_contact(late, world.dept_staff, "phone", "已电话联系", await context(at(4, 1, 9)))
    # Finished in time on the 18th, surveyed from the 19th; reopened on 1 April.
    reopened = await held_case(world, "x3")
    await Case.filter(id=reopened.id).update(status=CaseStatus.IN_PROGRESS)
    reopened = await Case.get(id=reopened.id)
    await finish_case(reopened, world.dept_staff, "已修复", [], await context(at(3, 18, 9)))
    await reopen_case(reopened, Actor("staff", "centre"), "复查未修好", await context(at(4, 1, 11)))
    # Finished in time, its round due on the 28th and answered (recorded) on 1 April.
    answered = await held_case(world, "x4")
    await Case.filter(id=answered.id).update(status=CaseStatus.COMPLETED, completed_at=at(3, 18, 9))
    await UnitSpell.filter(case_id=answered.id).update(completed_at=at(3, 18, 9))
    survey = await Survey.create(
        case_id=answered.id, resident=world.resident, status=SurveyStatus.SENT,
        due_at=at(3, 28, 9), sent_at=at(3, 28, 9), closes_at=at(4, 4, 9),
    )  # fmt: skip
    await answer_survey(survey, "satisfied", "", await context(at(4, 1, 8)), source="reply")
    assert (await Survey.get(id=survey.id)).recorded_at == at(4, 1, 8)

    live = await compute_figures(MARCH, CLOSE)
    frozen = await compute_figures(MARCH, CLOSE, as_of=at(4, 1, 0))
    assert unit_rate(live, world.dept, config.FIRST_CONTACT)[2] == {
        "met": 2, "late": 1, "missing": 0,
    }  # fmt: skip
    assert unit_rate(frozen, world.dept, config.FIRST_CONTACT)[2] == {
        "met": 2, "late": 0, "missing": 1,
    }  # fmt: skip
    # x3 and x4 finished in time, x2 overdue since the 20th. The reopening on 1 April closed
    # x3's spell (its result did not hold) and opened a new one judged in April: live, March
    # no longer counts x3; as of March's end its result stood, and the closed month keeps it.
    assert unit_rate(frozen, world.dept, config.ON_TIME)[:2] == (2, 3)
    assert unit_rate(live, world.dept, config.ON_TIME)[:2] == (1, 2)
    assert (frozen.reopen.numerator, frozen.reopen.denominator) == (0, 2)
    assert (live.reopen.numerator, live.reopen.denominator) == (1, 2)
    # The answer recorded on 1 April: counted live, the round still open as of the end.
    assert live.rates[config.SATISFACTION].denominator == 1
    assert frozen.rates[config.SATISFACTION].denominator == 0
    assert frozen.survey.finished == 0
    # The stored month is the frozen one.
    await close_month("2026-03", CLOSE, ACTOR)
    body = figures_of(await FigureSnapshot.get(key=snapshot_key("2026-03", None)))
    assert stored_rate(body, config.FIRST_CONTACT)[2] == {"met": 2, "late": 0, "missing": 1}
    assert body["rates"][config.SATISFACTION]["denominator"] == 0
    assert body["reopen"]["numerator"] == 0
    # What changed shows where it happened: the reopened spell's deadline in April, the
    # survey answer counted by its round's due day (March, live).
    assert await DeadlineChange.filter(case_id=reopened.id, cause="reopen").exists()


@pytest.mark.usefixtures("db")
async def test_as_of_now_is_the_live_figures() -> None:
    """Nothing is recorded after now: the as-of reading and the live one agree."""
    from tests.handlers.figures.test_compute import END, FIRST, NOW, build

    await build()
    filters = FigureFilters(FIRST, END)
    live = (await compute_figures(filters, NOW)).as_dict()
    frozen = (await compute_figures(filters, NOW, as_of=NOW)).as_dict()
    frozen["as_of"] = None
    assert frozen == live


@pytest.mark.usefixtures("db")
async def test_a_move_and_an_invalid_close_after_the_end_leave_the_month_as_it_was() -> None:
    world = await make_world()
    # Contact missed on the 30th; moved to the street office on 1 April (改派).
    moved = await held_case(world, "x5", first_contact_due_at=at(3, 30, 12), first_contact_at=None)
    await Case.filter(id=moved.id).update(status=CaseStatus.DISPATCHED)
    moved = await Case.get(id=moved.id)
    await assign(
        moved, Target(world.street, None), Actor("staff", "centre"), "属地管理",
        await context(at(4, 1, 9)),
    )  # fmt: skip
    # Contact missed on the 30th; closed as invalid (不予受理) on 2 April.
    invalid = await held_case(
        world, "x6", first_contact_due_at=at(3, 30, 12), first_contact_at=None
    )
    admin = await StaffUser.create(username="admin-1", role=StaffRole.ADMIN, created_at=CLOSE)
    await invalidate_case(
        invalid, "no_content", "无实际诉求", admin, StaffActor.of(admin, ip="10.0.0.1"),
        await context(at(4, 2, 9)),
    )  # fmt: skip

    live = await compute_figures(MARCH, CLOSE)
    frozen = await compute_figures(MARCH, CLOSE, as_of=at(4, 1, 0))
    # The department missed x5's contact either way; x6 was an open case at the end.
    assert unit_rate(live, world.dept, config.FIRST_CONTACT)[2]["missing"] == 1
    assert unit_rate(frozen, world.dept, config.FIRST_CONTACT)[2]["missing"] == 2
    # Both were the department's at the end; live, x5 is the street's and x6 invalid.
    volume = {row.unit_id: row.cases for row in frozen.units}
    assert volume[world.dept.id] == 2 and volume.get(world.street.id, 0) == 0
    live_volume = {row.unit_id: row.cases for row in live.units}
    assert live_volume[world.street.id] == 1
    assert frozen.invalid.total == 0 and live.invalid.total == 0  # closed in April
    statuses = {bucket.key: bucket.count for bucket in frozen.volume.by_status}
    assert statuses == {CaseStatus.SIGNED.value: 1, CaseStatus.DISPATCHED.value: 1}
    only_dept = await compute_figures(MARCH.with_unit(world.dept.id), CLOSE, as_of=at(4, 1, 0))
    assert only_dept.volume.total == 2
