"""A new district sets itself up in a real headless Chromium, as its admin would (issue 15).

The app starts on an empty database with the official account pointed at the fake WeChat API
(outbound mode ``wechat``) and its background work on. An admin signs in and sees the setup
checklist; uploads a small district the test writes (two grids as GeoJSON, units, workers and
place names as CSV) on 组织架构 → 导入, previews and confirms it; adds a routing rule; makes a
link for an imported worker on 账号绑定 (the QR code comes from the fake's qrcode/create) and
one for their own account, which WeChat events then use (a new follower's ``subscribe`` with
``qrscene_``, a typed chat code); watches the checklist go. Two residents report from a
compound of the new district, and a broadcast to that grid's residents is previewed, submitted,
approved by a second admin and followed to 100%, the fake receiving it.

The shared browser helpers are test_browser's; without chromium the test is skipped locally.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.wechat.signing import message_xml, signed_query
from handlers.staff.accounts import create_user
from models import (
    AuditEvent,
    Case,
    Grid,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    Place,
    RoutingRule,
    StaffUser,
    Unit,
    Worker,
)
from tests.bot.dashboard.test_browser import (
    PASSWORD,
    Person,
    chrome,  # noqa: F401 (fixture)
    in_browser,
    say,
)
from tests.conftest import TEST_APPID, TEST_TOKEN, make_settings
from tests.fake_wechat import MASS_PREVIEW, MASS_SEND_TO, FakeWeChat

STEPS = ("units", "grids", "workers", "routing", "account")
CODE = re.compile(r"绑定 ([A-Z0-9]+)")


def square(lng: float, lat: float, size: float = 0.01) -> list[list[list[float]]]:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size]]
    return [[*ring, [lng, lat]]]


GRIDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "code": "TS-01",
                "name": "梧桐网格",
                "street": "桃溪街道",
                "unit": "ST-TX",
                "compounds": ["梧桐苑"],
                "aliases": "梧桐新村",
            },
            "geometry": {"type": "Polygon", "coordinates": square(120.10, 30.20)},
        },
        {
            "type": "Feature",
            "properties": {
                "code": "TS-02",
                "name": "银杏网格",
                "street": "桃溪街道",
                "unit": "ST-TX",
                "compounds": "银杏小区|银杏二村",
            },
            "geometry": {"type": "Polygon", "coordinates": square(120.11, 30.20)},
        },
    ],
}
UNITS = (
    "code,name,kind,parent,head,supervisors,phone,street,active\n"
    "JW-WT,梧桐居委,station,ST-TX,,,,,1\n"  # its parent comes further down
    "ST-TX,桃溪街道办事处,street,,,,0571-1234567,桃溪街道,1\n"
)
WORKERS = (
    "name,role,unit,grids,phone,wecom_userid,openid,active\n"
    "陈静,grid_worker,ST-TX,TS-01,13900000201,,,1\n"
    "赵磊,grid_worker,ST-TX,TS-02,13900000202,,,1\n"
)
PLACES = (
    "name,kind,street,grid,aliases,active\n"
    "桃溪街道,street,桃溪街道,,桃溪,1\n"
    "梧桐路,road,桃溪街道,TS-01,,1\n"
)
# 2 units, 2 grids, 2 workers, 2 places
ADDED = 8


def write_district(folder: Path) -> list[Path]:
    folder.mkdir()
    files = {
        "grids.geojson": json.dumps(GRIDS, ensure_ascii=False),
        "units.csv": UNITS,
        "workers.csv": WORKERS,
        "places.csv": PLACES,
    }
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return [folder / name for name in files]


@dataclass
class NewDistrict:
    base: str
    wechat: FakeWeChat
    wechat_url: str


@pytest.fixture
async def new_district(db_url: str) -> AsyncIterator[NewDistrict]:
    """The app on an empty database, sending for real to the fake WeChat API."""
    fake = FakeWeChat(appid=TEST_APPID, secret="testsecret")
    async with fake.running() as wechat_url:
        settings = make_settings(
            db_url,
            run_background=True,
            serve_sweeps=True,
            broadcast_sweep_seconds=0.3,
            outbox_poll_seconds=0.2,
            outbound_mode="wechat",
            wechat_api_base=wechat_url,
        )
        app = create_app(settings)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            tcp = web.TCPSite(runner, "127.0.0.1", 0)
            await tcp.start()
            yield NewDistrict(f"http://127.0.0.1:{runner.addresses[0][1]}", fake, wechat_url)
        finally:
            await runner.cleanup()


async def wechat_event(base: str, openid: str, fields: dict[str, Any]) -> str:
    """An event as WeChat posts it to /wechat/mp, signed; the passive reply's text."""
    xml = message_xml(openid, "event", fields)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/wechat/mp", params=signed_query(TEST_TOKEN), data=xml.encode("utf-8")
        ) as response,
    ):
        assert response.status == 200
        return await response.text()


def checklist(person: Person) -> dict[str, str]:
    """The overview's setup checklist: each step's done flag, or {} when it is not shown."""
    person.open("/dashboard/")
    person.find("#rates")
    items = person.d.find_elements(person.by.CSS_SELECTOR, "#setup-checklist li[data-step]")
    return {str(i.get_attribute("data-step")): str(i.get_attribute("data-done")) for i in items}


async def test_a_new_district_sets_itself_up_and_sends_a_broadcast(
    chrome: Any,  # noqa: F811
    new_district: NewDistrict,
    tmp_path: Path,
) -> None:
    base, fake = new_district.base, new_district.wechat
    now = datetime.now(UTC)
    await create_user("author", "admin", PASSWORD, now, display_name="孙主任")
    await create_user("checker", "admin", PASSWORD, now, display_name="周科长")
    assert not await Unit.exists() and not await Grid.exists() and not await Worker.exists()
    files = write_district(tmp_path / "district")
    person = Person(chrome, base)

    # Signed in, the overview lists what is missing; the official account is there.
    def first_look() -> dict[str, str]:
        person.sign_in("author")
        return checklist(person)

    steps = await in_browser(first_look)
    assert steps == {"units": "0", "grids": "0", "workers": "0", "routing": "0", "account": "1"}

    # 组织架构 → 导入: upload the files, read the preview, confirm.
    def import_district() -> tuple[str, str]:
        person.open("/dashboard/district")
        person.click("#import-link")
        person.reach("/dashboard/district/import")
        person.find("#import-form input[type=file]").send_keys("\n".join(map(str, files)))
        person.click("#import-form button[type=submit]")
        counts = person.find("#import-counts")
        added = f"{counts.get_attribute('data-add')}/{counts.get_attribute('data-change')}"
        person.find("li[data-change='grid:TS-02']")
        person.click("#import-confirm button[type=submit]")
        person.reach("saved=imported")
        person.find("[data-grid='TS-01']")
        return added, person.text()

    added, district_page = await in_browser(import_district)
    assert added == f"{ADDED}/0"
    assert "梧桐网格" in district_page and "赵磊" in district_page
    assert await Unit.filter(code__in=["ST-TX", "JW-WT"]).count() == 2
    assert await Grid.filter(code__in=["TS-01", "TS-02"]).count() == 2
    assert await Worker.filter(name__in=["陈静", "赵磊"]).count() == 2
    assert await Place.filter(name="梧桐路").exists()
    event = await AuditEvent.get(action="district.import")
    assert event.username == "author" and event.via == "dashboard"

    # 派单规则: one rule for every case, to the grid's street office.
    def add_rule() -> dict[str, str]:
        person.open("/dashboard/routing/new")
        person.find("#rule-form input[name=priority]").send_keys("10")
        person.find("#rule-form input[name=note]").send_keys("全部诉求派给网格所属街道")
        active = person.find("#rule-form input[name=active]")
        if not active.is_selected():
            active.click()
        person.click("#rule-form button[type=submit]")
        person.reach("ok=rule_saved")
        return checklist(person)

    steps = await in_browser(add_rule)
    assert await RoutingRule.filter(active=True).count() == 1
    assert steps == {"units": "1", "grids": "1", "workers": "0", "routing": "1", "account": "1"}

    # 账号绑定: a link for 陈静; the QR code is the fake's, and a chat code beside it.
    chen = await Worker.get(name="陈静")

    def link_worker() -> tuple[str, str]:
        person.open("/dashboard/accounts")
        person.click(f"form[action='/dashboard/accounts/workers/{chen.id}/link'] button")
        code = person.find("#link-code").text
        src = person.find("#link img.qr").get_attribute("src")
        return str(code), str(src)

    code_text, qr_src = await in_browser(link_worker)
    (qr,) = fake.qrcodes
    assert qr_src.endswith(f"/cgi-bin/showqrcode?ticket={qr['ticket']}")
    assert qr_src.startswith(new_district.wechat_url) and CODE.fullmatch(code_text)
    assert qr["scene"].startswith("jslink_") and qr["expire_seconds"] == 24 * 3600

    # 陈静 scans it with WeChat and follows the account: WeChat posts subscribe + qrscene_.
    scene = qr["scene"]
    fields = {"Event": "subscribe", "EventKey": f"qrscene_{scene}", "Ticket": qr["ticket"]}
    reply = await wechat_event(base, "o-chenjing", fields)
    assert "绑定成功" in reply and "陈静" in reply
    assert (await Worker.get(id=chen.id)).openid == "o-chenjing"
    linked = await AuditEvent.get(action="account.linked")
    assert linked.target_id == str(chen.id) and linked.detail["created_by"] == "author"

    # The admin links their own WeChat by the chat code, for previews of a notice.
    author = await StaffUser.get(username="author")

    def link_self() -> str:
        person.open("/dashboard/accounts")
        person.click(f"form[action='/dashboard/accounts/users/{author.id}/link'] button")
        return str(person.find("#link-code").text)

    own_code = await in_browser(link_self)
    assert "绑定成功" in await say(base, "o-author", own_code, 8_200_000)
    assert (await StaffUser.get(id=author.id)).openid == "o-author"

    # Both show as linked, 陈静 on 组织架构 too; and the checklist is gone: every step done.
    def linked_pages() -> tuple[str, str, dict[str, str]]:
        person.open("/dashboard/district")
        cell = person.find(f"tr[data-worker='{chen.id}'] td[data-label=openid]").text
        person.open("/dashboard/accounts")
        accounts = person.find("#workers").text
        return str(cell), str(accounts), checklist(person)

    cell, accounts, steps = await in_browser(linked_pages)
    assert cell == "已绑定" and "已绑定" in accounts
    assert steps == {}

    # Two residents report from 梧桐苑: their cases are placed in TS-01 and routed.
    reports = ("梧桐苑3号楼门口路灯坏了，晚上很黑", "梧桐苑停水了，已经两天")
    for n, text in enumerate(reports):
        await say(base, f"o-resident-{n}", text, 8_300_000 + n)
    grid = await Grid.get(code="TS-01")
    cases = await Case.filter(resident__openid__in=["o-resident-0", "o-resident-1"])
    assert len(cases) == 2 and {c.grid_id for c in cases} == {grid.id}
    assert {c.unit_id for c in cases} == {(await Unit.get(code="ST-TX")).id}

    # A broadcast to TS-01's residents: compose, count, preview to oneself, submit.
    def compose() -> str:
        title, text = "梧桐苑停水通知", "3月12日9:00-17:00梧桐苑停水，请提前储水。"
        return person.compose_notice(title, "TS-01", text)

    assert await in_browser(compose) == "2"
    notice = await Notice.get(title="梧桐苑停水通知")
    assert notice.status == NoticeStatus.AWAITING_APPROVAL and notice.created_by == "author"
    previews = [m.body for m in fake.sent if m.path == MASS_PREVIEW]
    assert [p["touser"] for p in previews] == ["o-author"]

    # The second admin approves and watches it reach everyone.
    assert await in_browser(lambda: person.approve_and_watch("checker", notice.id)) == "2"
    notice = await Notice.get(id=notice.id)
    assert notice.status == NoticeStatus.DONE and notice.approved_by == "checker"
    deliveries = await NoticeDelivery.filter(notice_id=notice.id)
    assert sorted(d.status for d in deliveries) == ["sent", "sent"]
    (mass,) = [m.body for m in fake.sent if m.path == MASS_SEND_TO]
    assert sorted(mass["touser"]) == ["o-resident-0", "o-resident-1"]
    assert "梧桐苑停水" in mass["text"]["content"]

    # No script errors and nothing the page's content security policy had to refuse.
    console = await in_browser(lambda: chrome.get_log("browser"))
    problems = [e["message"] for e in console if e.get("level") == "SEVERE"]
    assert not problems, problems
