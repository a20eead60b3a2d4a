"""A governance item in a real headless Chromium (热点事项): a resident's case is taken up as an
item; the owner unit's account opens the ledger, the item, ticks a milestone and closes it.

The app and the browser helpers are test_browser's; without chromium the test is skipped locally.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.clock import local
from handlers.hot.items import ItemIn, MilestoneIn, create_item
from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from models import HotItem, HotItemMilestone, HotItemStatus, Unit
from tests.bot.dashboard.test_browser import (
    PASSWORD,
    Person,
    Site,
    chrome,  # noqa: F401 (fixture)
    in_browser,
    say,
    site,  # noqa: F401 (fixture)
)

WORDS = "开鲁新村12号楼电梯经常坏，老人上下楼很困难，希望尽快维修电梯"
RESULT = "已更换电梯主板并加装远程监测"


async def test_the_owner_unit_ticks_a_milestone_and_closes_the_item(
    chrome: Any,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    reply = await say(site.base, "o-browser-hot", WORDS, 8_400_001)
    found = re.search(r"\d{10}", reply)
    assert found, reply
    centre = await create_user("centre", "dispatcher", PASSWORD, now)
    yx = await Unit.get(code="ST-YX")
    await create_user("yx", "unit", PASSWORD, now, unit_id=yx.id, display_name="殷行街道")
    today = local(now).date()
    item = await create_item(
        ItemIn(
            title="开鲁新村电梯反复故障",
            owner_unit="ST-YX",
            deadline=today + timedelta(days=30),
            co_units=("MARKET",),
            plan="联系维保单位全面检修",
            milestones=(
                MilestoneIn("现场排查", today + timedelta(days=3)),
                MilestoneIn("完成维修", today + timedelta(days=20)),
            ),
            numbers=(found.group(0),),
            topic_words=("电梯", "维修"),
            place_key="开鲁新村",
            place_label="开鲁新村",
        ),
        StaffActor.of(centre, via="test"),
        now,
    )
    first = await HotItemMilestone.filter(item_id=item.id).order_by("position").first()
    assert first is not None
    person = Person(chrome, site.base)

    def work() -> tuple[str, str, str]:
        person.sign_in("yx")
        person.open("/dashboard/hot/items")
        person.click(f"tr[data-number='{item.number}'] a")
        person.find("#item-milestones")
        person.click(f"li[data-milestone='{first.id}'] .tick-milestone")
        person.reach("saved=ticked")
        ticked = str(person.find(f"li[data-milestone='{first.id}']").get_attribute("data-done"))
        person.find("#close-result").send_keys(RESULT)
        person.select(person.find("#close-outcome")).select_by_value("solved")
        person.click("#close-item")
        person.until(person.ec.alert_is_present(), "the confirmation").accept()
        person.reach("saved=closed")
        status = str(person.find("#item-status").get_attribute("data-status"))
        result = str(person.find("#item-result").text)
        person.sign_out()
        return ticked, status, result

    ticked, status, result = await in_browser(work)
    assert ticked == "yes" and status == "closed" and RESULT in result
    stored = await HotItem.get(id=item.id)
    assert stored.status == HotItemStatus.CLOSED and stored.result == RESULT
    assert (await HotItemMilestone.get(id=first.id)).done_at is not None


async def test_a_dispatcher_reads_the_heat_and_takes_an_issue_up_from_the_hot_page(
    chrome: Any,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    for n, words in enumerate(
        ("政通路上的路灯坏了好几天，晚上路口很黑", "政通路路灯一直不亮，晚上走路看不清")
    ):
        await say(site.base, f"o-browser-lamp-{n}", words, 8_400_101 + n)
    await create_user("centre", "dispatcher", PASSWORD, now)
    deadline = (local(now).date() + timedelta(days=14)).isoformat()
    person = Person(chrome, site.base)

    def work() -> list[str]:
        person.sign_in("centre")
        person.open("/dashboard/hot?days=7")
        issue = person.find("#hot-issues .hot-item")
        factors = [
            str(row.get_attribute("data-factor"))
            for row in issue.find_elements(person.by.CSS_SELECTOR, "tr[data-factor]")
        ]
        person.click("#hot-issues .hot-item details.take-up summary")
        form = "#hot-issues .hot-item details.take-up form"
        person.find(f"{form} textarea[name='plan']").send_keys("排查政通路全线路灯并更换损坏灯具")
        person.d.execute_script(
            "arguments[0].value = arguments[1]",
            person.find(f"{form} input[name='deadline']"),
            deadline,
        )
        person.click(f"{form} button[type='submit']")
        person.reach("/dashboard/hot/items/RD")
        person.find("#item-status")  # the new item's page
        person.sign_out()
        return factors

    factors = await in_browser(work)
    assert factors == ["residents", "growth", "repeats", "dissatisfaction", "reopen", "votes"]
    item = await HotItem.get()
    assert item.place_key == "政通路" and item.plan.startswith("排查政通路")
    assert await item.cases.all().count() == 2
