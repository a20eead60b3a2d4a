"""The admin API for account links: who may make a link, what is audited, what a bad request
gets; WeCom address-book matching through the fake WeCom (read, decide, apply)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AccountLink, AuditEvent, StaffUser, Worker
from tests.bot.conftest import ClientFactory
from tests.fake_wechat import QRCODE_CREATE, FakeWeChat
from tests.fake_wecom import USER_LIST, FakeWeCom

NOW = datetime.now(UTC)
PASSWORD = "correct horse battery"
MATCHES = "/api/admin/wecom/matches"


async def headers_of(username: str) -> dict[str, str]:
    user = await StaffUser.get(username=username)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def add_staff() -> None:
    await create_user("boss", "admin", PASSWORD, NOW)
    await create_user("disp", "dispatcher", PASSWORD, NOW)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWeChat, str, FakeWeCom, str]]:
    wechat, wecom = FakeWeChat(appid="wxfake", secret="fakesecret"), FakeWeCom()
    async with wechat.running() as wechat_url, wecom.running() as wecom_url:
        yield wechat, wechat_url, wecom, wecom_url


@pytest.fixture
async def app(
    make_client: ClientFactory, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> TestClient:
    _, wechat_url, wecom, wecom_url = fakes
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
    await add_staff()
    return client


async def post(
    client: TestClient, path: str, body: Any = None, username: str = "boss"
) -> tuple[int, Any]:
    response = await client.post(
        path, json=body if body is not None else {}, headers=await headers_of(username)
    )
    return response.status, await response.json()


async def test_who_may_make_a_link_and_what_is_audited(app: TestClient) -> None:
    worker = await Worker.get(name="王芳")
    path = f"/api/admin/workers/{worker.id}/link"
    response = await app.post(path, json={})
    assert response.status == 401
    status, body = await post(app, path, username="disp")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert await AccountLink.all().count() == 0

    status, body = await post(app, path)
    assert status == 201 and body["link"]["qr_image_url"] and body["link"]["note"] == ""
    event = await AuditEvent.get(action="account.link_create")
    assert (event.username, event.target_type, event.target_id, event.via) == (
        "boss",
        "worker",
        str(worker.id),
        "api",
    )
    assert body["link"]["code"] not in str(event.detail)  # the secret is not in the trail


async def test_bad_requests_change_nothing(app: TestClient) -> None:
    worker = await Worker.get(name="王芳")
    cases = [
        (f"/api/admin/workers/{worker.id}/link", {"unexpected": 1}, 400),
        (f"/api/admin/workers/{worker.id}/link", [], 400),
        ("/api/admin/workers/999999/link", {}, 404),
        ("/api/admin/workers/abc/link", {}, 404),
        ("/api/admin/users/nobody/link", {}, 404),
        ("/api/admin/users/bo%00ss/link", {}, 404),
        ("/api/admin/users/" + "x" * 300 + "/link", {}, 404),
    ]
    for path, body, expected in cases:
        status, answer = await post(app, path, body)
        assert status == expected, (path, answer)
    await Worker.filter(id=worker.id).update(active=False)
    assert (await post(app, f"/api/admin/workers/{worker.id}/link"))[0] == 404
    auth = {**await headers_of("boss"), "Content-Type": "application/json"}
    for raw, expected in ((b"{" * 50, 400), (b"{" * 2_000_000, 413)):
        response = await app.post("/api/admin/users/boss/link", data=raw, headers=auth)
        assert response.status == expected
    assert await AccountLink.all().count() == 0
    assert not await AuditEvent.filter(action="account.link_create").exists()


async def test_a_refused_qr_code_still_gives_the_chat_code(
    app: TestClient, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> None:
    wechat = fakes[0]
    wechat.fail_next(QRCODE_CREATE, 45009)
    status, body = await post(app, "/api/admin/users/boss/link")
    assert status == 201 and body["link"]["qr_image_url"] is None
    assert "生成二维码失败" in body["link"]["note"] and body["link"]["code"]


async def test_in_sandbox_mode_a_link_has_only_its_chat_code(make_client: ClientFactory) -> None:
    client = await make_client()
    await add_staff()
    status, body = await post(client, "/api/admin/users/disp/link")
    assert status == 201 and body["link"]["qr_image_url"] is None
    assert "沙盒" in body["link"]["note"] and body["link"]["target"] == "staff"


async def test_two_links_at_once_leave_one_usable(app: TestClient) -> None:
    path = "/api/admin/users/disp/link"
    results = await asyncio.gather(post(app, path), post(app, path))
    assert [status for status, _ in results] == [201, 201]
    assert await AccountLink.filter(used_at=None, revoked_at=None).count() == 1


def address_book(wecom: FakeWeCom) -> None:
    wecom.departments = {
        1: [
            {"userid": "wf", "name": "王芳", "mobile": "13800000101"},
            {"userid": "zm1", "name": "张敏"},
        ],
        2: [
            {"userid": "zm2", "name": "张敏"},
            {"userid": "wf", "name": "王芳", "mobile": "13800000101"},  # in two departments
        ],
    }


async def test_wecom_matches_are_read_decided_and_applied(
    app: TestClient, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> None:
    wecom = fakes[2]
    address_book(wecom)
    await Worker.filter(name__in=["王芳", "张敏"]).update(wecom_userid=None)
    wang, zhang = await Worker.get(name="王芳"), await Worker.get(name="张敏")
    response = await app.get(MATCHES, headers=await headers_of("disp"))
    assert response.status == 403
    response = await app.get(MATCHES, headers=await headers_of("boss"))
    report = await response.json()
    assert response.status == 200, report
    assert report["members"] == 3
    assert [(m["worker_id"], m["candidates"][0]["userid"]) for m in report["proposed"]] == [
        (wang.id, "wf")
    ]
    (doubt,) = report["ambiguous"]
    assert doubt["worker_id"] == zhang.id and {c["userid"] for c in doubt["candidates"]} == {
        "zm1",
        "zm2",
    }
    assert await Worker.filter(wecom_userid=None).count() == 2  # reading changed nothing

    chosen = {
        "matches": [
            {"worker_id": wang.id, "userid": "wf"},
            {"worker_id": zhang.id, "userid": "zm2"},
        ]
    }
    status, body = await post(app, MATCHES, chosen)
    assert status == 200, body
    assert {a["userid"] for a in body["applied"]} == {"wf", "zm2"}
    assert (await Worker.get(id=zhang.id)).wecom_userid == "zm2"
    assert await AuditEvent.filter(action="worker.wecom_link", username="boss").count() == 2

    status, body = await post(app, MATCHES, chosen)
    assert status == 409 and body["error"]["code"] == "refused"
    assert await AuditEvent.filter(action="worker.wecom_link").count() == 2


async def test_wecom_apply_refuses_bad_choices(
    app: TestClient, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> None:
    wecom = fakes[2]
    address_book(wecom)
    await Worker.filter(name="王芳").update(wecom_userid=None)
    wang = await Worker.get(name="王芳")
    for body in (
        {"matches": []},
        {"matches": [{"worker_id": wang.id}]},
        {"matches": [{"worker_id": wang.id, "userid": "wf", "extra": 1}]},
        {"matches": [{"worker_id": "1", "userid": "wf"}]},
        {"matches": [{"worker_id": wang.id, "userid": "bad id with spaces"}]},
    ):
        status, answer = await post(app, MATCHES, body)
        assert status == 400, (body, answer)
    status, answer = await post(
        app, MATCHES, {"matches": [{"worker_id": wang.id, "userid": "ghost"}]}
    )
    assert status == 409 and "ghost" in answer["error"]["message"]
    # Two admins applying the same choice at once: one applies it, the other is refused.
    same = {"matches": [{"worker_id": wang.id, "userid": "wf"}]}
    results = await asyncio.gather(post(app, MATCHES, same), post(app, MATCHES, same))
    assert sorted(status for status, _ in results) == [200, 409]
    assert await AuditEvent.filter(action="worker.wecom_link").count() == 1
    wecom.fail_next(USER_LIST, 60011)
    response = await app.get(MATCHES, headers=await headers_of("boss"))
    assert response.status == 502


async def test_wecom_matching_needs_a_wecom_app(make_client: ClientFactory) -> None:
    client = await make_client()
    await add_staff()
    response = await client.get(MATCHES, headers=await headers_of("boss"))
    assert response.status == 409 and (await response.json())["error"]["code"] == "not_configured"
