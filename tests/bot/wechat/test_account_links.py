"""Linking a worker's or staff member's WeChat: an admin makes a link through the admin API (the
QR code comes from the fake's qrcode/create), and the person scans it (subscribe or SCAN, as
WeChat posts them to /wechat/mp, signed) or sends its chat code. Used, expired, unknown and
raced links change nothing but the one winner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.wechat.signing import message_xml
from handlers.staff.accounts import create_user, issue_api_token
from models import AccountLink, AuditEvent, StaffUser, Worker
from models import Resident as ResidentRow
from tests.bot.conftest import ClientFactory, Resident, reply_content
from tests.fake_wechat import FakeWeChat

NOW = datetime.now(UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
async def wechat() -> AsyncIterator[tuple[FakeWeChat, str]]:
    fake = FakeWeChat(appid="wxfake", secret="fakesecret")
    async with fake.running() as url:
        yield fake, url


@pytest.fixture
async def app(make_client: ClientFactory, wechat: tuple[FakeWeChat, str]) -> TestClient:
    _, url = wechat
    client = await make_client(
        outbound_mode="wechat", wechat_api_base=url, mp_appid="wxfake", mp_secret="fakesecret"
    )
    await create_user("boss", "admin", PASSWORD, NOW, display_name="李主任")
    return client


async def admin_headers(username: str = "boss") -> dict[str, str]:
    user = await StaffUser.get(username=username)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def new_link(client: TestClient, path: str) -> dict[str, Any]:
    response = await client.post(path, json={}, headers=await admin_headers())
    body = await response.json()
    assert response.status == 201, body
    return dict(body["link"])


async def worker_link(client: TestClient, name: str = "王芳") -> tuple[Worker, dict[str, Any]]:
    worker = await Worker.get(name=name)
    return worker, await new_link(client, f"/api/admin/workers/{worker.id}/link")


def scene_of(fake: FakeWeChat) -> str:
    return str(fake.qrcodes[-1]["scene"])


async def scan(person: Resident, scene: str, *, following: bool, at: int | None = None) -> str:
    fields = (
        {"Event": "SCAN", "EventKey": scene, "Ticket": "T"}
        if following
        else {"Event": "subscribe", "EventKey": f"qrscene_{scene}", "Ticket": "T"}
    )
    status, body = await person.post_xml(
        message_xml(person.openid, "event", dict(fields), create_time=at)
    )
    assert status == 200, body
    return reply_content(body)


async def linked_events() -> int:
    return await AuditEvent.filter(action="account.linked").count()


async def test_a_new_follower_scans_and_is_linked_once_whatever_wechat_retries(
    app: TestClient, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, url = wechat
    worker, link = await worker_link(app)
    (qr,) = fake.qrcodes
    assert qr["expire_seconds"] == 24 * 3600 and qr["scene"].startswith("jslink_")
    assert link["qr_image_url"] == f"{url}/cgi-bin/showqrcode?ticket={qr['ticket']}"
    assert link["qr_url"] == qr["url"] and link["name"] == "王芳"
    image = await app.session.get(link["qr_image_url"])
    assert image.status == 200 and qr["url"] in await image.text()
    stored = await AccountLink.get(id=link["link_id"])
    assert qr["scene"] not in (stored.scene_hash, stored.code_hash)  # only hashes are kept

    person = Resident(app, "o-wangfang")
    at = 1_800_000_000
    replies = [await scan(person, scene_of(fake), following=False, at=at) for _ in range(3)]
    assert replies[0] == replies[1] == replies[2]
    assert "绑定成功" in replies[0] and "工作人员「王芳」" in replies[0]
    assert (await Worker.get(id=worker.id)).openid == "o-wangfang"
    assert await linked_events() == 1
    event = await AuditEvent.get(action="account.linked")
    assert event.target_type == "worker" and event.target_id == str(worker.id)
    assert event.detail["openid"] == "o-wangfang" and event.detail["created_by"] == "boss"
    # The follow itself is recorded, but not the secret scene.
    row = await ResidentRow.get(openid="o-wangfang")
    assert row.subscribed and row.subscribe_scene is None
    # Scanning again later (a new event) says so and changes nothing.
    again = await scan(person, scene_of(fake), following=True)
    assert "无需重复" in again and await linked_events() == 1


async def test_a_follower_scans_and_a_staff_account_is_linked(
    app: TestClient, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, _ = wechat
    link = await new_link(app, "/api/admin/users/boss/link")
    assert link["target"] == "staff" and link["name"] == "李主任"
    reply = await scan(Resident(app, "o-boss"), scene_of(fake), following=True)
    assert "后台账号「李主任」" in reply and "预览" in reply
    assert (await StaffUser.get(username="boss")).openid == "o-boss"


async def test_the_welcome_of_an_ordinary_follow_is_unchanged(app: TestClient) -> None:
    person = Resident(app, "o-resident-9")
    reply = await scan(person, "poster42", following=False)
    assert "绑定" not in reply and reply
    assert (await ResidentRow.get(openid="o-resident-9")).subscribe_scene == "poster42"
    assert "绑定" not in await scan(person, "poster42", following=True)


async def test_used_expired_and_unknown_links_get_a_polite_answer_and_change_nothing(
    app: TestClient, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, _ = wechat
    worker, _ = await worker_link(app)
    scene = scene_of(fake)
    assert "绑定成功" in await scan(Resident(app, "o-first"), scene, following=True)
    used = await scan(Resident(app, "o-second"), scene, following=True)
    assert "已被使用" in used

    other, _ = await worker_link(app, "李强")
    await AccountLink.filter(worker_id=other.id).update(expires_at=NOW - timedelta(minutes=1))
    expired = await scan(Resident(app, "o-third"), scene_of(fake), following=False)
    assert "已过期" in expired

    unknown = await scan(Resident(app, "o-fourth"), "jslink_madeup", following=True)
    assert "没有找到" in unknown

    assert (await Worker.get(id=worker.id)).openid == "o-first"
    assert (await Worker.get(id=other.id)).openid is None
    assert await linked_events() == 1
    failed = await AuditEvent.filter(action="account.link_failed").order_by("id")
    assert [e.detail["reason"] for e in failed] == ["used", "expired", "unknown"]


async def test_a_newer_link_revokes_the_older_one(
    app: TestClient, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, _ = wechat
    await worker_link(app)
    older = scene_of(fake)
    await worker_link(app)
    person = Resident(app, "o-a")
    assert "已过期" in await scan(person, older, following=True, at=1_800_000_000)
    assert "绑定成功" in await scan(person, scene_of(fake), following=True, at=1_800_000_001)


async def test_two_people_racing_for_one_link_one_wins(
    app: TestClient, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, _ = wechat
    worker, _ = await worker_link(app)
    scene = scene_of(fake)
    replies = await asyncio.gather(
        scan(Resident(app, "o-racer-1"), scene, following=True),
        scan(Resident(app, "o-racer-2"), scene, following=True),
    )
    assert sorted("绑定成功" in r for r in replies) == [False, True]
    winner = "o-racer-1" if "绑定成功" in replies[0] else "o-racer-2"
    assert (await Worker.get(id=worker.id)).openid == winner
    assert (await AccountLink.get(worker_id=worker.id)).used_by_openid == winner
    assert await linked_events() == 1


async def test_the_chat_code_links_when_scanning_is_not_possible(app: TestClient) -> None:
    worker, link = await worker_link(app)
    assert link["chat_text"] == f"绑定 {link['code']}" and link["code"] in link["how_to"]
    person = Resident(app, "o-typist")
    assert "没有找到" in await person.say("绑定 ABCDEFGH")
    reply = await person.say(f"绑定：{link['code'].lower()}")
    assert "绑定成功" in reply and "王芳" in reply
    assert (await Worker.get(id=worker.id)).openid == "o-typist"
    assert "无需重复" in await person.say(f"绑定 {link['code']}")
    assert "已被使用" in await Resident(app, "o-late").say(f"绑定 {link['code']}")


async def test_guessing_codes_is_cut_short(app: TestClient) -> None:
    _, link = await worker_link(app)
    guesser = Resident(app, "o-guesser")
    for n in range(5):
        assert "没有找到" in await guesser.say(f"绑定 WRONG{n:03d}")
    assert "次数过多" in await guesser.say(f"绑定 {link['code']}")
    assert (await AccountLink.get(id=link["link_id"])).used_at is None
