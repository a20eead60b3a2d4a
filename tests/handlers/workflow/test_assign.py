"""Dispatchers send queued cases by hand and move unsigned ones, with a reason; 首接负责 holds."""

from __future__ import annotations

import pytest

from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.timeline import Actor
from handlers.workflow.assign import CannotAssign, assign, find_target
from models import Case, CaseEvent, CaseStatus, Resident
from tests.handlers.intake.test_duplicates import context

DISPATCHER = Actor("staff", "zhuting")


async def queued_case() -> Case:
    """A case without a place stays in the dispatcher queue."""
    report = await report_case(
        await Resident.create(openid="o-1"), "楼下的路灯坏了好几天了", await context()
    )
    assert report.case.status == CaseStatus.ACCEPTED
    return report.case


async def test_dispatch_then_reassign_with_a_reason(db: str) -> None:
    await load_demo_district()
    case, ctx = await queued_case(), await context()
    await assign(case, await find_target("CONSTRUCT"), DISPATCHER, "", ctx)
    assert case.status == CaseStatus.DISPATCHED
    with pytest.raises(CannotAssign, match="reason"):
        await assign(case, await find_target("ST-WJC"), DISPATCHER, "  ", ctx)
    await assign(case, await find_target("ST-WJC", "王芳"), DISPATCHER, "属街道管养", ctx)
    fresh = await Case.get(id=case.id)
    assert fresh.unit_id == (await find_target("ST-WJC")).unit.id and fresh.worker_id is not None
    event = await CaseEvent.get(case_id=case.id, action="reassign")
    assert "属街道管养" in event.note and event.actor_id == "zhuting"


async def test_signed_cases_stay_with_their_unit(db: str) -> None:
    await load_demo_district()
    case, ctx = await queued_case(), await context()
    await assign(case, await find_target("CONSTRUCT"), DISPATCHER, "", ctx)
    await Case.filter(id=case.id).update(status=CaseStatus.SIGNED)
    case = await Case.get(id=case.id)
    with pytest.raises(CannotAssign, match="首接负责"):
        await assign(case, await find_target("ST-WJC"), DISPATCHER, "换单位", ctx)


async def test_unknown_unit_or_worker(db: str) -> None:
    await load_demo_district()
    with pytest.raises(CannotAssign, match="no active unit"):
        await find_target("NOPE")
    with pytest.raises(CannotAssign, match="no active worker"):
        await find_target("ECO", "王芳")
