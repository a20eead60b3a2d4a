"""The dashboard's pages without a browser: each renders, sign-in and CSRF hold, a unit account
sees only its unit, the actions change cases with an audit row, the editors take effect."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import DRAINER, INTAKE
from handlers.broadcasts.delivery import sweep_broadcasts
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user
from models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    CategoryCorrection,
    ExtensionRequest,
    ExtensionStatus,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    RoutingRule,
    SlaRule,
    Unit,
    Worker,
)
from models import Resident as ResidentModel
from tests.bot.conftest import ClientFactory, Resident, clear_of_sign_in_window_end
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai


@dataclass
class Browser:
    """A signed-in person: a cookie jar (the test client's) and the page's CSRF token."""

    client: TestClient
    csrf: str = ""

    async def get(self, path: str) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    async def post(
        self, path: str, data: dict[str, str], *, csrf: bool = True
    ) -> tuple[int, str, str]:
        form = dict(data)
        if csrf:
            form["csrf_token"] = self.csrf
        response = await self.client.post(path, data=form, allow_redirects=False)
        return response.status, response.headers.get("Location", ""), await response.text()


async def sign_in(client: TestClient, username: str) -> Browser:
    browser = Browser(client)
    status, _ = await browser.get("/dashboard/login")
    assert status == 200
    status, location, text = await browser.post(
        "/dashboard/login", {"username": username, "password": PASSWORD, "next": "/dashboard/"}
    )
    assert status == 303, text
    assert location in ("/dashboard/", "/dashboard/cases", "/dashboard/suggestions")  # by role
    await browser.get("/dashboard/cases")  # a page with the session's CSRF token
    return browser


async def admin(client: TestClient, name: str = "admin") -> Browser:
    await create_user(name, "admin", PASSWORD, NOW, display_name="管理员")
    return await sign_in(client, name)


async def report(client: TestClient, openid: str, text: str) -> Case:
    reply = await Resident(client, openid).say(text)
    number = re.search(r"\d{10}", reply)
    assert number, reply
    return await Case.get(number=number.group(0))


PAGES = (
    "/dashboard/",
    "/dashboard/cases",
    "/dashboard/cases?status=open&overdue=1&supervised=1&urgency=急&q=路灯",
    "/dashboard/hot",
    "/dashboard/requests",
    "/dashboard/requests?status=all&kind=return",
    "/dashboard/routing",
    "/dashboard/routing/new",
    "/dashboard/routing?try_category=城乡建设/市政设施&try_grid=WJC-01",
    "/dashboard/sla",
    "/dashboard/sla/edit?kind=&grade=急",
    "/dashboard/sla/edit?kind=question&grade=一般",
)


async def test_every_page_renders_for_an_admin(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了，晚上很黑，电话13812345678")
    browser = await admin(client)
    for path in (*PAGES, f"/dashboard/cases/{case.number}"):
        status, text = await browser.get(path)
        assert status == 200, (path, text[:2000])
        assert "<html" in text and "退出" in text
    status, text = await browser.get(f"/dashboard/cases/{case.number}")
    assert case.number in text and "13812345678" not in text and "138****5678" in text
    assert "改类" in text and "时间线" in text
    static = await client.get("/dashboard/static/dashboard.css")
    assert static.status == 200 and "cards-on-phone" in await static.text()


async def test_pages_send_strangers_to_sign_in(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    for path in (*PAGES, f"/dashboard/cases/{case.number}"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/dashboard/login?next=/dashboard/")
    response = await client.post(
        f"/dashboard/cases/{case.number}/supervise", data={}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"].startswith("/dashboard/login")
    assert not (await Case.get(id=case.id)).supervised


async def test_sign_in_is_audited_and_sign_out_ends_the_session(
    make_client: ClientFactory,
) -> None:
    client = await make_client(demo=False)
    await create_user("admin", "admin", PASSWORD, NOW)
    browser = Browser(client)
    await browser.get("/dashboard/login")
    status, _, text = await browser.post(
        "/dashboard/login", {"username": "admin", "password": "wrong wrong wrong"}
    )
    assert status == 401 and "用户名或密码不正确" in text
    # The sign-in form's own token: a foreign page cannot sign the browser in.
    status, _, text = await browser.post(
        "/dashboard/login", {"username": "admin", "password": PASSWORD}, csrf=False
    )
    assert status == 401 and "页面已过期" in text
    status, location, _ = await browser.post(
        "/dashboard/login",
        {"username": "admin", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert status == 303 and location == "/dashboard/"  # never a redirect off the site
    await browser.get("/dashboard/")
    status, location, _ = await browser.post("/dashboard/logout", {})
    assert status == 303 and location == "/dashboard/login"
    response = await client.get("/dashboard/", allow_redirects=False)
    assert response.status == 303
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["session.failed", "session.start", "session.end"]
    assert (await AuditEvent.get(action="session.start")).via == "dashboard"


async def test_forms_without_the_csrf_token_are_refused(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    browser = await admin(client)
    before = case.category
    posts = {
        f"/dashboard/cases/{case.number}/recategorise": {"category": "城乡建设/物业管理"},
        f"/dashboard/cases/{case.number}/supervise": {"reason": "x"},
        "/dashboard/routing": {"priority": "1", "category_prefix": "民政", "unit": "CIVIL"},
        "/dashboard/sla": {"kind": "", "grade": "急", "sign_amount": "1"},
        "/dashboard/logout": {},
    }
    for path, form in posts.items():
        status, _, text = await browser.post(path, form, csrf=False)
        assert status == 403, path
        assert "CSRF" in text or "页面已过期" in text
        wrong = {**form, "csrf_token": "not-the-token"}
        response = await client.post(path, data=wrong, allow_redirects=False)
        assert response.status == 403, path
    fresh = await Case.get(id=case.id)
    assert fresh.category == before and not fresh.supervised
    assert await SlaRule.all().count() == 0
    assert not await AuditEvent.filter(action__startswith="case.").exists()
    status, _ = await browser.get("/dashboard/")
    assert status == 200  # still signed in


async def test_forms_posted_from_a_foreign_page_are_refused(make_client: ClientFactory) -> None:
    """Even with the right tokens, an unsafe request whose Origin (or Referer) is another site's
    is refused, the sign-in form included; the dashboard's own origin is welcome."""
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    browser = await admin(client)
    path = f"/dashboard/cases/{case.number}/supervise"
    form = {"reason": "x", "csrf_token": browser.csrf}
    evil = "https://evil.example"
    for headers in ({"Origin": evil}, {"Referer": f"{evil}/page"}, {"Origin": "null"}):
        response = await client.post(path, data=form, headers=headers, allow_redirects=False)
        assert response.status == 403, headers
        assert "其他网站" in await response.text()
    assert not (await Case.get(id=case.id)).supervised
    await create_user("mallory", "admin", PASSWORD, NOW)
    login = Browser(client)
    await login.get("/dashboard/login")
    given = {"username": "mallory", "password": PASSWORD, "csrf_token": login.csrf}
    response = await client.post(
        "/dashboard/login", data=given, headers={"Origin": evil}, allow_redirects=False
    )
    assert response.status == 403
    assert not await AuditEvent.filter(action="session.start", username="mallory").exists()
    own = str(client.make_url("")).rstrip("/")
    response = await client.post(path, data=form, headers={"Origin": own}, allow_redirects=False)
    assert response.status == 303 and (await Case.get(id=case.id)).supervised


async def test_the_sign_in_page_stops_guessing_from_one_address(
    make_client: ClientFactory,
) -> None:
    client = await make_client(demo=False, sign_in_failures_per_address=2)
    await create_user("admin", "admin", PASSWORD, NOW)
    await clear_of_sign_in_window_end()
    browser = Browser(client)
    await browser.get("/dashboard/login")
    for name in ("alice", "bob"):
        status, _, text = await browser.post(
            "/dashboard/login", {"username": name, "password": "wrong wrong"}
        )
        assert status == 401 and "用户名或密码不正确" in text
    response = await client.post(
        "/dashboard/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": browser.csrf},
        allow_redirects=False,
    )
    assert response.status == 429 and int(response.headers["Retry-After"]) > 0
    assert "登录尝试过于频繁" in await response.text()
    assert "jiesu_session" not in response.cookies


async def test_recategorise_supervise_and_reassign_from_the_case_page(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了，晚上很黑")
    browser = await admin(client)
    await browser.get(f"/dashboard/cases/{case.number}")
    target = "城乡建设/物业管理"
    status, location, _ = await browser.post(
        f"/dashboard/cases/{case.number}/recategorise",
        {"category": target, "reason": "小区内路灯归物业"},
    )
    assert status == 303 and location == f"/dashboard/cases/{case.number}?ok=recategorised"
    fresh = await Case.get(id=case.id)
    assert fresh.category == target
    correction = await CategoryCorrection.get(case_id=case.id)
    assert correction.new_category == target and correction.corrected_by == "staff:admin"
    entry = await AuditEvent.get(action="case.recategorise")
    assert entry.target_id == case.number and entry.detail["to"] == target
    assert entry.username == "admin" and entry.via == "dashboard"
    status, text = await browser.get(location)
    assert "已改类" in text and target in text

    # An unknown category is refused in words, and changes nothing.
    status, _, text = await browser.post(
        f"/dashboard/cases/{case.number}/recategorise", {"category": "城乡建设/不存在"}
    )
    assert status == 400 and "没有这个分类" in text
    assert await CategoryCorrection.filter(case_id=case.id).count() == 1

    status, location, _ = await browser.post(
        f"/dashboard/cases/{case.number}/supervise", {"reason": "群众反映强烈"}
    )
    assert status == 303 and (await Case.get(id=case.id)).supervised
    event = await CaseEvent.get(case_id=case.id, action="supervise")
    assert event.actor_type == "staff" and event.actor_id == "admin"
    status, _, text = await browser.post(f"/dashboard/cases/{case.number}/supervise", {})
    assert status == 409 and "已在督办中" in text

    # 改派 needs a reason; with one, the case moves and the move is audited.
    status, _, text = await browser.post(
        f"/dashboard/cases/{case.number}/reassign", {"unit": "HOUSING", "worker": ""}
    )
    assert status == 400 and "原因" in text
    status, _, _ = await browser.post(
        f"/dashboard/cases/{case.number}/reassign",
        {"unit": "HOUSING", "worker": "", "reason": "属房管"},
    )
    assert status == 303
    housing = await Unit.get(code="HOUSING")
    assert (await Case.get(id=case.id)).unit_id == housing.id
    assert await AuditEvent.filter(action="case.reassign", target_id=case.number).exists()


async def test_search_finds_by_number_words_and_phone_and_masks_it(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    lamp = await report(client, "o-1", "政通路路灯坏了，电话13812345678")
    water = await report(client, "o-2", "市光一村停水了，已经两天")
    browser = await admin(client)
    for query, found, missing in (
        (lamp.number, lamp, water),
        ("路灯", lamp, water),
        ("停水 市光", water, lamp),
        ("5678", lamp, water),
    ):
        status, text = await browser.get(f"/dashboard/cases?q={query}")
        assert status == 200
        assert found.number in text and missing.number not in text, query
        assert "13812345678" not in text
    status, text = await browser.get("/dashboard/cases?status=nonsense")
    assert status == 200 and "没有这个状态" in text


async def test_a_unit_account_sees_only_its_units_cases(make_client: ClientFactory) -> None:
    client = await make_client()
    lamp = await report(client, "o-1", "政通路路灯坏了")  # the construction commission
    water = await report(client, "o-2", "市光一村停水了，已经两天")  # the utilities centre
    assert lamp.unit_id != water.unit_id and lamp.unit_id is not None
    unit = await Unit.get(id=lamp.unit_id)
    await create_user("unit1", "unit", PASSWORD, NOW, unit_id=unit.id)
    browser = await sign_in(client, "unit1")
    status, text = await browser.get("/dashboard/cases")
    assert status == 200 and lamp.number in text and water.number not in text
    status, text = await browser.get(f"/dashboard/cases?q={water.number}")
    assert f"/dashboard/cases/{water.number}" not in text and "没有找到符合条件" in text
    own_status, _ = await browser.get(f"/dashboard/cases/{lamp.number}")
    other_status, other = await browser.get(f"/dashboard/cases/{water.number}")
    nothing_status, nothing = await browser.get("/dashboard/cases/2699999999")
    assert own_status == 200 and other_status == 404 and nothing_status == 404
    assert other == nothing and "没有找到这条诉求" in other  # says nothing about the case
    # Actions it lacks: 403 for its own case, the same 404 for another unit's.
    status, _, _ = await browser.post(
        f"/dashboard/cases/{lamp.number}/recategorise", {"category": "民政/社会救助"}
    )
    assert status == 403
    status, _, _ = await browser.post(f"/dashboard/cases/{water.number}/supervise", {})
    assert status == 403  # supervise is not a unit account's either
    for path in ("/dashboard/routing", "/dashboard/sla", "/dashboard/hot"):
        status, text = await browser.get(path)
        assert status == 403 and "没有此项权限" in text
    status, text = await browser.get("/dashboard/")
    assert status == 200 and "本单位" in text
    assert "派单规则" not in text.split("<main", 1)[0]  # not offered in the navigation


async def test_routing_editor_changes_where_the_next_case_goes(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    browser = await admin(client)
    await browser.get("/dashboard/routing/new")
    status, _, text = await browser.post(
        "/dashboard/routing",
        {"priority": "1", "category_prefix": "城乡建设/不存在", "unit": "HOUSING", "active": "1"},
    )
    assert status == 400 and "没有这个分类" in text
    status, location, _ = await browser.post(
        "/dashboard/routing",
        {
            "priority": "1",
            "category_prefix": "城乡建设/市政设施",
            "unit": "HOUSING",
            "note": "试点",
            "active": "1",
        },
    )
    assert status == 303 and location == "/dashboard/routing?ok=rule_saved"
    rule = await RoutingRule.get(priority=1)
    assert await AuditEvent.filter(action="routing.create", target_id=str(rule.id)).exists()
    # The intake's cached routing table was invalidated: the next case follows the new rule.
    case = await report(client, "o-1", "政通路路灯坏了")
    housing = await Unit.get(code="HOUSING")
    assert case.category == "城乡建设/市政设施" and case.unit_id == housing.id
    status, text = await browser.get(
        "/dashboard/routing?try_category=城乡建设/市政设施&try_grid=WJC-01"
    )
    assert "区房屋管理局" in text

    await browser.get(f"/dashboard/routing/{rule.id}")
    status, _, _ = await browser.post(
        f"/dashboard/routing/{rule.id}",
        {"priority": "1", "category_prefix": "城乡建设/市政设施", "unit": "HOUSING"},
    )  # "active" unticked: the rule stops
    assert status == 303 and not (await RoutingRule.get(id=rule.id)).active
    case = await report(client, "o-2", "国权北路路灯不亮了")
    assert case.unit_id != housing.id
    status, location, _ = await browser.post(f"/dashboard/routing/{rule.id}/delete", {})
    assert status == 303 and not await RoutingRule.exists(id=rule.id)
    actions = [e.action for e in await AuditEvent.filter(target_type="routing_rule")]
    assert actions == ["routing.create", "routing.update", "routing.delete"]


@pytest.fixture
def clocked_client(db_url: str, aiohttp_client: Any) -> Callable[[ManualClock], Any]:
    async def factory(clock: ManualClock) -> TestClient:
        client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
        await load_demo_district()
        return client

    return factory


async def test_sla_editor_changes_the_next_cases_deadlines(
    clocked_client: Callable[[ManualClock], Any],
) -> None:
    client = await clocked_client(ManualClock(NOW))
    browser = await admin(client)
    before = await report(client, "o-1", "政通路路灯坏了")
    assert before.completion_due_at is not None
    await browser.get("/dashboard/sla/edit?kind=&grade=一般")
    status, _, text = await browser.post(
        "/dashboard/sla",
        {
            "kind": "",
            "grade": "一般",
            "completion_amount": "2.5",
            "completion_unit": "working_days",
        },
    )
    assert status == 400 and "整数" in text
    status, location, _ = await browser.post(
        "/dashboard/sla",
        {
            "kind": "",
            "grade": "一般",
            "sign_amount": "1",
            "sign_unit": "hours",
            "completion_amount": "3",
            "completion_unit": "working_days",
        },
    )
    assert status == 303 and location == "/dashboard/sla?ok=sla_saved"
    rule = await SlaRule.get(kind="", grade="一般")
    assert rule.sign_hours == 1 and rule.completion_working_days == 3
    assert rule.first_contact_hours == 0 and rule.updated_by == "admin"
    entry = await AuditEvent.get(action="sla.save")
    assert entry.detail["before"] is None and entry.detail["after"]["completion_working_days"] == 3
    after = await report(client, "o-2", "市光一村楼道灯坏了")
    assert after.sign_due_at == NOW + timedelta(hours=1)
    # Tuesday 10:00 + 3 working days = Friday 17:30 Shanghai time.
    assert after.completion_due_at == datetime(2026, 3, 13, 9, 30, tzinfo=UTC)
    assert after.first_contact_due_at == before.first_contact_due_at  # left to the policy
    status, text = await browser.get("/dashboard/sla")
    assert "3个工作日" in text and "1小时" in text
    # Reset: back to the policy for the next case.
    status, _, _ = await browser.post(f"/dashboard/sla/{rule.id}/delete", {})
    assert status == 303 and not await SlaRule.exists()
    again = await report(client, "o-3", "国权北路路灯不亮了")
    assert again.completion_due_at == before.completion_due_at
    actions = [e.action for e in await AuditEvent.filter(target_type="sla_rule").order_by("id")]
    assert actions == ["sla.save", "sla.delete"]


async def test_extensions_are_decided_by_a_staff_account(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    worker = await Worker.filter(unit_id=case.unit_id).first()
    if worker is None:
        worker = await Worker.create(name="赵工", unit_id=case.unit_id)
    await Case.filter(id=case.id).update(
        status=CaseStatus.SIGNED, signed_at=NOW, worker_id=worker.id
    )
    request = await ExtensionRequest.create(
        case_id=case.id, worker_id=worker.id, hours=48, reason="需采购配件", created_at=NOW
    )
    browser = await admin(client)
    status, text = await browser.get(f"/dashboard/cases/{case.number}")
    assert "需采购配件" in text and "同意延期" in text
    path = f"/dashboard/cases/{case.number}/extensions/{request.id}/decide"
    status, _, text = await browser.post(path, {"decision": "refuse", "note": ""})
    assert status == 400 and "理由" in text
    due = (await Case.get(id=case.id)).completion_due_at
    assert due is not None
    status, location, _ = await browser.post(path, {"decision": "approve", "note": "同意"})
    assert status == 303 and location.endswith("ok=extension_approved")
    decided = await ExtensionRequest.get(id=request.id)
    assert decided.status == ExtensionStatus.APPROVED and decided.decided_by_id is None
    assert (await Case.get(id=case.id)).completion_due_at == due + timedelta(hours=48)
    event = await CaseEvent.filter(case_id=case.id, actor_type="staff").order_by("-id").first()
    assert event is not None and event.action == "deadline" and event.actor_id == "admin"
    assert await AuditEvent.filter(action="extension.approve", target_id=case.number).exists()
    status, _, text = await browser.post(path, {"decision": "approve"})
    assert status == 409 and "已经审核过" in text


async def test_the_overview_shows_the_four_rates(make_client: ClientFactory) -> None:
    client = await make_client()
    for n, text in enumerate(("政通路路灯坏了", "政通路路灯坏了，好几天了", "市光一村停水了")):
        await report(client, f"o-{n}", text)
    browser = await admin(client)
    status, text = await browser.get("/dashboard/")
    assert status == 200
    for label in ("先行联系率", "按时办结率", "重复率", "满意率", "每日受理量"):
        assert label in text
    assert text.count("<svg") >= 6
    status, text = await browser.get("/dashboard/?from=2026-13-01")
    assert status == 200 and "日期格式" in text


async def test_a_notice_from_draft_to_done(make_client: ClientFactory) -> None:
    client = await make_client()
    for n, text in enumerate(("国权北路路灯不亮了", "政通路人行道砖松了", "国权北路井盖缺失")):
        await report(client, f"o-{n}", text)
    me = await Worker.create(name="张主任", openid="o-author")
    await create_user("author", "admin", PASSWORD, NOW, worker_id=me.id)
    await create_user("checker", "admin", PASSWORD, NOW)
    author = await sign_in(client, "author")
    status, text = await author.get("/dashboard/notices/new")
    assert status == 200 and "发给谁" in text
    form = {
        "title": "停水通知",
        "audience_kind": "residents",
        "grids": "WJC-01",
        "channel": "mp_mass",
        "kind": "text",
        "text": "3月12日9:00-17:00国权路停水，请提前储水。",
    }
    status, _, text = await author.post("/dashboard/notices", {**form, "action": "audience"})
    assert status == 200 and "受众预估" in text and not await Notice.exists()
    status, _, text = await author.post("/dashboard/notices", {**form, "text": ""})
    assert status == 400 and "内容缺少" in text
    status, location, _ = await author.post("/dashboard/notices", {**form, "action": "save"})
    assert status == 303, location
    notice = await Notice.get()
    page = location.split("?")[0]
    assert page == f"/dashboard/notices/{notice.id}" and notice.created_by == "author"
    status, text = await author.get(page)
    assert "发预览给自己" in text and "受众预估" in text
    status, _, text = await author.post(f"{page}/submit", {})
    assert status == 400 and "预览" in text
    assert (await author.post(f"{page}/preview", {}))[0] == 303
    assert (await author.post(f"{page}/submit", {}))[0] == 303
    status, _, text = await author.post(f"{page}/approve", {})
    assert status == 403 and "另一位管理员" in text  # never one's own
    await author.post("/dashboard/logout", {})

    checker = await sign_in(client, "checker")
    status, text = await checker.get(page)
    assert "批准发送" in text
    assert (await checker.post(f"{page}/approve", {"note": "同意"}))[0] == 303
    ctx = await client.app[INTAKE].context()
    for _ in range(5):
        await sweep_broadcasts(ctx)
        await client.app[DRAINER].drain_once()
    await sweep_broadcasts(await client.app[INTAKE].context())
    notice = await Notice.get(id=notice.id)
    assert notice.status == NoticeStatus.DONE
    residents = await ResidentModel.filter(cases__grid__code="WJC-01").distinct().count()
    assert residents == 3
    assert await NoticeDelivery.filter(notice_id=notice.id, status="sent").count() == residents
    response = await client.get(f"{page}/progress")
    progress = await response.json()
    assert progress["finished"] and progress["sent"] == residents and progress["total"] >= 1
    status, text = await checker.get(page)
    assert "发送进度" in text and "已发送" in text
    actions = [e.action for e in await AuditEvent.filter(target_type="notice").order_by("id")]
    assert actions == ["notice.create", "notice.preview", "notice.submit", "notice.approve"]


async def test_a_worker_account_lands_on_its_own_cases(make_client: ClientFactory) -> None:
    client = await make_client()
    lamp = await report(client, "o-1", "政通路路灯坏了")
    water = await report(client, "o-2", "市光一村停水了，已经两天")
    assert lamp.worker_id is not None and lamp.worker_id != water.worker_id
    await create_user("wang", "worker", PASSWORD, NOW, worker_id=lamp.worker_id)
    browser = Browser(client)
    await browser.get("/dashboard/login")
    status, _, _ = await browser.post(
        "/dashboard/login", {"username": "wang", "password": PASSWORD, "next": "/dashboard/"}
    )
    assert status == 303
    response = await client.get("/dashboard/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/dashboard/cases"
    status, text = await browser.get("/dashboard/cases")
    assert lamp.number in text and water.number not in text
    assert (await browser.get(f"/dashboard/cases/{water.number}"))[0] == 404
