"""The hot page: each issue's heat with its factors, and its 立项 form making an item."""

from __future__ import annotations

from models import HotItem, HotItemCase
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_hot_items_page import day, post
from tests.bot.dashboard.test_pages import admin, report


async def test_the_hot_page_shows_the_factors_and_takes_an_issue_up(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    browser = await admin(client)
    first = await report(client, "o-h1", "政通路上的路灯坏了好几天，晚上路口很黑")
    second = await report(client, "o-h2", "政通路路灯一直不亮，晚上走路看不清")
    page = await (await browser.client.get("/dashboard/hot?days=7")).text()
    for factor in ("residents", "growth", "repeats", "dissatisfaction", "reopen", "votes"):
        assert f'data-factor="{factor}"' in page
    assert "热度" in page and "政通路" in page and 'action="/dashboard/hot/items"' in page

    form = [
        ("csrf_token", browser.csrf),
        ("title", "政通路路灯不亮"),
        ("numbers", f"{first.number} {second.number}"),
        ("topic_words", "路灯 维修"),
        ("place_key", "政通路"),
        ("place_label", "政通路"),
        ("category", ""),
        ("heat", "{}"),
        ("kind", "proactive"),
        ("month", ""),
        ("owner_unit", "ST-YX"),
        ("plan", "全面检修路灯"),
        ("deadline", day(14)),
        ("milestones", ""),
    ]
    status, location, _ = await post(browser, "/dashboard/hot/items", form)
    assert status in (302, 303) and "/dashboard/hot/items/RD" in location
    item = await HotItem.get()
    assert await HotItemCase.filter(item=item).count() == 2
    again = await (await browser.client.get("/dashboard/hot?days=7")).text()
    assert item.number in again  # the issue now names its item instead of offering 立项
