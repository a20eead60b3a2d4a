"""Linking new cases to open items (handlers only): the rule (place, category, words), a merged
duplicate going with its original, the sweep for cases made by other doors, the in-memory
items reloaded on change, numbers taken at once, and the item audience of a notice (each
resident once)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.broadcasts.audience import every_candidate
from handlers.broadcasts.rules import InvalidNotice, parse_audience
from handlers.hot.item_cache import OpenItems
from handlers.hot.item_steps import close_item
from handlers.hot.items import ItemIn, ItemStateError, create_item, next_item_number
from handlers.hot.linking import LinkCursor, link_new_case, sweep_links
from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from models import Case, HotItemCase, HotItemNote, Resident, StaffUser, Unit
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NUMBERS = itertools.count(1)
PASSWORD = "correct horse battery"


async def case(**columns: Any) -> Case:
    values: dict[str, Any] = {
        "number": f"260310{next(NUMBERS):04d}",
        "text": "电梯坏了",
        "category": "城乡建设/物业管理",
        "keywords": ["电梯", "维修", "困人"],
        "compound": "开鲁新村",
        "street": "殷行街道",
        "created_at": NOW,
    }
    values.update(columns)
    return await Case.create(**values)


async def setup() -> tuple[StaffUser, StaffActor, Unit]:
    unit = await Unit.create(code="ST-YX", name="殷行街道办事处", kind="street")
    user = await create_user("disp", "dispatcher", PASSWORD, NOW)
    return user, StaffActor.of(user, via="test"), unit


def lift_item(**changes: Any) -> ItemIn:
    values: dict[str, Any] = {
        "title": "开鲁新村电梯反复故障",
        "owner_unit": "ST-YX",
        "deadline": (NOW + timedelta(days=30)).date(),
        "topic_words": ("电梯", "维修"),
        "place_key": "开鲁新村",
        "place_label": "开鲁新村",
        "category": "城乡建设/物业管理",
    }
    values.update(changes)
    return ItemIn(**values)


async def linked_to(number: str) -> set[str]:
    rows = await HotItemCase.filter(item__number=number).values_list("case__number", flat=True)
    return {str(r) for r in rows}


async def test_the_rule_place_category_words_and_duplicates(db: str) -> None:
    _, actor, _ = await setup()
    item = await create_item(lift_item(), actor, NOW)
    cache = OpenItems()
    near = await case(compound="杨浦区开鲁新村", keywords=["电梯", "困人"])  # written otherwise
    elsewhere = await case(compound="国权路小区")
    other_problem = await case(keywords=["路灯不亮"])
    other_category = await case(category="环境保护/噪声")
    nowhere = await case(compound=None, street=None)
    for c in (near, elsewhere, other_problem, other_category, nowhere):
        await link_new_case(c.id, NOW, cache)
    assert await linked_to(item.number) == {near.number}
    # A duplicate merged into a linked case goes with it, whatever its words.
    dup = await case(keywords=["又来了"], duplicate_of_id=near.id, status="merged")
    assert await link_new_case(dup.id, NOW, cache) == [item.number]
    assert await link_new_case(dup.id, NOW, cache) == []  # once
    assert await HotItemNote.filter(item_id=item.id, action="linked").count() == 2
    # A place-less item matches by words and category alone.
    talent = await create_item(
        lift_item(
            title="人才安居补贴未发放",
            topic_words=("人才", "补贴"),
            place_key="",
            place_label="",
            category="劳动和社会保障/人才",
        ),
        actor,
        NOW,
    )
    subsidy = await case(
        compound=None, keywords=["人才", "补贴", "拖欠"], category="劳动和社会保障/人才"
    )
    assert await link_new_case(subsidy.id, NOW, cache) == [talent.number]


async def test_the_sweep_links_what_other_doors_made_and_closed_items_take_nothing(
    db: str,
) -> None:
    user, actor, _ = await setup()
    cache, cursor = OpenItems(), LinkCursor()
    before = await case()
    assert await sweep_links(NOW, cache, cursor) == 0  # nothing open: the cursor moves on
    item = await create_item(lift_item(), actor, NOW)
    first = await case()
    assert await sweep_links(NOW, cache, cursor) == 1
    assert await linked_to(item.number) == {first.number}  # not the one before the cursor
    assert before.number not in await linked_to(item.number)
    await close_item(user, actor, item.number, "solved", "已修好", NOW, None)
    late = await case()
    assert await sweep_links(NOW, cache, cursor) == 0  # the cache forgot the closed item
    assert late.number not in await linked_to(item.number)


async def test_an_item_made_elsewhere_is_seen_within_the_cache_age(db: str) -> None:
    _, actor, _ = await setup()
    cache = OpenItems(max_age=0.0)  # another process: only its age makes it read again
    assert (await cache.get()).items == ()
    await create_item(lift_item(), actor, NOW)
    assert [i.title for i in (await cache.get()).items] == ["开鲁新村电梯反复故障"]


async def test_numbers_at_once_and_one_monthly_item_a_month(db: str) -> None:
    _, actor, _ = await setup()
    numbers = await asyncio.gather(*(next_item_number(NOW) for _ in range(5)))
    assert sorted(numbers) == [f"RD2603000{n}" for n in range(1, 6)]
    monthly = lift_item(kind="monthly", month="2026-03")
    await create_item(monthly, actor, NOW)
    with pytest.raises(ItemStateError, match="每月一题"):
        await create_item(monthly, actor, NOW)


async def test_the_item_audience_reaches_each_resident_once(db: str) -> None:
    _, actor, _ = await setup()
    twice = await Resident.create(openid="o-twice", subscribed=True)
    once = await Resident.create(openid="o-once", subscribed=True)
    outsider = await Resident.create(openid="o-outsider", subscribed=True)
    a = await case(resident_id=twice.id)
    b = await case(resident_id=twice.id)
    c = await case(resident_id=once.id)
    await case(resident_id=outsider.id, compound="国权路小区")
    item = await create_item(lift_item(numbers=(a.number, b.number, c.number)), actor, NOW)
    audience = parse_audience({"kind": "item", "item": item.number})
    settings = make_settings("sqlite://:memory:")
    found = [
        x.recipient
        async for x in every_candidate(audience, "mp_mass", {"text": "x"}, NOW, settings)
    ]
    assert found == ["o-twice", "o-once"]
    for bad in ({"kind": "item"}, {"kind": "item", "item": "RD1"}, {"kind": "item", "item": 7}):
        with pytest.raises(InvalidNotice):
            parse_audience(bad)
