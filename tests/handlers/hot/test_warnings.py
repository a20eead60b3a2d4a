"""The early warning (预警): a jump against the trailing weeks is told once, to the right people."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.followup.digest import sweep_digests
from handlers.hot.issues import CaseTopic
from handlers.hot.warnings import find_jumps, passes, sweep_hot_warnings, to_tell, week_of
from handlers.intake.report import report_case
from handlers.workflow.routing import load_routing_table
from models import (
    Case,
    Grid,
    HotWarning,
    OutboxMessage,
    Place,
    Resident,
    StaffRole,
    StaffUser,
    Unit,
    Worker,
    WorkerRole,
)
from nlu.place_aliases import PlaceAliases
from tests.conftest import make_settings
from tests.handlers.intake.test_duplicates import NOW

# NOW is Monday 2026-11-23 10:00 in Shanghai; the sweep runs on Wednesday.
SWEEP = NOW + timedelta(days=2)
WEEK = timedelta(days=7)
WECOM = {
    "work_corp_id": "wwfakecorp",
    "work_agent_id": "1000002",
    "work_secret": "fakeworksecret",
    "public_url": "https://jiesu.example.cn",
}
JUMP = (  # one compound written three ways (and a fourth with 小区), four residents
    "伊景园滨河苑5号楼电梯坏了，老人下不了楼",
    "滨河苑电梯停运好几天了，物业不修",
    "定向商品房伊景园滨河苑电梯故障，一直没人修",
    "伊景园滨河苑小区电梯又坏了，困了人",
)
STEADY = "开鲁新村门口垃圾没人清运，臭味很大"
SUBSIDY = (
    "人才住房补贴申请了半年还没发放，打电话也没人管",
    "人才住房补贴一直没有发放，到底什么时候发",
    "我的人才住房补贴什么时候能发放？已经拖了很久",
)


async def context(now: datetime, **settings: Any) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=make_settings("sqlite://:memory:", **(WECOM | settings)),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


async def say(openid: str, text: str, at: datetime) -> Case:
    resident, _ = await Resident.get_or_create(openid=openid)
    return (await report_case(resident, text, await context(at))).case


async def district() -> None:
    """The demo district, the compound with its other name, a head for the market regulator and a
    dispatcher's staff account linked to a worker on WeCom."""
    await load_demo_district()
    grid = await Grid.get(code="YX-01")
    await Place.create(
        name="伊景园滨河苑", kind="compound", street="殷行街道", grid=grid, aliases=["滨河苑"]
    )
    market = await Unit.get(code="MARKET")  # lifts are the market regulator's
    await Worker.create(
        name="市监局长", role=WorkerRole.UNIT_HEAD, unit=market, wecom_userid="shijian"
    )
    centre = await Unit.get(code="CENTER")
    linked = await Worker.create(
        name="郑派单", role=WorkerRole.UNIT_STAFF, unit=centre, wecom_userid="zhengpaidan"
    )
    await StaffUser.create(
        username="dispatcher-2",
        role=StaffRole.DISPATCHER,
        worker=linked,
        created_at=NOW - 30 * WEEK,
    )


async def quiet_month_and_a_jump() -> list[Case]:
    """A steady topic every week, one other case at the compound three weeks ago, and this
    week a jump at the compound and two residents about a lamp (below the minimum)."""
    for week in range(5):
        for n in range(3):
            await say(f"o-steady-{week}-{n}", STEADY, NOW - week * WEEK + timedelta(hours=n))
    await say("o-quiet", "伊景园滨河苑绿化带杂草很久没人修剪", NOW - 3 * WEEK)
    jump = [await say(f"o-jump-{n}", text, NOW + timedelta(hours=n)) for n, text in enumerate(JUMP)]
    await say("o-lamp-1", "市光一村3号楼门口路灯坏了", NOW + timedelta(hours=5))
    await say("o-lamp-2", "市光一村路灯坏了晚上很黑", NOW + timedelta(hours=6))
    return jump


async def told() -> list[OutboxMessage]:
    return await OutboxMessage.filter(purpose="hot_warning").order_by("id")


def test_the_rule() -> None:
    assert passes(count=3, residents=3, baseline=0)  # the floor: at least 3 against 1 a week
    assert passes(count=6, residents=3, baseline=2)
    assert not passes(count=5, residents=5, baseline=2)  # under 3 times the weekly average
    assert not passes(count=9, residents=2, baseline=0)  # one or two people writing often


def topic(n: int, at: datetime, words: tuple[str, ...], place: str = "") -> CaseTopic:
    return CaseTopic(
        id=n,
        number=f"26110{n:05d}",
        resident_id=n,
        duplicate_of_id=None,
        category="城乡建设/物业管理",
        created_at=at,
        status="dispatched",
        unit_id=1 if n % 2 else 2,
        title="",
        words=words,
        place_key=place,
        place_name=place,
    )


def test_the_most_specific_key_is_told_and_its_overlaps_are_not() -> None:
    lift = ("电梯", "停运")
    cases = [topic(n, NOW + timedelta(hours=n), lift, "滨河苑") for n in range(1, 5)]
    cases.append(topic(5, NOW + timedelta(hours=5), ("绿化", "杂草"), "滨河苑"))
    jumps = find_jumps(cases, PlaceAliases(), SWEEP)
    assert [j.key for j in jumps] == ["p:滨河苑+t:停运|电梯", "p:滨河苑", "t:停运|电梯"]
    assert jumps[0].label == "滨河苑：停运、电梯" and jumps[0].unit_id == 1
    assert (jumps[1].count, jumps[1].residents, jumps[1].baseline) == (5, 5, 0)
    (told,) = to_tell(jumps, set(), set())
    assert told.key == "p:滨河苑+t:停运|电梯"
    # Told lately (by key, or by most of its cases): nothing again.
    assert to_tell(jumps, {told.key}, set(told.numbers)) == []


def test_a_signature_common_in_the_trailing_weeks_makes_no_key() -> None:
    generic = ("物业", "不修")
    earlier = [topic(n, NOW - timedelta(days=10 + n % 20), generic) for n in range(1, 26)]
    recent = [topic(n, NOW + timedelta(minutes=n), generic) for n in range(100, 130)]
    assert find_jumps(earlier + recent, PlaceAliases(), SWEEP) == []
    # Fewer of them before: a jump.
    (jump,) = find_jumps(earlier[:8] + recent, PlaceAliases(), SWEEP)
    assert jump.key == "t:不修|物业" and jump.baseline == 2


async def test_a_jump_at_one_compound_is_told_once(db: str) -> None:
    await district()
    jump = await quiet_month_and_a_jump()

    result = await sweep_hot_warnings(await context(SWEEP))
    assert result.warned == 1
    warning = await HotWarning.get()
    assert warning.key == "p:伊景园滨河苑" or warning.key.startswith("p:伊景园滨河苑+t:")
    assert warning.label.startswith("伊景园滨河苑") and "电梯" in warning.label
    assert warning.week == week_of(SWEEP) and warning.found_at == SWEEP
    assert (warning.count, warning.residents) == (4, 4)
    assert warning.baseline == 0.25 or warning.key.startswith("p:伊景园滨河苑+t:")
    assert set(warning.numbers) == {case.number for case in jump}
    units = [case.unit_id for case in jump if case.unit_id is not None]
    assert warning.unit_id == max(set(units), key=units.count)

    rows = await told()
    recipients = {row.recipient for row in rows}
    unit_people = await Worker.filter(
        unit_id=warning.unit_id, role__in=[WorkerRole.SUPERVISOR, WorkerRole.UNIT_HEAD]
    ).values_list("wecom_userid", flat=True)
    assert unit_people and set(unit_people) <= recipients
    assert {"zhuting", "zhengpaidan"} <= recipients  # the dispatcher, the dispatcher's account
    assert len(recipients) == len(rows)  # once each
    assert all(row.channel == "work_app" for row in rows)
    text = rows[0].payload["text"]["content"]
    assert text.startswith("【热点预警】伊景园滨河苑")
    assert "近7天 4 件（4 位居民）" in text and "前四周周均" in text
    assert jump[-1].number in text
    assert "https://jiesu.example.cn/dashboard/hot?days=7" in text

    # An hour later, and the next day: told already.
    for later in (SWEEP + timedelta(hours=1), SWEEP + timedelta(days=1)):
        again = await sweep_hot_warnings(await context(later))
        assert again.warned == 0 and again.already >= 1
    assert await HotWarning.all().count() == 1
    assert len(await told()) == len(rows)

    # The next working morning (Thursday 08:30) the unit's digest names it.
    morning = datetime(2026, 11, 26, 0, 30, tzinfo=SWEEP.tzinfo)
    await sweep_digests(await context(morning))
    digests = await OutboxMessage.filter(purpose="digest").values_list("recipient", "payload")
    lines = {who: body["text"]["content"] for who, body in digests}
    head = next(iter(unit_people))
    assert f"预警：{warning.label}，近7天 4 件" in lines[head]
    others = [text for who, text in lines.items() if who not in unit_people]
    assert others and not any("预警" in text for text in others)


async def test_sweeps_at_once_store_one_warning_and_tell_each_once(db: str) -> None:
    await district()
    await quiet_month_and_a_jump()
    ctx = await context(SWEEP)
    results = await asyncio.gather(*(sweep_hot_warnings(ctx) for _ in range(3)))
    assert sum(result.warned for result in results) == 1
    assert await HotWarning.all().count() == 1
    rows = await told()
    keys = [row.dedup_key for row in rows]
    assert rows and len(keys) == len(set(keys))
    assert len({row.recipient for row in rows}) == len(rows)


async def test_a_steady_topic_and_a_small_jump_do_not_warn(db: str) -> None:
    await district()
    for week in range(5):
        for n in range(4):
            await say(f"o-{week}-{n}", STEADY, NOW - week * WEEK + timedelta(hours=n))
    await say("o-lamp-1", "市光一村3号楼门口路灯坏了", NOW)
    await say("o-lamp-2", "市光一村路灯坏了晚上很黑", NOW + timedelta(hours=1))
    result = await sweep_hot_warnings(await context(SWEEP))
    assert result.jumps == 0 and not await HotWarning.exists()
    assert not await told()


async def test_a_problem_without_a_place_warns_by_its_topic(db: str) -> None:
    await district()
    for n, text in enumerate(SUBSIDY):
        await say(f"o-sub-{n}", text, NOW + timedelta(hours=n))
    result = await sweep_hot_warnings(await context(SWEEP))
    assert result.warned == 1
    warning = await HotWarning.get()
    assert warning.key.startswith("t:") and "补贴" in warning.label
    assert warning.count == 3
    # Without a unit of its own (or with one), the dispatchers are told.
    assert "zhuting" in {row.recipient for row in await told()}


async def test_without_wecom_the_message_waits_with_its_reason(db: str) -> None:
    await district()
    await quiet_month_and_a_jump()
    ctx = await context(SWEEP, work_corp_id="", public_url="")
    assert (await sweep_hot_warnings(ctx)).warned == 1
    rows = await told()
    assert rows and all(row.status == "skipped" and row.last_error for row in rows)
    assert "请登录工作台「热点」页查看" in rows[0].payload["text"]["content"]
