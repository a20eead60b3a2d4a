"""The official account's chat for a blocked resident (kept, held, never routed; lookups and
events still work) and for a resident who reached their case limit (told when, nothing made)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from config import replies
from handlers.staff.accounts import create_user, issue_api_token
from models import Case, HeldMessage, HeldReason, HeldStatus, InboundMessage, OutboxMessage
from models import Resident as ResidentRow
from tests.bot.conftest import ClientFactory, Resident, reply_content

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"


async def block(client: TestClient, openid: str) -> int:
    user = await create_user("admin1", "admin", "correct horse battery", NOW)
    headers = {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}
    resident = await ResidentRow.get(openid=openid)
    response = await client.post(
        f"/api/admin/residents/{resident.id}/block", json={"reason": "辱骂"}, headers=headers
    )
    assert response.status == 200, await response.text()
    return resident.id


async def test_a_blocked_residents_messages_are_held(make_client: ClientFactory) -> None:
    client = await make_client()
    resident = Resident(client, "o-blocked-chat")
    first = await resident.say(LAMP)
    number = re.search(r"\d{10}", first)
    assert number
    resident_id = await block(client, resident.openid)

    assert await resident.say("市光一村停水了，已经两天") == replies.HELD_RECEIVED
    status, body = await resident.send(
        "image",
        {"PicUrl": "http://mmbiz.example/1.jpg", "MediaId": "media-1", "MsgId": resident.msg_id()},
    )
    assert status == 200 and reply_content(body) == replies.HELD_RECEIVED
    status, body = await resident.send(
        "location",
        {
            "Location_X": "31.28",
            "Location_Y": "121.52",
            "Scale": "15",
            "Label": "政通路",
            "MsgId": resident.msg_id(),
        },
    )
    assert reply_content(body) == replies.HELD_RECEIVED
    # Nothing routed, nothing added: one case, from before the block.
    assert await Case.all().count() == 1
    held = await HeldMessage.filter(resident_id=resident_id).order_by("id")
    assert [h.reason for h in held] == [HeldReason.BLOCKED] * 3
    assert [h.payload["message"]["msg_type"] for h in held] == ["text", "image", "location"]
    assert held[0].text == "市光一村停水了，已经两天" and held[0].channel == "mp"
    assert await InboundMessage.all().count() == 4  # every message stored as received

    # Looking up their own cases still works; so do events.
    assert number.group(0) in await resident.say("我的诉求")
    assert number.group(0) in await resident.say(number.group(0))
    status, _ = await resident.send("event", {"Event": "unsubscribe"})
    assert status == 200 and not (await ResidentRow.get(id=resident_id)).subscribed
    assert await HeldMessage.filter(resident_id=resident_id).count() == 3


async def test_the_case_limit_in_the_chat(make_client: ClientFactory) -> None:
    client = await make_client(resident_cases_per_hour=1)
    resident = Resident(client, "o-busy-chat")
    assert "已受理" in await resident.say(LAMP)
    answer = await resident.say("新诉求 市光一村小区门口的垃圾桶满了没人清运")
    assert "1小时内已提交1件诉求" in answer and "已保存" in answer and "后可以再" in answer
    assert await Case.all().count() == 1
    # The message is stored as received and held where a dispatcher sees it, with why.
    stored = await InboundMessage.all().order_by("id")
    assert len(stored) == 2 and "垃圾桶" in stored[1].body and stored[1].case_id is None
    held = await HeldMessage.get(resident__openid="o-busy-chat")
    assert held.reason == HeldReason.RATE_LIMITED and held.status == HeldStatus.HELD
    assert "垃圾桶" in held.text and held.payload["message"]["msg_type"] == "text"
    # Detail for the case just reported is still welcome.
    assert "已补充" in await resident.say("那盏路灯的灯杆也歪了，怕砸到人")
    assert not await OutboxMessage.filter(purpose="reply").exists()


async def test_urgent_words_pass_the_case_limit(make_client: ClientFactory) -> None:
    """Five cases in an hour, then a gas smell with an old person alone: never refused."""
    client = await make_client(resident_cases_per_hour=1)
    resident = Resident(client, "o-urgent-over-limit")
    assert "已受理" in await resident.say(LAMP)
    answer = await resident.say("新诉求 控江路1000弄12号楼煤气味很重，老人一个人在家")
    assert "已受理" in answer and "已按紧急件处理" in answer
    assert "1小时内已提交" not in answer
    assert await Case.all().count() == 2
    assert not await HeldMessage.exists()
