"""The whole way of a task: a resident writes to /wechat/mp, the case is routed, its card reaches
the grid worker at the (fake) WeCom server, the worker presses 签收 and the card is updated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import DRAINER
from models import Case, CaseStatus, OutboxMessage, OutboxStatus
from tests.bot.conftest import ClientFactory, Resident
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
