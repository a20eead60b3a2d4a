"""热点事项 on the dashboard: the making form the hot page posts (its hidden fields), the item
page and its forms, the ledger with its filters and export links; CSRF, escaping, and roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from handlers.clock import local
from handlers.staff.accounts import create_user
from models import HotItem, HotItemCase, HotItemMilestone, Unit
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser, admin, report, sign_in

HOSTILE = '<script>alert("x")</script>电梯'


def day(n: int) -> str:
    return (local(datetime.now(UTC)).date() + timedelta(days=n)).isoformat()


def making_form(browser: Browser, numbers: list[str], **changes: str) -> list[tuple[str, str]]:
    fields = {
        "csrf_token": browser.csrf,
        "title": f"开鲁新村电梯故障{HOSTILE}",
        "problem": "多名居民反映电梯反复故障",
        "topic_words": "电梯 维修",
        "place_key": "开鲁新村",
        "place_label": "开鲁新村",
        "category": "商贸旅游/质量技术监督",
        "heat": json.dumps({"heat": 12.5, "residents": 2}),
        "kind": "proactive",
        "month": "",
        "owner_unit": "ST-YX",
        "plan": "全面检修",
        "deadline": day(30),
        "milestones": f"{day(3)} 现场排查\n{day(20)} 完成维修",
        **changes,
    }
    return [
        *fields.items(),
        *(("numbers", n) for n in numbers),
        ("co_units", "MARKET"),
        ("co_units", "HOUSING"),
    ]


async def post(browser: Browser, path: str, data: list[tuple[str, str]]) -> tuple[int, str, str]:
    response = await browser.client.post(path, data=data, allow_redirects=False)
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_an_item_from_the_hot_pages_form_to_its_close(make_client: ClientFactory) -> None:
    client = await make_client()
    browser = await admin(client)
    case = await report(
        client, "o-d1", "开鲁新村12号楼电梯经常坏，老人上下楼很困难，希望尽快维修电梯"
    )

    status, _, _ = await post(
        browser, "/dashboard/hot/items", making_form(browser, [case.number], csrf_token="")
    )
    assert status == 403 and await HotItem.all().count() == 0
    bad = making_form(browser, [case.number], deadline=day(-1))
    status, _, page = await post(browser, "/dashboard/hot/items", bad)
    assert status == 400 and "期限不能早于今天" in page and "多名居民反映" in page
    assert "<script>alert" not in page

    status, location, text = await post(
        browser, "/dashboard/hot/items", making_form(browser, [case.number])
    )
    assert status == 303, text
    item = await HotItem.get()
    assert location == f"/dashboard/hot/items/{item.number}?saved=created"
    assert item.heat == {"heat": 12.5, "residents": 2} and item.topic_words == ["电梯", "维修"]
    assert await HotItemCase.filter(item_id=item.id).count() == 1
    status, page = await browser.get(location)
    assert status == 200 and "热点事项已立项" in page and "&lt;script&gt;" in page
    assert "<script>alert" not in page and "区市场监督管理局" in page

    milestone = await HotItemMilestone.filter(item_id=item.id).order_by("position").first()
    assert milestone is not None
    base = f"/dashboard/hot/items/{item.number}"
    status, location, _ = await browser.post(f"{base}/notes", {"text": "已约谈维保单位"})
    assert status == 303 and location.endswith("saved=noted")
    status, location, _ = await browser.post(f"{base}/milestones/{milestone.id}/done", {})
    assert status == 303 and location.endswith("saved=ticked")
    stale = {"text": "旧页面提交", "version": "0"}
    status, _, page = await browser.post(f"{base}/notes", stale)
    assert status == 409 and "刚被他人修改" in page
    status, location, _ = await browser.post(
        f"{base}/close", {"outcome": "solved", "result": "已更换主板"}
    )
    assert status == 303
    status, page = await browser.get(base)
    assert 'data-status="closed"' in page and 'id="tell-residents"' in page

    status, page = await browser.get("/dashboard/hot/items?status=closed")
    assert status == 200 and item.number in page and "1/2" in page
    assert 'href="/api/admin/hot/items.csv?status=closed"' in page
    status, page = await browser.get("/dashboard/hot/items?status=open")
    assert item.number not in page
    response = await client.get("/api/admin/hot/items.csv?status=closed")  # the session's cookie
    assert response.status == 200 and item.number in (await response.text())


async def test_roles_on_the_pages(make_client: ClientFactory) -> None:
    client = await make_client()
    boss = await admin(client)
    status, _, _ = await post(boss, "/dashboard/hot/items", making_form(boss, []))
    assert status == 303
    item = await HotItem.get()
    yx = await Unit.get(code="ST-YX")
    cb = await Unit.get(code="ST-CB")
    await create_user("yx", "unit", PASSWORD, NOW, unit_id=yx.id)
    await create_user("cb", "unit", PASSWORD, NOW, unit_id=cb.id)
    client.session.cookie_jar.clear()  # one cookie jar: sign in as somebody else
    owner = await sign_in(client, "yx")
    status, page = await owner.get(f"/dashboard/hot/items/{item.number}")
    assert status == 200 and 'id="close-form"' in page and 'id="edit-form"' not in page
    status, page = await owner.get("/dashboard/hot/items/new")
    assert status == 403
    client.session.cookie_jar.clear()
    stranger = await sign_in(client, "cb")
    status, page = await stranger.get(f"/dashboard/hot/items/{item.number}")
    assert status == 404
    status, page = await stranger.get("/dashboard/hot/items")
    assert status == 200 and item.number not in page
    status, _, _ = await stranger.post(
        f"/dashboard/hot/items/{item.number}/close", {"outcome": "solved", "result": "x"}
    )
    assert status == 404 and (await HotItem.get()).status == "open"
