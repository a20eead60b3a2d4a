"""Staff correct a category: the event, the labelled example, and routing again."""

from __future__ import annotations

import pytest

from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.timeline import Actor
from handlers.workflow.recategorise import UnknownCategory, correction_examples, recategorise
from models import Case, CaseEvent, CaseStatus, CategoryCorrection, Resident, Unit
from tests.handlers.intake.test_duplicates import context

STAFF = Actor("staff", "dispatcher-li")


async def test_correction_is_kept_and_the_case_routed_again(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    resident = await Resident.create(openid="o-1")
    report = await report_case(resident, "开鲁新村门口的菜市场晚上噪音很大，吵得睡不着", ctx)
    case = report.case
    assert case.status == CaseStatus.DISPATCHED
    target = (
        "城乡建设/物业管理" if not case.category.startswith("城乡建设") else "环境保护/噪声污染"
    )

    result = await recategorise(case, target, STAFF, ctx, reason="居民所指为噪声")
    await case.refresh_from_db()
    assert case.category == target and case.category_confidence == 1.0
    assert result.old != target and result.new == target
    event = await CaseEvent.get(case_id=case.id, action="recategorise")
    assert event.actor_id == "dispatcher-li" and event.data["to"] == target
    correction = await CategoryCorrection.get()
    assert correction.text == case.text and correction.new_category == target
    assert await correction_examples() == [(case.text, target)]
    expected = ctx.routing.route(target, case.kind, ctx.routing.grid_by_id(case.grid_id)).unit
    assert expected is not None and case.unit_id == expected.id
    if result.rerouted_to is not None:
        assert result.rerouted_to == (await Unit.get(id=case.unit_id)).name
        assert await CaseEvent.filter(case_id=case.id, action="reassign").count() == 1

    # Corrected twice: the latest label is the example.
    await recategorise(case, "城乡建设/市政设施", STAFF, ctx)
    assert await correction_examples() == [(case.text, "城乡建设/市政设施")]


async def test_unknown_category_changes_nothing(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    report = await report_case(await Resident.create(openid="o-1"), "政通路路灯坏了", ctx)
    with pytest.raises(UnknownCategory, match="城乡建设/"):
        await recategorise(report.case, "城乡建设/不存在", STAFF, ctx)
    assert await CategoryCorrection.all().count() == 0
    assert (await Case.get()).category == report.case.category


async def test_signed_cases_keep_their_unit(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    report = await report_case(await Resident.create(openid="o-1"), "政通路路灯坏了", ctx)
    case = report.case
    await Case.filter(id=case.id).update(status=CaseStatus.SIGNED)
    await case.refresh_from_db()
    unit_before = case.unit_id
    result = await recategorise(case, "环境保护/噪声污染", STAFF, ctx)
    assert result.rerouted_to is None and case.unit_id == unit_before
