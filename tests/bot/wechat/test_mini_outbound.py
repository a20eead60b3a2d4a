"""The mini-program's outbox rows at the fake mini-program server, and a case's life told to a
mini-program resident: replies in the chat, the result outside 48 h as a subscription message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from tortoise.transactions import in_transaction

from bot.keys import DRAINER, INTAKE, MINI_CLIENT
from bot.wechat import outbox_drainer
from bot.wechat.client import AccessTokenStore, MiniProgramClient, WeChatClient
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.outbox_pacing import account_of
from config.settings import Settings
from handlers.clock import ManualClock
from handlers.outbox import enqueue
from handlers.workflow.actions import finish_case
from models import Case, CaseStatus, OutboxMessage, OutboxStatus, Resident, Worker
from tests.bot.conftest import ClientFactory
from tests.bot.wechat import test_client as shared
from tests.bot.wechat.test_client import outbound_settings
from tests.bot.wechat.test_mini_endpoint import MiniResident, MiniWorld, mini_settings
from tests.fake_wechat import CUSTOM_SEND, MINI_SUBSCRIBE_SEND, FakeMiniProgram, FakeWeChat

outbound_db = shared.outbound_db
fake = shared.fake
wechat_base = shared.wechat_base
clock = shared.clock
session = shared.session

TEMPLATE = "MINI-TPL-CASE-UPDATE"


def text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def subscription(number: str = "2603100001") -> dict[str, Any]:
    return {
        "template_id": TEMPLATE,
        "page": f"pages/case/detail?number={number}",
        "data": {
            "character_string1": {"value": number},
            "phrase2": {"value": "已办结"},
            "time3": {"value": "2026年3月10日 10:00"},
            "thing4": {"value": "路灯已修复"},
        },
    }


@pytest.fixture
def mini_fake() -> FakeMiniProgram:
    return FakeMiniProgram()


@pytest.fixture
async def mini_base(mini_fake: FakeMiniProgram) -> AsyncIterator[str]:
    async with mini_fake.running() as url:
        yield url


@pytest.fixture
def settings(
    outbound_db: str, wechat_base: str, mini_base: str, mini_fake: FakeMiniProgram
) -> Settings:
    return outbound_settings(
        outbound_db,
        wechat_base,
        mini_appid=mini_fake.appid,
        mini_secret=mini_fake.secret,
        mini_api_base=mini_base,
    )


def drainer_for(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    *,
    with_mini: bool = True,
) -> OutboxDrainer:
    tokens = AccessTokenStore(clock, "proc-a")
    mini = MiniProgramClient(session, settings, tokens) if with_mini else None
    return OutboxDrainer(
        WeChatClient(session, settings, tokens), settings, clock, "proc-a", mini=mini
    )


async def test_mini_rows_reach_the_mini_program_with_its_own_token(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    fake: FakeWeChat,
    mini_fake: FakeMiniProgram,
) -> None:
    drainer = drainer_for(session, settings, clock)
    now = clock.now()
    await enqueue("mini_custom", "o-mini-1", text("已受理"), now)
    await enqueue("mini_subscribe", "o-mini-2", subscription(), now)
    await enqueue("mp_custom", "o-mp-1", text("公众号回复"), now)

    assert await drainer.drain_once() == 3

    assert sorted(m.path for m in mini_fake.sent) == [CUSTOM_SEND, MINI_SUBSCRIBE_SEND]
    assert mini_fake.custom_messages_to("o-mini-1") == [{"touser": "o-mini-1", **text("已受理")}]
    assert mini_fake.subscribe_messages_to("o-mini-2") == [{"touser": "o-mini-2", **subscription()}]
    assert [m.body["touser"] for m in fake.sent] == ["o-mp-1"]
    assert mini_fake.token_requests == 1 and fake.token_requests == 1
    assert {m.access_token for m in mini_fake.sent}.isdisjoint({m.access_token for m in fake.sent})
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 3
    assert set(drainer._buckets) == {"mini", "mp"}
    assert drainer.bucket("mini") is not drainer.bucket("mp")


def test_each_channel_spends_its_own_account() -> None:
    assert account_of("mini_custom") == account_of("mini_subscribe") == "mini"
    assert account_of("mp_custom") == account_of("mp_mass") == "mp"
    assert account_of("work_app") == "work"


async def test_without_a_mini_client_mini_rows_fail_saying_what_to_set(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    fake: FakeWeChat,
) -> None:
    drainer = drainer_for(session, settings, clock, with_mini=False)
    custom = await enqueue("mini_custom", "o-mini-1", text("已受理"), clock.now())
    sub = await enqueue("mini_subscribe", "o-mini-2", subscription(), clock.now())
    ours = await enqueue("mp_custom", "o-mp-1", text("公众号回复"), clock.now())

    assert await drainer.drain_once() == 3

    for row in (custom, sub):
        await row.refresh_from_db()
        assert row.status == OutboxStatus.FAILED
        assert row.last_error == outbox_drainer.MINI_NOT_CONFIGURED
        assert "JIESU_MINI_APPID" in row.last_error
    await ours.refresh_from_db()
    assert ours.status == OutboxStatus.SENT and len(fake.sent) == 1


async def test_only_a_mini_client_is_no_sandbox(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    mini_fake: FakeMiniProgram,
) -> None:
    mini = MiniProgramClient(session, settings, AccessTokenStore(clock, "proc-a"))
    drainer = OutboxDrainer(None, settings, clock, "proc-a", mini=mini)
    await enqueue("mini_custom", "o-mini-1", text("已受理"), clock.now())
    mp_row = await enqueue("mp_custom", "o-mp-1", text("x"), clock.now())
    assert await drainer.drain_once() == 2
    assert len(mini_fake.sent) == 1
    await mp_row.refresh_from_db()
    assert mp_row.status == OutboxStatus.FAILED and "JIESU_MP_APPID" in mp_row.last_error


@pytest.mark.parametrize(
    ("errcode", "hint"),
    [
        (45015, "mini-program's customer service in 48 h"),
        (40003, "does not belong to this mini-program"),
    ],
)
async def test_mini_errors_carry_the_mini_programs_hints(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    mini_fake: FakeMiniProgram,
    errcode: int,
    hint: str,
) -> None:
    drainer = drainer_for(session, settings, clock)
    row = await enqueue("mini_custom", "o-mini-1", text("已受理"), clock.now())
    mini_fake.fail_next(CUSTOM_SEND, errcode)
    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert f"errcode {errcode}" in row.last_error and hint in row.last_error
    assert "mini-program API" in row.last_error


async def test_a_busy_mini_program_is_retried(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    mini_fake: FakeMiniProgram,
) -> None:
    drainer = drainer_for(session, settings, clock)
    row = await enqueue("mini_subscribe", "o-mini-1", subscription(), clock.now())
    mini_fake.fail_next(MINI_SUBSCRIBE_SEND, -1)
    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    clock.advance(timedelta(hours=1))
    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and len(mini_fake.subscribe_messages_to("o-mini-1")) == 1


async def test_the_fake_refuses_what_the_mini_program_cannot_carry(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    mini_fake: FakeMiniProgram,
) -> None:
    """The fake keeps WeChat's rules, so the tests above mean something: no menus, no URLs as
    pages, field limits."""
    drainer = drainer_for(session, settings, clock)
    menu = {"msgtype": "msgmenu", "msgmenu": {"head_content": "请评价", "list": []}}
    bad_menu = await enqueue("mini_custom", "o-1", menu, clock.now())
    url_page = await enqueue(
        "mini_subscribe", "o-2", subscription() | {"page": "https://x.example/cases/1"}, clock.now()
    )
    long_phrase = subscription()
    long_phrase["data"]["phrase2"]["value"] = "已经办理完毕了"
    bad_phrase = await enqueue("mini_subscribe", "o-3", long_phrase, clock.now())
    assert await drainer.drain_once() == 3
    for row, errcode in ((bad_menu, 40008), (url_page, 41030), (bad_phrase, 47003)):
        await row.refresh_from_db()
        assert row.status == OutboxStatus.FAILED and f"errcode {errcode}" in row.last_error
    assert mini_fake.sent == []


async def test_replies_to_mini_program_residents_answered_too_late_go_once(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    mini_base: str,
    clock: ManualClock,
    mini_fake: FakeMiniProgram,
) -> None:
    """The attack: the mini-program's API takes each customer-service message and answers
    after our timeout. Each resident gets their reply once; the rows say the outcome is
    unknown, and later passes do not send them again."""
    settings = outbound_settings(
        outbound_db,
        wechat_base,
        mini_appid=mini_fake.appid,
        mini_secret=mini_fake.secret,
        mini_api_base=mini_base,
        http_timeout_seconds=0.3,
    )
    drainer = drainer_for(session, settings, clock)
    residents = [f"o-mini-{i}" for i in range(3)]
    rows = [
        await enqueue(
            "mini_custom", openid, text("已受理，编号2603100001"), clock.now(), purpose="reply"
        )
        for openid in residents
    ]
    mini_fake.answer_delay = 1.0

    assert await drainer.drain_once() == 3
    mini_fake.answer_delay = 0.0
    for _ in range(4):
        clock.advance(timedelta(hours=1))
        assert await drainer.drain_once() == 0

    assert [len(mini_fake.custom_messages_to(openid)) for openid in residents] == [1, 1, 1]
    for row in rows:
        await row.refresh_from_db()
        assert row.status == OutboxStatus.UNKNOWN and "no answer within" in row.last_error


# The whole way, through the app


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWeChat, str, FakeMiniProgram, str]]:
    mp = FakeWeChat(appid="wxfake", secret="fakesecret")
    mini = FakeMiniProgram()
    async with mp.running() as mp_url, mini.running() as mini_url:
        yield mp, mp_url, mini, mini_url


async def finish(client: Any, case: Case, result: str) -> None:
    """The case's handler records 办结 (as the worker API does)."""
    await Case.filter(id=case.id).update(status=CaseStatus.IN_PROGRESS)
    case = await Case.get(id=case.id)
    worker = await Worker.get(id=case.worker_id)
    ctx = await client.app[INTAKE].context()
    async with in_transaction():
        await finish_case(case, worker, result, [], ctx)


@pytest.mark.parametrize("consented", [True, False])
async def test_the_result_outside_48_hours_goes_as_a_mini_subscription_message(
    make_client: ClientFactory,
    fakes: tuple[FakeWeChat, str, FakeMiniProgram, str],
    consented: bool,
) -> None:
    client = await make_client(
        **mini_settings(fakes),
        mini_subscribe_case_update=TEMPLATE,
        mp_template_case_update="MP-TEMPLATE",
        mp_subscribe_case_update="MP-SUBSCRIBE",
    )
    world = MiniWorld(client, fakes[2], fakes[0])
    assert isinstance(client.app[MINI_CLIENT], MiniProgramClient)
    resident = MiniResident(client, "o-mini-life")
    await resident.say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    await world.drain()
    (accepted,) = world.texts_to("o-mini-life")
    assert case.number in accepted

    # Two days later; the resident accepted the mini-program's template (and, as if it could
    # matter, the official account's ones too: they must never be used for this openid).
    person = await Resident.get(openid="o-mini-life")
    person.last_message_at = (person.last_message_at or case.created_at) - timedelta(hours=49)
    person.consent_template = True
    person.consent_subscribe = {"MP-SUBSCRIBE": "accept"} | (
        {TEMPLATE: "accept"} if consented else {}
    )
    await person.save()
    await finish(client, case, "路灯已修复，灯泡已更换，夜间照明恢复正常")
    await world.drain()

    row = await OutboxMessage.get(recipient="o-mini-life", purpose="case_finished")
    assert world.mp.sent == []
    if not consented:
        assert row.status == OutboxStatus.SKIPPED and row.channel == "mini_custom"
        assert "小程序订阅消息" in row.last_error
        assert world.mini.subscribe_messages_to("o-mini-life") == []
        return
    assert row.channel == "mini_subscribe" and row.status == OutboxStatus.SENT, row.last_error
    (sent,) = world.mini.subscribe_messages_to("o-mini-life")
    assert sent["template_id"] == TEMPLATE
    assert sent["page"] == f"pages/case/detail?number={case.number}"
    data = sent["data"]
    assert data["character_string1"]["value"] == case.number
    assert data["phrase2"]["value"] == "已办结"
    assert len(data["thing4"]["value"]) <= 20 and data["thing4"]["value"].startswith("诉求")
    assert "年" in data["time3"]["value"]
    assert len(world.texts_to("o-mini-life")) == 1  # no customer-service message after 48 h


async def test_replies_inside_48_hours_stay_in_the_chat(
    make_client: ClientFactory, fakes: tuple[FakeWeChat, str, FakeMiniProgram, str]
) -> None:
    client = await make_client(**mini_settings(fakes), mini_subscribe_case_update=TEMPLATE)
    world = MiniWorld(client, fakes[2], fakes[0])
    await MiniResident(client, "o-mini-quick").say("政通路240号门口路灯坏了")
    case = await Case.get()
    await finish(client, case, "路灯已修复")
    await world.drain()
    accepted, finished = world.texts_to("o-mini-quick")
    assert case.number in accepted and "路灯已修复" in finished
    assert world.mini.subscribe_messages_to("o-mini-quick") == []
    assert client.app[DRAINER] is not None
