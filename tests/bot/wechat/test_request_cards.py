"""A unit's 退单 reaches the centre's dispatcher as a WeCom card, and the dispatcher's press
decides it: the whole way through the (fake) WeCom server and the signed callback."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.keys import DRAINER
from handlers.workflow.actions import issue_token
from models import Case, CaseStatus, ExtensionRequest, ReturnRequest, Unit, Worker
from tests.bot.conftest import ClientFactory, Resident
from tests.fake_wechat import FakeWeChat
from tests.fake_wecom import FakeWeCom, callback_request, card_event_xml

TOKEN = "worktoken123"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PRESS_TIMES = itertools.count(1_773_100_000)


@pytest.fixture
async def wecom() -> AsyncIterator[tuple[FakeWeCom, str]]:
    fake = FakeWeCom()
    wechat = FakeWeChat(appid="wxfake", secret="fakesecret")
    async with fake.running() as url, wechat.running() as wechat_url:
        fake.wechat_url = wechat_url  # type: ignore[attr-defined]
        yield fake, url


def settings_for(fake: FakeWeCom, url: str) -> dict[str, str]:
    return {
        "outbound_mode": "wechat",
        "wechat_api_base": fake.wechat_url,  # type: ignore[attr-defined]
        "mp_appid": "wxfake",
        "mp_secret": "fakesecret",
        "work_api_base": url,
        "work_corp_id": fake.corp_id,
        "work_agent_id": str(fake.agent_id),
        "work_secret": fake.secret,
        "work_token": TOKEN,
        "work_aes_key": AES_KEY,
    }


async def press(
    client: TestClient,
    wecom: FakeWeCom,
    userid: str,
    card: dict[str, Any],
    text: str,
    selected: dict[str, list[str]] | None = None,
) -> str:
    """``userid`` presses the button ``text`` on ``card``; the response code used."""
    key = next(b["key"] for b in card["button_list"] if b["text"] == text)
    code = wecom.new_response_code()
    xml = card_event_xml(
        userid,
        key,
        corp_id=wecom.corp_id,
        task_id=card["task_id"],
        response_code=code,
        selected=selected,
        create_time=next(PRESS_TIMES),  # WeCom tells events apart by user and time
    )
    query, body = callback_request(TOKEN, AES_KEY, wecom.corp_id, xml)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    assert response.status == 200
    return code


async def test_a_return_decided_on_the_dispatchers_card(
    make_client: ClientFactory, wecom: tuple[FakeWeCom, str]
) -> None:
    fake, url = wecom
    client = await make_client(**settings_for(fake, url))
    drainer = client.server.app[DRAINER]
    await Resident(client, "o-1").say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    unit = case.unit_id
    await drainer.drain_once()
    (task,) = fake.cards_to("wangfang")

    # 王芳 presses 退单 with a reason: a request to the centre, the case stays.
    await press(client, fake, "wangfang", task, "退单", {"return_reason": ["not_ours"]})
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == unit
    asked = await ReturnRequest.get(case_id=case.id)
    assert asked.status == "pending" and asked.reason == "非本单位职责"
    await drainer.drain_once()
    (update,) = fake.card_updates()
    assert update["button"]["replace_name"].startswith("退单已提交，待中心审核")
    (card,) = fake.cards_to("zhuting")  # the centre's dispatcher
    assert card["main_title"]["title"].startswith("退单申请")
    assert {b["text"] for b in card["button_list"]} == {"同意", "不同意"}

    # The unit's supervisor is no dispatcher: a press changes nothing.
    await press(client, fake, "zhoutao", card, "同意")
    assert (await ReturnRequest.get(id=asked.id)).status == "pending"
    # 不同意 needs a reason chosen on the card.
    await press(client, fake, "zhuting", card, "不同意")
    assert (await ReturnRequest.get(id=asked.id)).status == "pending"
    code = await press(client, fake, "zhuting", card, "不同意", {"refusal_reason": ["duty"]})
    refused = await ReturnRequest.get(id=asked.id)
    assert refused.status == "refused" and refused.note == "属于本单位职责，请继续办理"
    assert refused.decided_by_staff.startswith("worker:")
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == unit
    await drainer.drain_once()
    done = [u for u in fake.card_updates() if u["response_code"] == code]
    assert done[0]["button"]["replace_name"].startswith("不同意退单·朱婷")
    told = [m["text"]["content"] for m in fake.messages_to("wangfang") if m["msgtype"] == "text"]
    assert any("区中心不同意退单：属于本单位职责" in text for text in told)
    # Pressed again (another dispatcher's copy, a retry): already decided, nothing moves.
    await press(client, fake, "zhuting", card, "同意")
    assert (await ReturnRequest.get(id=asked.id)).status == "refused"


async def test_approved_on_the_card_straight_to_the_suggested_unit(
    make_client: ClientFactory, wecom: tuple[FakeWeCom, str]
) -> None:
    fake, url = wecom
    client = await make_client(**settings_for(fake, url))
    drainer = client.server.app[DRAINER]
    await Resident(client, "o-1").say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    worker = await Worker.get(name="王芳")
    headers = {"Authorization": f"Bearer {await issue_token(worker, case.created_at)}"}
    response = await client.post(
        f"/api/worker/cases/{case.number}/return",
        json={"reason": "属于房管", "suggested_unit": "HOUSING"},
        headers=headers,
    )
    assert response.status == 201
    await drainer.drain_once()
    (card,) = fake.cards_to("zhuting")
    assert {b["text"] for b in card["button_list"]} == {"同意", "同意并改派", "不同意"}
    await press(client, fake, "zhuting", card, "同意并改派")
    await case.refresh_from_db()
    housing = await Unit.get(code="HOUSING")
    assert case.unit_id == housing.id and case.status == CaseStatus.DISPATCHED
    assert (await ReturnRequest.get(case_id=case.id)).new_unit_id == housing.id
    assert not await ExtensionRequest.exists(case_id=case.id)
