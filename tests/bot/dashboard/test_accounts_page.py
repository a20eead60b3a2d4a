"""The account-links pages: an admin makes a link for a worker (the QR code from the fake and
the chat code, shown once) and the worker's scan links them; WeCom matches are chosen and
applied; a dispatcher may not; CSRF holds; nothing changes on a refused request."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.wechat.signing import message_xml
from handlers.staff.accounts import create_user
from models import AccountLink, AuditEvent, StaffUser, Worker
from tests.bot.conftest import ClientFactory, Resident, reply_content
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, sign_in
from tests.fake_wechat import FakeWeChat
from tests.fake_wecom import FakeWeCom

CODE = re.compile(r'<strong id="link-code">绑定 ([A-Z0-9]+)</strong>')


@pytest.fixture
async def app(
    make_client: ClientFactory,
) -> AsyncIterator[tuple[TestClient, FakeWeChat, FakeWeCom]]:
    wechat, wecom = FakeWeChat(appid="wxfake", secret="fakesecret"), FakeWeCom()
    async with wechat.running() as wechat_url, wecom.running() as wecom_url:
        client = await make_client(
            outbound_mode="wechat",
            wechat_api_base=wechat_url,
            mp_appid="wxfake",
            mp_secret="fakesecret",
            work_api_base=wecom_url,
            work_corp_id=wecom.corp_id,
            work_agent_id=str(wecom.agent_id),
            work_secret=wecom.secret,
            work_token="worktoken",
            work_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        )
        yield client, wechat, wecom


async def test_an_admin_links_a_worker_through_the_qr_code(
    app: tuple[TestClient, FakeWeChat, FakeWeCom],
) -> None:
    client, wechat, _ = app
    browser = await admin(client)
    status, text = await browser.get("/dashboard/accounts")
    assert status == 200 and "王芳" in text and "账号绑定" in text
    worker = await Worker.get(name="王芳")
    status, _, text = await browser.post(f"/dashboard/accounts/workers/{worker.id}/link", {})
    assert status == 200, text
    (qr,) = wechat.qrcodes
    assert html.escape(qr["ticket"]) in text and "showqrcode" in text
    code = CODE.search(text)
    assert code is not None
    event = await AuditEvent.get(action="account.link_create")
    assert event.via == "dashboard" and event.target_id == str(worker.id)

    xml = message_xml("o-wang", "event", {"Event": "SCAN", "EventKey": qr["scene"], "Ticket": "T"})
    status, body = await Resident(client, "o-wang").post_xml(xml)
    assert "绑定成功" in reply_content(body)
    assert (await Worker.get(id=worker.id)).openid == "o-wang"
    status, text = await browser.get("/dashboard/accounts")
    assert "已绑定" in text


async def test_a_staff_link_without_csrf_or_capability_changes_nothing(
    app: tuple[TestClient, FakeWeChat, FakeWeCom],
) -> None:
    client, _, _ = app
    await create_user("disp", "dispatcher", PASSWORD, NOW)
    user = await StaffUser.get(username="disp")
    dispatcher = await sign_in(client, "disp")
    status, text = await dispatcher.get("/dashboard/accounts")
    assert status == 403
    status, _, _ = await dispatcher.post(f"/dashboard/accounts/users/{user.id}/link", {})
    assert status == 403
    client.session.cookie_jar.clear()  # signed out: sent to the sign-in page
    response = await client.post(
        f"/dashboard/accounts/users/{user.id}/link", data={}, allow_redirects=False
    )
    assert response.status == 303 and "/dashboard/login" in response.headers["Location"]
    boss = await admin(client, "boss")
    status, _, _ = await boss.post(f"/dashboard/accounts/users/{user.id}/link", {}, csrf=False)
    assert status == 403
    status, _, _ = await boss.post("/dashboard/accounts/users/99999/link", {})
    assert status == 404
    assert await AccountLink.all().count() == 0
    status, _, text = await boss.post(f"/dashboard/accounts/users/{user.id}/link", {})
    assert status == 200 and CODE.search(text)


async def test_wecom_matches_are_chosen_on_the_page(
    app: tuple[TestClient, FakeWeChat, FakeWeCom],
) -> None:
    client, _, wecom = app
    wecom.departments = {
        1: [
            {"userid": "wf", "name": "王芳", "mobile": "13800000101"},
            {"userid": "zm1", "name": "张敏"},
            {"userid": "zm2", "name": "张敏"},
        ]
    }
    await Worker.filter(name__in=["王芳", "张敏"]).update(wecom_userid=None)
    wang, zhang = await Worker.get(name="王芳"), await Worker.get(name="张敏")
    browser = await admin(client)
    status, text = await browser.get("/dashboard/accounts/wecom")
    assert status == 200 and "多个企业微信成员同名" in text
    assert f'name="worker_{wang.id}" value="wf" checked' in text
    status, _, text = await browser.post(
        "/dashboard/accounts/wecom", {f"worker_{wang.id}": "wf", f"worker_{zhang.id}": "ghost"}
    )
    assert status == 409 and "ghost" in text
    assert await Worker.filter(wecom_userid="wf").count() == 0
    status, location, _ = await browser.post(
        "/dashboard/accounts/wecom", {f"worker_{wang.id}": "wf", f"worker_{zhang.id}": "zm1"}
    )
    assert status == 303 and "wecom_matched" in location
    assert (await Worker.get(id=zhang.id)).wecom_userid == "zm1"
    assert await AuditEvent.filter(action="worker.wecom_link", via="dashboard").count() == 2
