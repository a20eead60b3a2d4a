"""A suggestion's whole life to publication through the public interfaces, the clock moving:
a resident's chat message read as 建议 → the office adopts it for the traffic committee (API) →
the committee answers (API) → 落地 recorded (API) → the resident agrees in the chat
(「同意公开」) → the office publishes it (API) → anyone reads it anonymised (the JSON and the
page: no phone, no house number) → the year's table counts it. At each step, what the resident
was told: the chat's replies, and the messages sent to their openid (the outbox)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from models import OutboxMessage, Resident, Suggestion
from tests.bot.conftest import Resident as Chat
from tests.bot.test_suggestion_life import bearer
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
PREFIX = "/api/admin/suggestions"
OPENID = "o-life-publish"
WORDS = "建议在控江路1000弄5号门口增设一个公交站，附近居民出行太不方便了，我的电话13812345678"
PRIVATE = ("13812345678", "1000弄", "5号", "138****5678")


async def sent_to_resident() -> list[tuple[str, str]]:
    """Every message sent to the resident so far: (channel, its text)."""
    rows = await OutboxMessage.filter(recipient=OPENID).order_by("id")
    return [(row.channel, str(row.payload)) for row in rows]


async def test_from_a_chat_message_to_the_public_page(db_url: str, aiohttp_client: Any) -> None:
    clock = ManualClock(START)
    settings = make_settings(db_url, mp_template_case_update="tmpl-case-update")
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    office = await bearer("jianyi", "suggestions")
    traffic = await bearer("jtw", "unit", "TRAFFIC")

    async def post(path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body, headers=headers)
        answer: dict[str, Any] = await response.json()
        assert response.status == 200, answer
        return answer

    # Day 0: the chat message is a suggestion; the reply tells its number and offers consent.
    chat = Chat(client, OPENID)
    reply = await chat.say(WORDS)
    found = re.search(r"JY\d+", reply)
    assert found and "人民建议征集办公室" in reply and "同意公开" in reply
    number = found.group(0)
    await Resident.filter(openid=OPENID).update(consent_template=True)
    assert await sent_to_resident() == []  # the reply was the passive one

    # Day 1 (the chat window still open): adopted; told as a chat message, offered consent.
    clock.advance(timedelta(days=1))
    await post(f"{PREFIX}/{number}/adopt", office, {"units": ["TRAFFIC"], "note": "请研究"})
    ((channel, adopted),) = await sent_to_resident()
    assert channel == "mp_custom" and "已被采纳" in adopted and "区交通委员会" in adopted
    assert "回复「同意公开」" in adopted

    # Day 12 (the window closed): the committee answers; told by the template they accepted.
    clock.advance(timedelta(days=11))
    answer = {"kind": "project", "answer": "已纳入公交站点优化项目", "date": "2026-06-01"}
    body = await post(f"{PREFIX}/{number}/adoptions/TRAFFIC/answer", traffic, answer)
    assert body["suggestion"]["status"] == "answered"
    channel, answered = (await sent_to_resident())[-1]
    assert channel == "mp_template" and "已纳入公交站点优化项目" in answered

    # Day 40: 落地.
    clock.advance(timedelta(days=28))
    body = await post(f"{PREFIX}/{number}/implemented", office, {"result": "控江路新站已启用"})
    assert body["suggestion"]["status"] == "implemented"
    channel, implemented = (await sent_to_resident())[-1]
    assert channel == "mp_template" and "已落地：控江路新站已启用" in implemented

    # Not yet published: the proposer has not agreed.
    response = await client.post(f"{PREFIX}/{number}/publish", json={}, headers=office)
    assert response.status == 409 and (await response.json())["error"]["code"] == "no_consent"

    # Day 41: the resident agrees in the chat; the reply names the suggestion.
    clock.advance(timedelta(days=1))
    reply = await chat.say("同意公开")
    assert number in reply and "匿名" in reply and "不同意公开" in reply
    assert (await Suggestion.get(number=number)).consent_publish

    # The office publishes it (the default wording, anonymised); the proposer is thanked.
    clock.advance(timedelta(hours=2))
    await post(f"{PREFIX}/{number}/publish", office, {})
    channel, thanks = (await sent_to_resident())[-1]
    assert channel == "mp_custom" and "感谢您的建议" in thanks and "匿名发布" in thanks

    # Anyone reads it: the JSON and the page, without the phone or the house number.
    response = await client.get("/api/public/suggestions")
    listed = await response.json()
    assert response.status == 200
    (shown,) = [s for s in listed["suggestions"] if s["number"] == number]
    assert shown["credit"] == "匿名" and "控江路" in shown["text"] and "公交站" in shown["text"]
    assert shown["result"] == "控江路新站已启用" and shown["departments"] == ["区交通委员会"]
    response = await client.get(f"/api/public/suggestions/{number}")
    one = await response.text()
    assert response.status == 200 and not any(word in one for word in PRIVATE)
    assert not any(word in str(listed) for word in PRIVATE)
    for path in ("/public/suggestions", f"/public/suggestions/{number}"):
        response = await client.get(path)
        page = await response.text()
        assert response.status == 200 and number in page and "公交站" in page
        assert not any(word in page for word in PRIVATE), path
    assert "控江路新站已启用" in page  # the result, on the suggestion's own page

    # The year's table counts it.
    response = await client.get(f"{PREFIX}/year/2026", headers=office)
    table = await response.json()
    assert response.status == 200
    assert table["line"] == "收到 1 / 采纳 1 / 报送市级 0 / 获批示 0 / 落地 1", table["line"]

    # All the resident was sent, in order: adopted, answered, 落地, thanks.
    assert [channel for channel, _ in await sent_to_resident()] == [
        "mp_custom",
        "mp_template",
        "mp_template",
        "mp_custom",
    ]
