"""WeChat retries, concurrent duplicates, slow work and crashes: one case, one answer, no loss."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

import bot.intake
from bot.conversation_router import Outcome
from bot.keys import DRAINER, INTAKE
from bot.wechat.signing import message_xml, signed_query
from config import replies
from handlers.context import HandlerContext
from handlers.intake.incoming import IncomingMessage
from models import Case, InboundMessage, InboundStatus, OutboxMessage
from tests.bot.conftest import ClientFactory, Resident, reply_content
from tests.conftest import TEST_TOKEN
from tests.fake_wechat import FakeWeChat


async def post_same(client: TestClient, xml: str, query: dict[str, str]) -> tuple[int, str]:
    response = await client.post("/wechat/mp", params=query, data=xml.encode())
    return response.status, await response.text()


async def test_retries_are_answered_the_same_and_create_one_case(resident: Resident) -> None:
    xml = message_xml(
        resident.openid, "text", {"Content": "国权路小区5号楼电梯坏了", "MsgId": 424242}
    )
    answers = [await post_same(resident.client, xml, signed_query(TEST_TOKEN)) for _ in range(3)]
    assert {status for status, _ in answers} == {200}
    contents = {reply_content(body) for _, body in answers}
    assert len(contents) == 1
    case = await Case.get()
    assert case.number in contents.pop()
    assert await InboundMessage.all().count() == 1


async def test_concurrent_duplicates_create_one_case(resident: Resident) -> None:
    xml = message_xml(
        resident.openid, "text", {"Content": "开鲁新村7号楼楼顶漏水", "MsgId": 515151}
    )
    answers = await asyncio.gather(
        *(post_same(resident.client, xml, signed_query(TEST_TOKEN)) for _ in range(6))
    )
    assert {status for status, _ in answers} == {200}
    assert await Case.all().count() == 1
    case = await Case.get()
    assert all(case.number in reply_content(body) for _, body in answers)


@pytest.fixture
async def fake_wechat() -> AsyncIterator[tuple[FakeWeChat, str]]:
    fake = FakeWeChat(appid="wxfake", secret="fakesecret")
    async with fake.running() as base_url:
        yield fake, base_url


def slow_route(delay: float, fail_times: int = 0) -> Any:
    original = bot.intake.route
    calls = {"n": 0}

    async def route(message: IncomingMessage, ctx: HandlerContext) -> Outcome:
        calls["n"] += 1
        await asyncio.sleep(delay)
        if calls["n"] <= fail_times:
            raise RuntimeError("database went away")
        return await original(message, ctx)

    return route


async def test_slow_work_is_deferred_and_pushed_through_the_outbox(
    make_client: ClientFactory, fake_wechat: tuple[FakeWeChat, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, base_url = fake_wechat
    client = await make_client(
        reply_budget_seconds=0.2,
        outbound_mode="wechat",
        wechat_api_base=base_url,
        mp_appid="wxfake",
        mp_secret="fakesecret",
    )
    monkeypatch.setattr(bot.intake, "route", slow_route(0.6))
    resident = Resident(client, "o-slow")
    assert await resident.say("凤城新村3号楼下水道堵了") == replies.DEFERRED
    # A retry while the work is still running is answered the same way, not worked twice.
    await client.app[INTAKE].drain_background()
    case = await Case.get()
    row = await InboundMessage.get()
    assert row.status == InboundStatus.ANSWERED and case.number in (row.reply or "")
    assert await client.app[DRAINER].drain_once() == 1
    pushed = fake.messages_to("o-slow")
    assert len(pushed) == 1 and case.number in pushed[0]["text"]["content"]
    assert await Case.all().count() == 1


async def test_failed_work_is_recovered_once(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client(inbound_recovery_seconds=0.01)
    monkeypatch.setattr(bot.intake, "route", slow_route(0.0, fail_times=1))
    resident = Resident(client, "o-crash")
    assert await resident.say("长白二村9号楼前的树倒了") == replies.FAILED
    row = await InboundMessage.get()
    assert row.status == InboundStatus.FAILED and "database went away" in row.error
    assert await Case.all().count() == 0
    await asyncio.sleep(0.02)
    assert await client.app[INTAKE].recover() == 1
    assert await Case.all().count() == 1
    row = await InboundMessage.get()
    assert row.status == InboundStatus.ANSWERED
    outbox = await OutboxMessage.filter(recipient="o-crash")
    assert len(outbox) == 1 and (await Case.get()).number in outbox[0].payload["text"]["content"]
    # Nothing is left to recover, and a later sweep does not redo the work.
    await asyncio.sleep(0.02)
    assert await client.app[INTAKE].recover() == 0
    assert await Case.all().count() == 1


async def test_a_stuck_message_is_finished_by_exactly_one_worker(
    make_client: ClientFactory,
) -> None:
    """A process died mid-work (row left PROCESSING): recovery answers it once, via the outbox."""
    client = await make_client(inbound_recovery_seconds=0.3)
    intake = client.app[INTAKE]
    xml = message_xml("o-stuck", "text", {"Content": "市光一村门口共享单车乱停", "MsgId": 616161})
    from bot.wechat.parsing import dedup_key, parse_wechat_message

    message, _ = parse_wechat_message(xml)
    await intake.store(message, dedup_key(message), xml)
    await asyncio.sleep(0.35)
    # One sweep takes it up; the other may too if the first's work outlasts the recovery time
    # on a loaded machine, and then its attempt is rolled back: one case, one answer either way.
    results = await asyncio.gather(intake.recover(), intake.recover())
    assert sorted(results) in ([0, 1], [1, 1])
    assert await Case.all().count() == 1
    assert await OutboxMessage.filter(recipient="o-stuck").count() == 1
