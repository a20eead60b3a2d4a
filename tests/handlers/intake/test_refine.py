"""An LLM's reading applied to a new case: only while nobody has touched it, never less urgent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from handlers.clock import ManualClock
from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake.refine import Refinement, RefineResult, refine_case
from handlers.intake.report import report_case
from handlers.residents.records import resident_for
from handlers.timeline import Actor, apply_action, record_event
from handlers.workflow.recategorise import recategorise
from handlers.workflow.routing import load_routing_table
from models import Case, CaseAction, CaseEvent, CaseStatus, DeadlineChange, Unit, UnitSpell
from nlu.llm import LlmExtraction
from tests.conftest import make_settings

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai

# Local reading: 城乡建设/物业管理, grid WJC-01, dispatched to the street office.
STAIRWELL = "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管"


class World:
    def __init__(self, db_url: str) -> None:
        self.clock = ManualClock(START)
        self.settings = make_settings(db_url)

    async def context(self) -> HandlerContext:
        return HandlerContext(
            now=self.clock.now(),
            settings=self.settings,
            gazetteer=await load_gazetteer("杨浦区"),
            routing=await load_routing_table(),
        )

    async def report(self, text: str, openid: str = "o-refine") -> Case:
        resident = await resident_for(openid)
        async with in_transaction():
            report = await report_case(resident, text, await self.context())
        return report.case

    async def refine(
        self, case: Case, expected_version: int | None = None, **answer: Any
    ) -> Refinement:
        extraction = LlmExtraction.model_validate(
            {
                "kind": case.kind,
                "category": case.category,
                "urgency": "一般",
                **answer,
            }
        )
        async with in_transaction():
            return await refine_case(
                case.id,
                extraction,
                await self.context(),
                expected_version=case.version if expected_version is None else expected_version,
                model="fake-model",
            )


@pytest.fixture
async def world(db: str) -> World:
    await load_demo_district()
    return World(db)


async def events(case: Case) -> list[CaseEvent]:
    return list(await CaseEvent.filter(case_id=case.id).order_by("id"))


async def unit_code(case: Case) -> str | None:
    await case.refresh_from_db()
    return (await Unit.get(id=case.unit_id)).code if case.unit_id else None


async def test_the_reading_is_applied_with_one_event(world: World) -> None:
    case = await world.report(STAIRWELL)
    assert case.category == "城乡建设/物业管理" and case.status == CaseStatus.DISPATCHED
    version = case.version
    result = await world.refine(
        case,
        kind="suggestion",
        title="国权路小区3号楼楼道堆物",
        keywords=["楼道", "堆物"],
    )
    assert result.result is RefineResult.APPLIED and result.routed_to is None
    await case.refresh_from_db()
    assert case.kind == "suggestion"
    assert case.title == "国权路小区3号楼楼道堆物" and case.keywords == ["楼道", "堆物"]
    assert case.category == "城乡建设/物业管理" and case.status == CaseStatus.DISPATCHED
    assert case.version == version + 1
    *_, event = await events(case)
    assert event.action == "annotate" and (event.actor_type, event.actor_id) == ("system", "llm")
    assert event.from_status == event.to_status == "dispatched"
    assert event.data["source"] == "llm" and event.data["model"] == "fake-model"
    assert event.data["before"]["kind"] == "complaint"
    assert event.data["after"]["kind"] == "suggestion"
    assert event.data["after"]["keywords"] == ["楼道", "堆物"]
    assert "类型投诉→建议" in event.note
    assert [e.action for e in await events(case)] == ["accept", "dispatch", "annotate"]


async def test_the_same_reading_changes_nothing(world: World) -> None:
    case = await world.report(STAIRWELL)
    result = await world.refine(case, title=case.title, keywords=case.keywords)
    assert result.result is RefineResult.UNCHANGED
    assert [e.action for e in await events(case)] == ["accept", "dispatch"]


async def test_a_new_category_reassigns_a_dispatched_case(world: World) -> None:
    case = await world.report(STAIRWELL)
    assert await unit_code(case) == "ST-WJC"
    result = await world.refine(case, category="环境保护/市容环卫")
    assert result.routed_to == "GREEN"
    assert await unit_code(case) == "GREEN"
    assert case.category == "环境保护/市容环卫" and case.status == CaseStatus.DISPATCHED
    annotate, reassign = (await events(case))[-2:]
    assert annotate.data["before"]["category"] == "城乡建设/物业管理"
    assert annotate.data["after"]["category"] == "环境保护/市容环卫"
    assert reassign.action == "reassign" and reassign.actor_id == "llm"
    assert reassign.data["from_unit"] == "ST-WJC" and reassign.data["unit"] == "GREEN"


async def test_a_new_category_routing_to_the_same_unit_is_no_reassignment(world: World) -> None:
    case = await world.report(STAIRWELL)
    result = await world.refine(case, category="城乡建设/房屋安全")  # no rule: street office
    assert result.result is RefineResult.APPLIED and result.routed_to is None
    assert await unit_code(case) == "ST-WJC"
    assert [e.action for e in await events(case)] == ["accept", "dispatch", "annotate"]


async def test_a_queued_case_with_a_place_is_dispatched_by_its_new_category(world: World) -> None:
    case = await world.report("朝阳大厦物业乱收费")  # a place, but no grid and no rule: queue
    assert case.status == CaseStatus.ACCEPTED and case.unit_id is None
    result = await world.refine(case, category="商贸旅游/市场监管")
    assert result.routed_to == "MARKET"
    assert await unit_code(case) == "MARKET" and case.status == CaseStatus.DISPATCHED
    assert [e.action for e in await events(case)] == ["accept", "annotate", "dispatch"]


async def test_a_case_waiting_for_its_place_is_not_dispatched(world: World) -> None:
    case = await world.report("楼道里堆满杂物，物业一直不管")
    assert case.status == CaseStatus.ACCEPTED and case.place_text is None
    result = await world.refine(case, category="环境保护/市容环卫", place_text="楼道")
    assert result.result is RefineResult.APPLIED and result.routed_to is None
    await case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.unit_id is None
    assert case.category == "环境保护/市容环卫" and case.place_text == "楼道"


async def test_urgency_is_raised_with_earlier_deadlines(world: World) -> None:
    case = await world.report(STAIRWELL)
    old_completion = case.completion_due_at
    assert case.urgency == "一般" and old_completion is not None
    await world.refine(case, urgency="急", urgency_reasons=["堵塞消防通道"])
    await case.refresh_from_db()
    assert case.urgency == "急" and case.urgency_reasons == ["堵塞消防通道"]
    assert case.completion_due_at is not None and case.completion_due_at < old_completion
    assert (case.completion_due_at - case.created_at).total_seconds() == 24 * 3600


async def test_urgency_is_never_lowered(world: World) -> None:
    case = await world.report("国权路小区楼下燃气泄漏")
    assert case.urgency == "急"
    deadlines = (case.sign_due_at, case.first_contact_due_at, case.completion_due_at)
    result = await world.refine(case, urgency="一般", title="国权路小区楼下有燃气味")
    assert result.result is RefineResult.APPLIED
    await case.refresh_from_db()
    assert case.urgency == "急" and case.urgency_reasons == ["燃气泄漏"]
    assert (case.sign_due_at, case.first_contact_due_at, case.completion_due_at) == deadlines
    assert "urgency" not in result.after


async def test_deadlines_never_move_later_than_the_resident_was_told(world: World) -> None:
    case = await world.report(STAIRWELL)  # a complaint: 7 working days
    told = case.completion_due_at
    await world.refine(case, kind="suggestion")  # a suggestion would have 15
    await case.refresh_from_db()
    assert case.kind == "suggestion" and case.completion_due_at == told
    shorter = await world.report("开鲁新村12号楼门口的路灯坏了", openid="o-other")
    await world.refine(shorter, kind="question")  # a question has 2 working days
    await shorter.refresh_from_db()
    assert shorter.completion_due_at is not None and told is not None
    assert shorter.completion_due_at < told


async def test_place_words_never_override_ours(world: World) -> None:
    case = await world.report(STAIRWELL)
    place = (case.grid_id, case.place_text, case.compound, case.address)
    assert all(place)
    await world.refine(case, place_text="开鲁新村12号楼", compound="开鲁新村", road="国权路100号")
    await case.refresh_from_db()
    assert (case.grid_id, case.place_text, case.compound, case.address) == place


async def test_place_words_fill_gaps_but_set_no_grid(world: World) -> None:
    case = await world.report("楼道里堆满杂物，物业一直不管")
    await world.refine(case, place_text="开鲁新村12号楼", compound="开鲁新村", road="国权路100号")
    await case.refresh_from_db()
    assert case.place_text == "开鲁新村12号楼" and case.compound == "开鲁新村"
    assert case.address == "国权路100号"
    assert case.grid_id is None


async def test_not_applied_after_signing(world: World) -> None:
    case = await world.report(STAIRWELL)
    version = case.version
    await apply_action(case, CaseAction.SIGN, Actor("worker", "wangfang"), world.clock.now())
    result = await world.refine(case, expected_version=version, category="环境保护/市容环卫")
    assert result.result is RefineResult.STALE
    await case.refresh_from_db()
    assert case.category == "城乡建设/物业管理" and case.status == CaseStatus.SIGNED
    assert [e.action for e in await events(case)] == ["accept", "dispatch", "sign"]


async def test_not_applied_after_a_version_change(world: World) -> None:
    case = await world.report(STAIRWELL)
    version = case.version
    await apply_action(case, CaseAction.SUPERVISE, Actor.system(), world.clock.now())
    result = await world.refine(case, expected_version=version, category="环境保护/市容环卫")
    assert result.result is RefineResult.STALE
    await case.refresh_from_db()
    assert case.category == "城乡建设/物业管理" and await unit_code(case) == "ST-WJC"


async def test_not_applied_once_staff_had_a_say(world: World) -> None:
    case = await world.report(STAIRWELL)
    await record_event(
        case,
        CaseAction.ANNOTATE,
        Actor("staff", "zhuting"),
        world.clock.now(),
        from_status=None,
        to_status=None,
        note="分类无误",
    )
    result = await world.refine(case, category="环境保护/市容环卫")
    assert result.result is RefineResult.STALE
    await case.refresh_from_db()
    assert case.category == "城乡建设/物业管理"


async def test_a_dispatchers_recategorisation_beats_the_llm(world: World) -> None:
    case = await world.report(STAIRWELL)
    version = case.version
    staff = Actor("staff", "zhuting")
    await recategorise(case, "城乡建设/房屋安全", staff, await world.context())
    result = await world.refine(case, expected_version=version, category="环境保护/市容环卫")
    assert result.result is RefineResult.STALE
    await case.refresh_from_db()
    assert case.category == "城乡建设/房屋安全"


async def test_a_cancelled_or_missing_case_is_left_alone(world: World) -> None:
    case = await world.report(STAIRWELL)
    await apply_action(case, CaseAction.CANCEL, Actor("resident", "o-refine"), world.clock.now())
    assert (await world.refine(case, kind="praise")).result is RefineResult.STALE
    case_id = case.id
    await Case.filter(id=case_id).delete()
    assert (await world.refine(case, kind="praise")).result is RefineResult.GONE


async def test_a_case_made_and_re_graded_keeps_each_deadline_change(world: World) -> None:
    """The deadlines the unit's spell opens with, and the LLM's re-grading (急), are deadline
    changes with who and why, on the spell that owes them (issue 16)."""
    case = await world.report(STAIRWELL)
    spell = await UnitSpell.get(case_id=case.id)
    opening = await DeadlineChange.filter(case_id=case.id).order_by("id")
    assert {(c.deadline, c.old_at, c.spell_id, c.cause) for c in opening} == {
        ("sign", None, spell.id, "dispatch"),
        ("first_contact", None, spell.id, "dispatch"),
        ("completion", None, spell.id, "dispatch"),
    }
    old = case.completion_due_at
    world.clock.advance(timedelta(minutes=5))
    await world.refine(case, urgency="急", urgency_reasons=["堵塞消防通道"])
    await case.refresh_from_db()
    moved = await DeadlineChange.get(case_id=case.id, deadline="completion", old_at=old)
    assert moved.new_at == case.completion_due_at and moved.spell_id == spell.id
    assert (moved.actor_type, moved.actor_id, moved.cause) == ("system", "llm", "annotate")
    assert "紧急程度" in moved.reason and moved.event_id is not None
