"""The whole way of a task: a resident writes to /wechat/mp, the case is routed, its card reaches
the grid worker at the (fake) WeCom server, the worker presses 签收 and the card is updated."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import DRAINER
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.workflow.actions import issue_token
from models import Case, CaseEvent, CaseStatus, OutboxMessage, OutboxStatus, Worker
from tests.bot.conftest import ClientFactory, Resident
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeChat
from tests.fake_wecom import FakeWeCom, callback_request, card_event_xml

TOKEN = "worktoken123"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWeChat, str, FakeWeCom, str]]:
    wechat = FakeWeChat(appid="wxfake", secret="fakesecret")
    wecom = FakeWeCom()
    async with wechat.running() as wechat_url, wecom.running() as wecom_url:
        yield wechat, wechat_url, wecom, wecom_url


async def test_from_a_residents_message_to_a_signed_card(
    make_client: ClientFactory, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> None:
    wechat, wechat_url, wecom, wecom_url = fakes
    client = await make_client(
        outbound_mode="wechat",
        wechat_api_base=wechat_url,
        mp_appid="wxfake",
        mp_secret="fakesecret",
        work_api_base=wecom_url,
        work_corp_id=wecom.corp_id,
        work_agent_id=str(wecom.agent_id),
        work_secret=wecom.secret,
        work_token=TOKEN,
        work_aes_key=AES_KEY,
        public_url="https://jiesu.example.org",
    )
    drainer = client.server.app[DRAINER]

    reply = await Resident(client, "o-resident-1").say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    assert case.number in reply and case.status == CaseStatus.DISPATCHED

    await drainer.drain_once()
    (card,) = wecom.cards_to("wangfang")
    assert card["task_id"] == f"{case.number}-0"
    assert card["card_action"]["url"] == f"https://jiesu.example.org/worker/cases/{case.number}"
    sign = next(button for button in card["button_list"] if button["text"] == "签收")
    task = await OutboxMessage.get(purpose="task")
    assert task.status == OutboxStatus.SENT

    # 王芳 presses 签收: WeCom posts the event, encrypted, with a fresh response code.
    code = wecom.new_response_code()
    xml = card_event_xml(
        "wangfang",
        sign["key"],
        corp_id=wecom.corp_id,
        task_id=card["task_id"],
        response_code=code,
    )
    query, body = callback_request(TOKEN, AES_KEY, wecom.corp_id, xml)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    assert response.status == 200

    await case.refresh_from_db()
    assert case.status == CaseStatus.SIGNED
    await drainer.drain_once()
    (update,) = wecom.card_updates()
    assert update["userids"] == ["wangfang"] and update["response_code"] == code
    assert update["button"]["replace_name"].startswith("已签收·王芳")
    assert not await OutboxMessage.filter(status=OutboxStatus.FAILED).exists()
    # Everything went through one WeCom token; nothing was sent twice.
    assert wecom.token_requests == 1 and len(wecom.sent) == 2
    assert wechat.sent == []  # the resident had the passive reply; the worker needs no template


async def test_a_whole_life_across_wechat_and_wecom(
    db_url: str, aiohttp_client: Any, fakes: tuple[FakeWeChat, str, FakeWeCom, str]
) -> None:
    """From a resident's message to 办结, every outbound message through the fake servers, the
    injected clock moving between steps as a real day would."""
    wechat, wechat_url, wecom, wecom_url = fakes
    clock = ManualClock(datetime(2026, 3, 10, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai, a Tuesday
    settings = make_settings(
        db_url,
        outbound_mode="wechat",
        wechat_api_base=wechat_url,
        mp_appid="wxfake",
        mp_secret="fakesecret",
        work_api_base=wecom_url,
        work_corp_id=wecom.corp_id,
        work_agent_id=str(wecom.agent_id),
        work_secret=wecom.secret,
        work_token=TOKEN,
        work_aes_key=AES_KEY,
        public_url="https://jiesu.example.org",
    )
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    drainer = client.server.app[DRAINER]

    resident = Resident(client, "o-whole-life")
    reply = await resident.say("政通路240号门口路灯坏了，晚上一片漆黑，电话13812345678")
    case = await Case.get()
    assert case.number in reply and case.status == CaseStatus.DISPATCHED
    await drainer.drain_once()
    (card,) = wecom.cards_to("wangfang")
    assert "138" not in json.dumps(card, ensure_ascii=False)  # no phone on a card before 签收

    # 20 minutes later 王芳 signs on the card.
    clock.advance(timedelta(minutes=20))
    sign = next(button for button in card["button_list"] if button["text"] == "签收")
    xml = card_event_xml(
        "wangfang",
        sign["key"],
        corp_id=wecom.corp_id,
        task_id=card["task_id"],
        response_code=wecom.new_response_code(),
    )
    query, body = callback_request(TOKEN, AES_KEY, wecom.corp_id, xml)
    assert (await client.post("/wechat/work", params=query, data=body.encode())).status == 200
    await drainer.drain_once()

    # Then she works the case from her phone through the worker API.
    worker = await Worker.get(id=(await Case.get(id=case.id)).worker_id)
    headers = {"Authorization": f"Bearer {await issue_token(worker, clock.now(), 'phone')}"}

    async def act(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(
            f"/api/worker/cases/{case.number}/{action}", json=payload, headers=headers
        )
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    clock.advance(timedelta(hours=1))
    await act("contact", {"method": "phone", "note": "已电话联系居民"})
    clock.advance(timedelta(hours=3))
    await act("progress", {"text": "已报修，更换灯泡", "attachments": []})
    clock.advance(timedelta(hours=20))
    photo = {"type": "image", "url": "https://img.example.org/1.jpg"}
    await act("finish", {"result": "路灯已修复", "attachments": [photo]})
    await drainer.drain_once()

    # The resident heard of first contact and of the result in WeChat (inside the 48 h window).
    told = [m["text"]["content"] for m in wechat.messages_to("o-whole-life")]
    assert len(told) == 2
    assert case.number in told[0] and "联系" in told[0]
    assert case.number in told[1] and "路灯已修复" in told[1]
    await case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.first_contact_at is not None and case.first_contact_at <= case.first_contact_due_at
    assert case.completed_at is not None and case.completed_at <= case.completion_due_at
    actions = [e.action for e in await CaseEvent.filter(case_id=case.id).order_by("id")]
    assert actions == ["accept", "dispatch", "sign", "contact", "progress", "finish"]
    assert not await OutboxMessage.filter(status=OutboxStatus.FAILED).exists()
    assert not await OutboxMessage.filter(status=OutboxStatus.PENDING).exists()
    # One card, one card update; one token per platform for the whole life.
    assert len(wecom.sent) == 2 and wecom.token_requests == 1
    assert wechat.token_requests == 1
