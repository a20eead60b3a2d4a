"""Duplicate detection: repeats join the open case, look-alikes never do, residents can split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.settings import Settings
from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake.duplicates import (
    Probe,
    place_relation,
    problem_words,
    repeat_figures,
    similarity,
)
from handlers.intake.report import report_case, resident_splits
from handlers.workflow.routing import load_routing_table
from models import Case, CaseEvent, CaseStatus, Resident
from tests.handlers.intake.duplicate_corpus import run_corpus
from tests.handlers.intake.duplicate_paraphrases import ONE_PLACE_OTHERS, PARAPHRASES

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def context(now: datetime = NOW) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=Settings(),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


def probe(**values: object) -> Probe:
    base: dict[str, object] = {
        "resident_id": 1,
        "category": "城乡建设/物业管理",
        "text": "",
        "place_text": None,
        "street": None,
        "compound": None,
        "address": None,
        "grid_id": None,
        "lng": None,
        "lat": None,
    }
    base.update(values)
    return Probe(**base)  # type: ignore[arg-type]


def test_problem_words_leave_out_places_phones_positions_and_filler() -> None:
    pairs = problem_words(
        "您好，国权路小区楼道灯不亮了，电话13812345678，希望尽快解决", ["国权路小区"]
    )
    assert "灯坏" in pairs  # 不亮 is spelt 坏, as 坏了 is
    # 楼道 says where in the compound, not what is wrong there.
    assert not any(pair in pairs for pair in ("国权", "您好", "解决", "13", "楼道"))


def test_similarity_is_a_cosine_of_pair_sets() -> None:
    a = problem_words("楼道灯坏了")
    assert similarity(a, a) == pytest.approx(1.0)
    assert similarity(a, problem_words("餐馆油烟直排")) == 0.0
    assert similarity(a, {}) == 0.0


def test_places_named_differently_are_different() -> None:
    assert place_relation(probe(compound="市光一村"), probe(compound="市光一村")) == "same"
    assert place_relation(probe(compound="市光一村"), probe(compound="凤城新村")) == "different"
    assert place_relation(probe(address="国权路39弄5号楼"), probe(address="国权路39弄")) == "same"
    assert (
        place_relation(probe(address="国权路39弄5号楼"), probe(address="国权路39弄12号楼"))
        == "different"
    )
    one_compound = place_relation(
        probe(compound="市光一村", address="6号楼"), probe(compound="市光一村", address="11号楼")
    )
    assert one_compound == "different"
    assert place_relation(probe(address="国权路39弄"), probe(address="国权路41弄")) == "different"
    near = place_relation(probe(lng=121.5000, lat=31.3000), probe(lng=121.5005, lat=31.3005))
    far = place_relation(probe(lng=121.5000, lat=31.3000), probe(lng=121.5100, lat=31.3000))
    assert (near, far) == ("same", "different")
    # A street alone is too coarse to call two problems one.
    street_only = place_relation(probe(place_text="五角场街道"), probe(place_text="五角场街道"))
    assert street_only == "unknown"


async def test_corpus_has_no_false_merges_and_finds_most_repeats(db: str) -> None:
    await load_demo_district()
    result = await run_corpus(await context())
    assert result.false_merges == []
    assert result.recall >= 0.8, result.missed


async def test_paraphrases_join_and_other_problems_at_one_place_never_do(db: str) -> None:
    await load_demo_district()
    result = await run_corpus(await context(), PARAPHRASES, ONE_PLACE_OTHERS)
    assert result.false_merges == []
    assert result.recall >= 0.9, result.missed


async def test_the_lamp_below_building_5_in_other_words_joins(db: str) -> None:
    """Issue 14: "下面的路灯不亮了" is the open "楼下路灯坏了" of the same building."""
    await load_demo_district()
    ctx = await context()
    first = await report_case(
        await Resident.create(openid="o-a"), "国权路小区5号楼楼下路灯坏了", ctx
    )
    second = await report_case(
        await Resident.create(openid="o-b"), "国权路小区5号楼下面的路灯不亮了", ctx
    )
    assert second.case.duplicate_of_id == first.case.id
    lift = await report_case(
        await Resident.create(openid="o-c"), "国权路小区5号楼楼下电梯坏了", ctx
    )
    assert lift.case.duplicate_of_id is None


def test_equivalent_words_make_paraphrases_alike() -> None:
    lamp = problem_words("楼下面的路灯不亮了")
    assert similarity(lamp, problem_words("楼下路灯坏了")) == pytest.approx(1.0)


async def test_a_repeat_joins_and_both_residents_are_told(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    first = await report_case(
        await Resident.create(openid="o-a"), "开鲁新村12号楼垃圾箱房好几天没人清运，臭气熏天", ctx
    )
    later_ctx = await context(NOW + timedelta(hours=5))
    second = await report_case(
        await Resident.create(openid="o-b"),
        "开鲁新村12号楼的垃圾箱房垃圾好几天没清运了，很臭",
        later_ctx,
    )
    case = await Case.get(id=second.case.id)
    assert case.duplicate_of_id == first.case.id
    assert case.status == CaseStatus.MERGED
    assert case.unit_id is None and case.completion_due_at is None
    assert first.case.number in second.reply and "不是同一件事" in second.reply
    assert "其他居民" in second.reply
    notes = [e.note for e in await CaseEvent.filter(case_id=first.case.id)]
    assert any(second.case.number in note for note in notes)
    figures = await repeat_figures(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (figures.cases, figures.repeats, figures.rate) == (2, 1, 0.5)


async def test_closed_and_old_cases_are_not_joined(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    text = "开鲁新村12号楼垃圾箱房好几天没人清运，臭气熏天"
    first = await report_case(await Resident.create(openid="o-a"), text, ctx)
    await Case.filter(id=first.case.id).update(status=CaseStatus.COMPLETED)
    again = await report_case(await Resident.create(openid="o-b"), text, ctx)
    assert again.case.duplicate_of_id is None
    late = await report_case(
        await Resident.create(openid="o-c"), text, await context(NOW + timedelta(days=30))
    )
    assert late.case.duplicate_of_id is None


async def test_a_resident_splits_a_wrong_merge(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    first = await report_case(
        await Resident.create(openid="o-a"), "市光一村3号楼电梯坏了停运三天，老人下不了楼", ctx
    )
    resident = await Resident.create(openid="o-b")
    second = await report_case(resident, "市光一村3号楼电梯又坏了，停运好几天，老人没法下楼", ctx)
    assert second.case.duplicate_of_id == first.case.id
    reply = await resident_splits(resident, ctx)
    assert second.case.number in reply and "单独办理" in reply
    case = await Case.get(id=second.case.id)
    assert case.duplicate_of_id is None
    assert case.status == CaseStatus.DISPATCHED and case.unit_id is not None
    assert case.completion_due_at is not None
    assert await resident_splits(resident, ctx) == (
        "您近期没有并案办理的诉求。如需反映新问题，直接发送即可。"
    )
