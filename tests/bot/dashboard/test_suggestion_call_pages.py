"""征集活动 on the dashboard: the list, a new call from the form, opening it (its notice drafted),
the call page's counts and grouped ideas, closing it; forms need the session's CSRF token,
everything residents wrote is escaped, and other roles are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.clock import local
from handlers.staff.accounts import create_user
from models import CallStatus, Notice, SuggestionCall
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser, admin, sign_in

HOSTILE = '<script>alert("x")</script>金点子'


def form(browser: Browser, **changes: str) -> list[tuple[str, str]]:
    now = local(datetime.now(UTC))
    fields = {
        "csrf_token": browser.csrf,
        "title": f"社区微更新{HOSTILE}",
        "question": "您希望小区里增加哪些便民设施？",
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "keyword": "金点子",
        "audience_kind": "residents",
        "streets": "五角场街道，殷行街道",
        "code": "WMG-1",
        **changes,
    }
    return [*fields.items(), ("channels", "chat"), ("channels", "mini")]


async def post(browser: Browser, path: str, data: list[tuple[str, str]]) -> tuple[int, str, str]:
    response = await browser.client.post(path, data=data, allow_redirects=False)
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_a_call_from_the_form_to_its_results(make_client: ClientFactory) -> None:
    client = await make_client()
    browser = await admin(client)
    status, page = await browser.get("/dashboard/suggestion-calls")
    assert status == 200 and "建议征集活动" in page and 'href="/dashboard/suggestion-calls"' in page
    status, page = await browser.get("/dashboard/suggestion-calls/new")
    assert status == 200 and 'id="call-form"' in page

    # Without the session's CSRF token nothing is made.
    status, _, _ = await post(browser, "/dashboard/suggestion-calls", form(browser, csrf_token=""))
    assert status == 403 and await SuggestionCall.all().count() == 0
    # A bad period is refused, the form kept.
    bad = form(browser, ends_at="2020-01-01T00:00")
    status, _, page = await post(browser, "/dashboard/suggestion-calls", bad)
    assert status == 400 and "截止时间须晚于开始时间" in page and "您希望小区里" in page
    assert "<script>alert" not in page

    status, location, text = await post(browser, "/dashboard/suggestion-calls", form(browser))
    assert status == 303, text
    assert location == "/dashboard/suggestion-calls/WMG-1?saved=created"
    call = await SuggestionCall.get(code="WMG-1")
    assert call.channels == ["chat", "mini"]
    assert call.audience == {"kind": "residents", "streets": ["五角场街道", "殷行街道"]}
    status, page = await browser.get(location)
    assert status == 200 and 'data-status="draft"' in page and 'id="open-call"' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page

    status, location, _ = await browser.post("/dashboard/suggestion-calls/WMG-1/open", {})
    assert status == 303 and location.endswith("saved=opened")
    call = await SuggestionCall.get(code="WMG-1")
    notice = await Notice.get(id=call.notice_id)
    status, page = await browser.get(location)
    assert 'data-status="open"' in page and f"/dashboard/notices/{notice.id}" in page
    assert 'id="close-call"' in page

    for openid, words in (
        ("o-dash-1", "#金点子 建议小区多装几个电动车充电桩"),
        ("o-dash-2", "金点子：小区应该增设电动自行车充电桩<b>急需</b>"),
        ("o-dash-3", "#金点子 公园里多放一些长椅供老人休息"),
    ):
        assert "JY" in await Resident(client, openid).say(words)
    status, page = await browser.get("/dashboard/suggestion-calls/WMG-1")
    assert status == 200 and 'id="call-replies">3<' in page and 'id="call-residents">3<' in page
    assert 'id="call-groups"' in page and 'data-size="2"' in page and "充电桩" in page
    assert "<b>急需</b>" not in page and 'id="call-by-day"' in page

    status, location, _ = await browser.post("/dashboard/suggestion-calls/WMG-1/close", {})
    assert status == 303 and location.endswith("saved=closed")
    assert (await SuggestionCall.get(code="WMG-1")).status == CallStatus.CLOSED
    status, page = await browser.get(location)
    assert 'data-status="closed"' in page and 'id="save-call"' not in page
    status, page = await browser.get("/dashboard/suggestion-calls/NOPE")
    assert status == 404


async def test_other_roles_are_refused(make_client: ClientFactory) -> None:
    client = await make_client()
    await create_user("d1", "dispatcher", PASSWORD, NOW)
    browser = await sign_in(client, "d1")
    status, page = await browser.get("/dashboard/suggestion-calls")
    assert status == 403 and 'href="/dashboard/suggestion-calls"' not in page
    status, _, _ = await post(browser, "/dashboard/suggestion-calls", form(browser))
    assert status == 403 and await SuggestionCall.all().count() == 0
    await create_user("office", "suggestions", PASSWORD, NOW)
    await browser.post("/dashboard/logout", {})
    office = await sign_in(client, "office")
    status, page = await office.get("/dashboard/suggestion-calls")
    assert status == 200
