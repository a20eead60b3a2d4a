"""The trimmed intake path (issue 17) keeps what it did: residents, dialogue, limits,
duplicates by place, merged cases and their timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from config.settings import Settings
from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake import conversations, rate_limits
from handlers.intake.candidates import read_candidates
from handlers.intake.duplicates import Probe, find_original, near_filter
from handlers.intake.report import report_case
from handlers.residents.records import first_contact, resident_writing
from handlers.workflow.routing import load_routing_table
from models import Case, CaseEvent, CaseStatus, Conversation, Resident
from models.database import sweep_plans

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def context() -> HandlerContext:
    return HandlerContext(
        now=NOW,
        settings=Settings(),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


async def test_a_resident_is_made_once_and_their_window_opened(db: str) -> None:
    first = await resident_writing("o-new", NOW)
    assert first_contact(first) and first.id is not None and first.last_message_at == NOW
    later = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    again = await resident_writing("o-new", later)
    assert again.id == first.id and not first_contact(again)
    stored = await Resident.get(openid="o-new")
    assert stored.last_message_at == later and stored.created_at is not None
    assert await Resident.filter(openid="o-new").count() == 1


async def test_a_first_contact_dialogue_is_stored_by_its_first_state(db: str) -> None:
    resident = await resident_writing("o-new", NOW)
    conversation = await conversations.current(resident, NOW)
    assert conversation.state == conversations.DialogueState.IDLE
    assert await Conversation.filter(resident_id=resident.id).count() == 0
    await conversations.set_state(
        conversation, conversations.DialogueState.COLLECTING, NOW, timedelta(minutes=30)
    )
    stored = await Conversation.get(resident_id=resident.id)
    assert stored.state == conversations.DialogueState.COLLECTING
    known = await resident_writing("o-new", NOW)
    assert (await conversations.current(known, NOW)).id == stored.id


async def test_limits_still_count_cases_and_held_messages_together(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    settings = Settings(resident_cases_per_hour=2)
    resident = await Resident.create(openid="o-many")
    for text in ("国权路小区5号楼路灯坏了", "开鲁新村3号垃圾没人清运"):
        await report_case(resident, text, ctx)
    limited = await rate_limits.case_limit(resident.id, NOW, settings)
    assert limited is not None and limited.window == "hour"
    # Urgent words pass; a resident made by this message has nothing counted yet.
    assert await rate_limits.case_limit(resident.id, NOW, settings, text="煤气泄漏了") is None
    assert await rate_limits.case_limit(resident.id, NOW, settings, new_resident=True) is None


async def test_a_report_merged_at_once_has_the_merge_timeline(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    first = await report_case(await Resident.create(openid="o-a"), "国权路小区5号楼楼道灯坏了", ctx)
    second = await report_case(
        await Resident.create(openid="o-b"), "国权路小区5号楼楼道灯坏了，晚上看不见", ctx
    )
    case = await Case.get(id=second.case.id)
    assert case.status == CaseStatus.MERGED and case.duplicate_of_id == first.case.id
    assert case.version == 1 and case.completion_due_at is None and case.unit_id is None
    own = await CaseEvent.filter(case_id=case.id).order_by("id").values_list("action", flat=True)
    assert own == ["accept", "merge"]
    note = await CaseEvent.filter(case_id=first.case.id, action="annotate").first()
    assert note is not None and case.number in note.note
    assert first.case.number in second.reply


async def test_candidates_at_another_compound_are_not_read(db: str) -> None:
    """A case at another compound of the same grid is another place (place_relation): the
    search reads the compound's own and the grid's cases naming no compound, as judge needs."""
    await load_demo_district()
    ctx = await context()
    grid = ctx.routing.grid("WJC-01")
    assert grid is not None
    base: dict[str, Any] = {
        "category": "城乡建设/物业管理",
        "created_at": NOW,
        "status": CaseStatus.DISPATCHED,
    }
    same = await Case.create(
        number="X1",
        compound="国权路小区",
        address="5号楼",
        grid_id=grid.id,
        text="国权路小区5号楼楼道灯坏了",
        **base,
    )
    other = await Case.create(
        number="X2",
        compound="复旦第九宿舍",
        address="5号楼",
        grid_id=grid.id,
        text="复旦第九宿舍5号楼楼道灯坏了",
        **base,
    )
    placeless = await Case.create(number="X3", grid_id=grid.id, text="国权路楼道灯坏了", **base)
    probe = Probe(
        resident_id=None,
        category="城乡建设/物业管理",
        text="国权路小区5号楼楼道灯坏了",
        place_text="国权路小区5号楼",
        street=None,
        compound="国权路小区",
        address="5号楼",
        grid_id=grid.id,
        lng=None,
        lat=None,
    )
    read = set(await Case.filter(near_filter(probe)).values_list("id", flat=True))
    assert read == {same.id, placeless.id} and other.id not in read
    match = await find_original(probe, NOW)
    assert match is not None and match.original.id == same.id


async def test_the_sweeps_plan_each_statement_and_intake_does_not(db: str) -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        async with sweep_plans():
            assert await Case.all().count() == 0  # SQLite: nothing to change
        return
    show = "SELECT current_setting('plan_cache_mode') AS mode"
    assert (await conn.execute_query_dict(show))[0]["mode"] == "auto"
    async with sweep_plans():
        inside = connections.get("default")
        assert (await inside.execute_query_dict(show))[0]["mode"] == "force_custom_plan"
    assert (await connections.get("default").execute_query_dict(show))[0]["mode"] == "auto"


async def test_the_candidate_statement_reads_what_the_place_filter_names(db: str) -> None:
    """handlers.intake.candidates writes near_filter's conditions itself: same rows, for probes
    with and without a compound, a resident, an address or a point."""
    await load_demo_district()
    ctx = await context()
    grid = ctx.routing.grid("WJC-01")
    assert grid is not None
    resident = await Resident.create(openid="o-own")
    places = [
        {"compound": "国权路小区", "address": "5号楼"},
        {"compound": "国权路小区", "address": None, "lng": 121.505, "lat": 31.3},
        {"compound": "复旦第九宿舍", "address": "5号楼", "resident_id": resident.id},
        {"compound": None, "address": "5号楼", "grid_id": grid.id},
        {"compound": None, "address": None, "grid_id": grid.id, "lng": 121.5051, "lat": 31.3001},
        {"compound": None, "address": None, "resident_id": resident.id},
        {"compound": None, "address": "国权路39弄", "grid_id": None},
    ]
    for n, place in enumerate(places):
        await Case.create(
            number=f"Y{n}",
            category="城乡建设/物业管理",
            text="楼道灯坏了",
            created_at=NOW,
            status=CaseStatus.DISPATCHED,
            **{"grid_id": grid.id, **place},
        )
    probes = [
        {"compound": "国权路小区", "address": "5号楼", "grid_id": grid.id},
        {"compound": "国权路小区", "address": None, "grid_id": None, "lng": 121.505, "lat": 31.3},
        {"compound": None, "address": "5号楼", "grid_id": grid.id, "resident_id": resident.id},
        {"compound": None, "address": None, "grid_id": None, "lng": 121.5052, "lat": 31.3},
        {"compound": None, "address": None, "grid_id": None},
    ]
    for values in probes:
        probe = Probe(
            **{
                "resident_id": None,
                "category": "城乡建设/物业管理",
                "text": "楼道灯坏了",
                "place_text": None,
                "street": None,
                "lng": None,
                "lat": None,
                **values,
            }
        )
        by_filter = set(await Case.filter(near_filter(probe)).values_list("id", flat=True))
        opened, _ = await read_candidates(probe, NOW)
        assert {row["id"] for row in opened} == by_filter, values
